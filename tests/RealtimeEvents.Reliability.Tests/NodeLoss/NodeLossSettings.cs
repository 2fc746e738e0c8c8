namespace RealtimeEvents.Reliability.Tests.NodeLoss;

/// <summary>
/// The size of a node-loss run. CI mode kills node A once; the long mode (<c>REALTIME_RELIABILITY_MODE=long</c>, for
/// docs/reliability.md) kills A, B, A, ... in turn, restarting each killed node and moving its clients back to it.
/// </summary>
internal sealed record NodeLossSettings(int Clients, int Topics, int TopicsPerClient, int Events, int EventsPerSecond, int Kills, TimeSpan Deadline)
{
    public static NodeLossSettings For(bool isLong) => isLong
        ? new NodeLossSettings(Clients: 40, Topics: 8, TopicsPerClient: 2, Events: 60_000, EventsPerSecond: 250, Kills: 6, Deadline: TimeSpan.FromMinutes(9))
        : new NodeLossSettings(Clients: 30, Topics: 6, TopicsPerClient: 2, Events: 1_500, EventsPerSecond: 150, Kills: 1, Deadline: TimeSpan.FromSeconds(35));
}
