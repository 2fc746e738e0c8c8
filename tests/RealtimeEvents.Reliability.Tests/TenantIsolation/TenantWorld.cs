namespace RealtimeEvents.Reliability.Tests.TenantIsolation;

/// <summary>
/// The tenants, the topics events are published to, and an oracle written from the documented rules rather than from the
/// library's code: which subscription a tenant may make, and which events a subscription should receive.
/// </summary>
internal static class TenantWorld
{
    public static readonly string[] Tenants = ["acme", "globex", "initech"];

    public static readonly string[] EventTypes = ["task.progress", "task.failed", "execution.started", "execution.completed"];

    /// <summary>Topics that belong to no tenant but look like they might: prefixes, neighbours, the root itself.</summary>
    public static readonly string[] OutsideTopics =
    [
        "tenants", "tenants/acmecorp/runs/r1", "tenants/acme-old/x", "tenants/globex2/runs/r1", "tenants/initech.old/x",
        "acme/runs/r1", "globex/x", "global/news", "x/acme/y", "runs/tenants/acme", "Tenants/acme/x", "tenants/ACME/x",
    ];

    /// <summary>Topics under <c>tenants/{tenant}</c>, including the prefix itself, which <c>tenants/{tenant}/**</c> matches.</summary>
    public static string[] OwnTopics(string tenant) =>
    [
        $"tenants/{tenant}", $"tenants/{tenant}/x", $"tenants/{tenant}/runs/r1", $"tenants/{tenant}/runs/r2",
        $"tenants/{tenant}/runs/r1/x", $"tenants/{tenant}/jobs/x", $"tenants/{tenant}/jobs/j1/steps/s1", $"tenants/{tenant}/a/b/c/x",
        $"tenants/{tenant}/tenants/globex/x", $"tenants/{tenant}/../globex/x",
    ];

    public static IEnumerable<string> AllTopics() => Tenants.SelectMany(OwnTopics).Concat(OutsideTopics);

    /// <summary>Whether <paramref name="topic"/> is <c>tenants/{tenant}</c> or under it, segment by segment.</summary>
    public static bool IsTenantTopic(string topic, string tenant)
    {
        var segments = topic.Split('/');
        return segments.Length >= 2 && segments[0] == "tenants" && segments[1] == tenant;
    }

    /// <summary>
    /// The documented tenant rule (docs/protocol.md, "Each subscription"): a subscription is allowed only when it names
    /// topics and every one of them can only match topics under <c>tenants/{tenant}</c>. Wildcards are whole segments, so
    /// an entry is confined exactly when its first two segments are literally <c>tenants</c> and the tenant.
    /// </summary>
    public static bool IsAllowed(string tenant, IReadOnlyList<string>? topics) =>
        topics is { Count: > 0 } && topics.All(entry => IsTenantTopic(entry, tenant));

    /// <summary>
    /// Whether an event matches a subscription: any topic entry matches (<c>*</c> one segment, a final <c>**</c> any
    /// number including none), any type pattern matches (none: every type), and every meta entry is carried.
    /// </summary>
    public static bool Matches(TenantSubscribeRequest request, string topic, string type, IReadOnlyDictionary<string, string> meta) =>
        (request.Topics is not { Count: > 0 } || request.Topics.Any(p => TopicMatches(p.Split('/'), 0, topic.Split('/'), 0)))
        && (request.Types is not { Count: > 0 } || request.Types.Any(p => TypeMatches(p, type)))
        && (request.Meta is null || request.Meta.All(kv => meta.TryGetValue(kv.Key, out var v) && v == kv.Value));

    private static bool TopicMatches(string[] pattern, int p, string[] topic, int t)
    {
        if (p == pattern.Length)
        {
            return t == topic.Length;
        }

        if (pattern[p] == "**")
        {
            return true;
        }

        return t < topic.Length && (pattern[p] == "*" || pattern[p] == topic[t]) && TopicMatches(pattern, p + 1, topic, t + 1);
    }

    private static bool TypeMatches(string pattern, string type)
    {
        if (pattern == "*")
        {
            return true;
        }

        var p = pattern.Split('.');
        var t = type.Split('.');
        return p.Length == t.Length && p.Zip(t).All(pair => pair.First == "*" || pair.First == pair.Second);
    }
}
