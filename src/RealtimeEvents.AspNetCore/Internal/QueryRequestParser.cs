using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.Internal;

/// <summary>
/// Reads a subscription from the query string (SSE, and the resume of route-bound endpoints):
/// <c>topic</c>, <c>type</c> and <c>meta=key:value</c> (each repeatable), <c>minPriority</c>, <c>since</c>, <c>snapshot</c>, <c>id</c>.
/// A <c>Last-Event-ID</c> header (the browser's automatic resume) wins over <c>since</c>.
/// </summary>
internal static class QueryRequestParser
{
    public static bool TryParse(HttpContext context, SubscriptionRequest? routeRequest, string defaultId,
        [NotNullWhen(true)] out SubscriptionRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        var query = context.Request.Query;
        if (!TryParseResume(context, out var resumeAfter, out error))
        {
            return false;
        }

        // A parameter that names one value is refused when repeated: StringValues.ToString() would join the values with
        // ',' and, for 'id', silently make a subscription id the client never asked for.
        if (!TryGetSingle(query, "snapshot", out var snapshotText, out error)
            || !TryGetSingle(query, "id", out var idText, out error)
            || routeRequest is null && !TryGetSingle(query, "minPriority", out _, out error))
        {
            return false;
        }

        var snapshot = routeRequest?.Snapshot ?? false;
        if (snapshotText is not null && !bool.TryParse(snapshotText, out snapshot))
        {
            error = "Query parameter 'snapshot' must be true or false.";
            return false;
        }

        var id = idText ?? routeRequest?.Id ?? defaultId;
        if (routeRequest is not null)
        {
            request = new SubscriptionRequest
            {
                Id = id,
                Topics = routeRequest.Topics,
                Types = routeRequest.Types,
                MinimumPriority = routeRequest.MinimumPriority,
                Meta = routeRequest.Meta,
                ResumeAfter = resumeAfter ?? routeRequest.ResumeAfter,
                Snapshot = snapshot,
            };
            return true;
        }

        var priority = EventPriority.Low;
        if (query.TryGetValue("minPriority", out var priorityText) && !PriorityNames.TryParse(priorityText.ToString(), out priority))
        {
            error = "Query parameter 'minPriority' must be low, normal, high or critical.";
            return false;
        }

        Dictionary<string, string>? meta = null;
        foreach (var entry in query["meta"])
        {
            var colon = entry?.IndexOf(':', StringComparison.Ordinal) ?? -1;
            if (colon <= 0)
            {
                error = "Query parameter 'meta' must be 'key:value', for example meta=tenant:acme.";
                return false;
            }

            meta ??= new Dictionary<string, string>(StringComparer.Ordinal);
            meta[entry![..colon]] = entry[(colon + 1)..];
        }

        request = new SubscriptionRequest
        {
            Id = id,
            Topics = [.. query["topic"].Where(t => t is not null).Select(t => t!)],
            Types = [.. query["type"].Where(t => t is not null).Select(t => t!)],
            MinimumPriority = priority,
            Meta = meta,
            ResumeAfter = resumeAfter,
            Snapshot = snapshot,
        };
        return true;
    }

    private static bool TryParseResume(HttpContext context, out EventPosition? resumeAfter, [NotNullWhen(false)] out string? error)
    {
        resumeAfter = null;
        error = null;
        string? text = context.Request.Headers["Last-Event-ID"].ToString();
        var source = "Last-Event-ID header";
        if (string.IsNullOrEmpty(text))
        {
            if (!TryGetSingle(context.Request.Query, "since", out text, out error))
            {
                return false;
            }

            source = "query parameter 'since'";
        }

        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!EventPosition.TryParse(text, out var position))
        {
            error = $"The {source} must be a position 'epoch:seq' as received in events.";
            return false;
        }

        resumeAfter = position;
        return true;
    }

    private static bool TryGetSingle(IQueryCollection query, string name, out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!query.TryGetValue(name, out var values))
        {
            return true;
        }

        if (values.Count > 1)
        {
            error = $"Query parameter '{name}' may be given once.";
            return false;
        }

        value = values.ToString();
        return true;
    }

    public const string InvalidCode = ProtocolErrorCodes.InvalidField;
}
