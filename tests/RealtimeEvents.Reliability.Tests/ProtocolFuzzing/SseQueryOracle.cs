namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>What docs/protocol.md ("Server-Sent Events") says a request gets: a stream, or an HTTP error with a code.</summary>
/// <param name="Status">200, the error's status, or Kestrel's 414 or 431 (its own limits, which have no JSON body).</param>
/// <param name="Code">The error code of the JSON body; null for a stream or a Kestrel rejection.</param>
/// <param name="Id">The subscription id <c>subscribed</c> must carry.</param>
/// <param name="Resumes">The allowed values of <c>subscribed.resume</c> (null for no resume).</param>
/// <param name="Position">The <c>subscribed.position</c> required, when the docs fix it (it is <c>resumeAfter</c>).</param>
/// <param name="Snapshot">Whether <c>subscribed</c> must carry snapshots.</param>
internal sealed record SseExpectation(int Status, string? Code, string? Id, string?[] Resumes, string? Position, bool Snapshot)
{
    public static SseExpectation Error(int status, string code) => new(status, code, null, [], null, false);

    public override string ToString() => Status switch
    {
        200 => $"200 stream id '{Id}' resume [{string.Join(",", Resumes.Select(r => r ?? "null"))}]{(Position is null ? string.Empty : " position " + Position)}{(Snapshot ? " with snapshots" : string.Empty)}",
        414 or 431 => $"{Status} from Kestrel",
        _ => $"{Status} {Code}",
    };
}

/// <summary>
/// The oracle of the SSE fuzzer, from the documentation: the query is decoded as any form-urlencoded query is (names
/// case-insensitive, <c>+</c> a space, percent escapes that are not valid UTF-8 left as they are), then checked in the
/// documented order: malformed parameters (<c>invalid_field</c>), then the subscription's rules and limits
/// (<c>invalid_subscription</c>), then snapshots. The host serves snapshots for <c>snap/**</c>, and fails them for <c>snapfail/**</c>.
/// </summary>
internal static class SseQueryOracle
{
    /// <summary>Kestrel's default <c>MaxRequestLineSize</c> (8 KiB) and <c>MaxRequestHeadersTotalSize</c> (32 KiB).</summary>
    public const int MaxRequestLine = 8 * 1024;
    public const int MaxHeaders = 32 * 1024;

    public static SseExpectation Expect(string wirePathAndQuery, string? lastEventId, string epoch, long seqAtSend)
    {
        // Kestrel's own answers (docs/protocol.md, Server-Sent Events), without the JSON body; the request line first.
        if ("GET ".Length + wirePathAndQuery.Length + " HTTP/1.1\r\n".Length > MaxRequestLine)
        {
            return new SseExpectation(414, null, null, [], null, false);
        }

        if (lastEventId?.Length > MaxHeaders)
        {
            return new SseExpectation(431, null, null, [], null, false);
        }

        var query = Decode(wirePathAndQuery);
        List<string> Values(string name) => [.. query.Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Select(p => p.Value)];

        const string invalidField = "invalid_field";
        const string invalidSubscription = "invalid_subscription";

        // 1. Malformed parameters. Parameters that name one value may be given once.
        string? resume = null;
        if (!string.IsNullOrEmpty(lastEventId))
        {
            resume = lastEventId;
        }
        else
        {
            var since = Values("since");
            if (since.Count > 1)
            {
                return SseExpectation.Error(400, invalidField);
            }

            resume = since.Count == 1 && since[0].Length > 0 ? since[0] : null;
        }

        string resumeEpoch = string.Empty;
        long resumeSeq = 0;
        if (resume is not null && !SseDocumentedRules.TryParsePosition(resume, out resumeEpoch, out resumeSeq))
        {
            return SseExpectation.Error(400, invalidField);
        }

        var snapshotValues = Values("snapshot");
        var ids = Values("id");
        var priorities = Values("minPriority");
        var metas = Values("meta");
        if (snapshotValues.Count > 1 || ids.Count > 1 || priorities.Count > 1
            || snapshotValues.Count == 1 && !(snapshotValues[0].Equals("true", StringComparison.OrdinalIgnoreCase) || snapshotValues[0].Equals("false", StringComparison.OrdinalIgnoreCase))
            || priorities.Count == 1 && !SseDocumentedRules.IsPriority(priorities[0])
            || metas.Exists(m => m.IndexOf(':', StringComparison.Ordinal) <= 0))
        {
            return SseExpectation.Error(400, invalidField);
        }

        var snapshot = snapshotValues.Count == 1 && snapshotValues[0].Equals("true", StringComparison.OrdinalIgnoreCase);
        var id = ids.Count == 1 ? ids[0] : "sse";

        // 2. The subscription's rules and limits.
        var topics = Values("topic").Distinct(StringComparer.Ordinal).ToList();
        var types = Values("type").Distinct(StringComparer.Ordinal).ToList();
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in metas)
        {
            var colon = m.IndexOf(':', StringComparison.Ordinal);
            meta[m[..colon]] = m[(colon + 1)..];
        }

        if (id.Length is 0 or > SseDocumentedRules.MaxIdLength
            || topics.Exists(t => t.Contains('*', StringComparison.Ordinal) ? !SseDocumentedRules.IsTopicPattern(t) : !SseDocumentedRules.IsTopic(t))
            || topics.Count > SseDocumentedRules.MaxTopics
            || types.Exists(t => !SseDocumentedRules.IsTypePattern(t))
            || types.Count > SseDocumentedRules.MaxTypes
            || meta.Count > SseDocumentedRules.MaxMeta
            || meta.Any(kv => kv.Key.Length > 64 || kv.Value.Length > 1024))
        {
            return SseExpectation.Error(400, invalidSubscription);
        }

        // 3. Snapshots: the first provider that serves a requested topic (or the pattern's own text) is asked.
        if (snapshot)
        {
            var requested = topics.Count == 0 ? ["**"] : topics;
            if (requested.Exists(t => Serves("snapfail", t)))
            {
                return SseExpectation.Error(500, "snapshot_failed");
            }

            return requested.Exists(t => Serves("snap", t))
                ? new SseExpectation(200, null, id, ["complete"], null, true)
                : SseExpectation.Error(400, "snapshot_unavailable");
        }

        if (resume is null)
        {
            return new SseExpectation(200, null, id, [null], null, false);
        }

        var position = resumeEpoch + ":" + resumeSeq.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return resumeEpoch != epoch || resumeSeq > seqAtSend
            ? new SseExpectation(200, null, id, ["epoch_changed"], position, false)
            : new SseExpectation(200, null, id, ["complete", "truncated"], position, false);
    }

    /// <summary>A provider registered for <c>{root}/**</c> serves the exact topics under <c>root</c> and the pattern's own text.</summary>
    private static bool Serves(string root, string topic) =>
        topic == root + "/**"
        || !topic.Contains('*', StringComparison.Ordinal) && (topic == root || topic.StartsWith(root + "/", StringComparison.Ordinal));

    /// <summary>application/x-www-form-urlencoded decoding: <c>&amp;</c>-separated, split at the first <c>=</c>, <c>+</c> is a space.</summary>
    private static List<(string Name, string Value)> Decode(string pathAndQuery)
    {
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var result = new List<(string, string)>();
        if (q < 0)
        {
            return result;
        }

        foreach (var part in pathAndQuery[(q + 1)..].Split('&'))
        {
            if (part.Length == 0)
            {
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? string.Empty : part[(eq + 1)..];
            result.Add((Unescape(name), Unescape(value)));
        }

        return result;
    }

    private static string Unescape(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
