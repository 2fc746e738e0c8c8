namespace RealtimeEvents.Reliability.Tests.TenantIsolation;

/// <summary>One generated <c>subscribe</c> and the outcome the oracle expects for it.</summary>
internal sealed record TenantSubscribeRequest(
    string Id,
    string Tenant,
    string Kind,
    IReadOnlyList<string>? Topics,
    IReadOnlyList<string>? Types,
    IReadOnlyDictionary<string, string>? Meta)
{
    public bool Allowed => TenantWorld.IsAllowed(Tenant, Topics);

    public object ToMessage() => new { op = "subscribe", id = Id, topics = Topics, types = Types, meta = Meta };

    public override string ToString() =>
        $"{Id} ({Tenant}, {Kind}): topics=[{(Topics is null ? "null" : string.Join(", ", Topics))}] "
        + $"types=[{(Types is null ? string.Empty : string.Join(", ", Types))}] "
        + $"meta=[{(Meta is null ? string.Empty : string.Join(", ", Meta.Select(kv => kv.Key + ":" + kv.Value)))}]";
}
