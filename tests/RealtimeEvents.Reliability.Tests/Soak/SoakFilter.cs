using System.Globalization;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// A soak subscriber's filter, kept on the client so it can tell which of the plan's events it should receive: exact
/// topics or a pattern, type patterns, a minimum priority and a tenant meta entry.
/// </summary>
internal sealed class SoakFilter
{
    private static readonly string[][] TypeChoices = [["task.*"], ["*.progress"], ["agent.*", "execution.*"], ["*.failed", "task.completed"]];

    private readonly bool[] _topics;

    private SoakFilter(int topics, int[] exact, string? pattern, string[]? types, EventPriority? minPriority, string? tenant)
    {
        _topics = new bool[topics];
        foreach (var topic in exact)
        {
            _topics[topic] = true;
        }

        if (pattern is not null)
        {
            Array.Fill(_topics, true);
        }

        Exact = exact;
        Pattern = pattern;
        Types = types;
        MinPriority = minPriority;
        Tenant = tenant;
    }

    public int[] Exact { get; }

    /// <summary>Gets <c>soak/t/*</c> or <c>soak/**</c>, or null for exact topics.</summary>
    public string? Pattern { get; }

    public string[]? Types { get; }

    public EventPriority? MinPriority { get; }

    public string? Tenant { get; }

    public string[] TopicList => Pattern is null ? [.. Exact.Select(SoakPlan.Topic)] : [Pattern];

    /// <summary>A filter for a well-behaved client: mostly a few exact topics, sometimes a pattern narrowed by type or priority.</summary>
    public static SoakFilter Random(Random random, int topics)
    {
        var kind = random.Next(10);
        var exact = kind < 7
            ? [.. Enumerable.Range(0, topics).OrderBy(_ => random.Next()).Take(1 + random.Next(3))]
            : Array.Empty<int>();
        var pattern = kind switch
        {
            < 7 => null,
            < 9 => SoakPlan.TopicPrefix + "*",
            _ => "soak/**",
        };

        // A pattern over every topic is narrowed, so that no one well-behaved client takes the whole stream.
        var narrow = pattern is not null;
        var types = narrow || random.Next(3) == 0 ? TypeChoices[random.Next(TypeChoices.Length)] : null;
        EventPriority? minPriority = narrow || random.Next(3) == 0 ? (EventPriority)random.Next(1, 4) : null;
        var tenant = random.Next(4) == 0 ? (random.Next(2) == 0 ? "acme" : "globex") : null;
        return new SoakFilter(topics, exact, pattern, types, minPriority, tenant);
    }

    /// <summary>The slow reader's filter: every soak topic, nothing narrowed.</summary>
    public static SoakFilter Everything(int topics) => new(topics, [], "soak/**", null, null, null);

    public bool Covers(int topic) => topic >= 0 && topic < _topics.Length && _topics[topic];

    public bool Matches(SoakPlan plan, int topic, long n)
    {
        if (!Covers(topic) || (MinPriority is { } min && plan.Priority(topic, n) < min))
        {
            return false;
        }

        if (Tenant is not null && !string.Equals(plan.Tenant(topic, n), Tenant, StringComparison.Ordinal))
        {
            return false;
        }

        return Types is null || Types.Any(pattern => TypeMatches(pattern, plan.Type(topic, n)));
    }

    /// <summary>The WebSocket <c>subscribe</c> message.</summary>
    public object ToSubscribe(string id, string? resumeAfter, bool snapshot) => new
    {
        op = "subscribe",
        id,
        topics = TopicList,
        types = Types,
        minPriority = MinPriority is { } p ? PriorityNames.ToWire(p) : null,
        meta = Tenant is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { ["tenant"] = Tenant },
        resumeAfter,
        snapshot = snapshot ? true : (bool?)null,
    };

    /// <summary>The SSE query string.</summary>
    public string ToQuery(string id)
    {
        var parts = new List<string> { "id=" + Uri.EscapeDataString(id) };
        parts.AddRange(TopicList.Select(t => "topic=" + Uri.EscapeDataString(t)));
        parts.AddRange((Types ?? []).Select(t => "type=" + Uri.EscapeDataString(t)));
        if (MinPriority is { } p)
        {
            parts.Add("minPriority=" + PriorityNames.ToWire(p));
        }

        if (Tenant is not null)
        {
            parts.Add("meta=" + Uri.EscapeDataString("tenant:" + Tenant));
        }

        return string.Join('&', parts);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"topics [{string.Join(',', TopicList)}] types [{string.Join(',', Types ?? [])}] min {MinPriority} tenant {Tenant}");

    private static bool TypeMatches(string pattern, string type)
    {
        var p = pattern.Split('.');
        var t = type.Split('.');
        return p.Length == t.Length && p.Zip(t).All(pair => pair.First == "*" || pair.First == pair.Second);
    }
}
