namespace RealtimeEvents.Reliability.Tests.TenantIsolation;

/// <summary>
/// A seeded generator of subscribe requests for one tenant: its own topics and patterns, other tenants' topics,
/// patterns that reach across tenants, look-alike prefixes, no topics at all, and mixes of allowed and forbidden entries,
/// each with or without type and meta filters.
/// </summary>
internal sealed class TenantSubscriptionGenerator(Random random)
{
    private static readonly string[] OwnPatterns =
        ["tenants/{0}/**", "tenants/{0}/*/x", "tenants/{0}/runs/*", "tenants/{0}/runs/**", "tenants/{0}/*", "tenants/{0}/*/*/steps/*", "tenants/{0}/jobs/**", "tenants/{0}/*/*/*/*"];

    private static readonly string[] CrossPatterns =
    [
        "tenants/*/runs/**", "**", "*", "tenants/**", "tenants/*", "*/acme/**", "*/{0}/**", "*/*/runs/*", "tenants/*/x", "*/*/**",
        "tenants/*/runs/r1", "*/{0}", "tenants/*/*/*/steps/*",
    ];

    private static readonly string[] LookAlikes =
        ["tenants/{0}corp/**", "tenants/{0}-old/x", "{0}/runs/r1", "{0}/**", "tenants", "Tenants/{0}/**", "tenants/{0}2/*", "runs/tenants/{0}"];

    private static readonly string[] TypePatterns = ["task.*", "*.failed", "execution.started", "*", "*.progress", "execution.*", "agent.*"];

    private int _next;

    public TenantSubscribeRequest Next(string tenant)
    {
        var other = Pick(TenantWorld.Tenants.Where(t => t != tenant).ToArray());
        var kind = random.Next(9) switch
        {
            0 => "own-exact",
            1 or 2 => "own-pattern",
            3 => "other-exact",
            4 => "other-pattern",
            5 => "cross-pattern",
            6 => "look-alike",
            7 => "everything",
            _ => "mixed",
        };
        List<string>? topics = kind switch
        {
            "own-exact" => Several(() => OwnTopic(tenant)),
            "own-pattern" => Several(() => Format(Pick(OwnPatterns), tenant)),
            "other-exact" => [OwnTopic(other)],
            "other-pattern" => [Format(Pick(OwnPatterns), other)],
            "cross-pattern" => [Format(Pick(CrossPatterns), tenant)],
            "look-alike" => [Format(Pick(LookAlikes), tenant)],
            "everything" => random.Next(2) == 0 ? null : [],
            _ => Mixed(tenant, other),
        };

        List<string>? types = random.Next(10) < 3 ? Several(() => Pick(TypePatterns)) : null;
        Dictionary<string, string>? meta = random.Next(10) < 2
            ? random.Next(2) == 0 ? new() { ["region"] = Pick(["eu", "us"]) } : new() { ["tenant"] = Pick(TenantWorld.Tenants) }
            : null;
        return new TenantSubscribeRequest($"{tenant}-{_next++}", tenant, kind, topics, types, meta);
    }

    private string OwnTopic(string tenant) =>
        random.Next(3) == 0 ? $"tenants/{tenant}/runs/r{random.Next(1, 4)}" : Pick(TenantWorld.OwnTopics(tenant));

    private List<string> Mixed(string tenant, string other)
    {
        // One forbidden entry hidden among allowed ones must still forbid the whole subscription.
        var topics = Several(() => random.Next(2) == 0 ? OwnTopic(tenant) : Format(Pick(OwnPatterns), tenant));
        var forbidden = random.Next(3) switch
        {
            0 => OwnTopic(other),
            1 => Format(Pick(CrossPatterns), tenant),
            _ => Format(Pick(LookAlikes), tenant),
        };
        topics.Insert(random.Next(topics.Count + 1), forbidden);
        return topics;
    }

    private List<string> Several(Func<string> item)
    {
        var list = new List<string>();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            list.Add(item());
        }

        return list.Distinct().ToList();
    }

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];

    private static string Format(string pattern, string tenant) => pattern.Replace("{0}", tenant, StringComparison.Ordinal);
}
