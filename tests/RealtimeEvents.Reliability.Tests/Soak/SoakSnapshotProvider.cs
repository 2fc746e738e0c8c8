using System.Globalization;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>The state of a soak topic for a snapshot: <c>{"n": last claimed}</c>, at a position read first (docs/protocol.md, Snapshots).</summary>
internal sealed class SoakSnapshotProvider(IEventBroadcaster broadcaster, long[] claimed) : ISnapshotProvider
{
    public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken)
    {
        var position = broadcaster.CurrentPosition;
        var n = Volatile.Read(ref claimed[SoakPlan.TopicIndex(topic)]);
        return ValueTask.FromResult(new EventSnapshot(topic, EventData.FromJson(string.Create(CultureInfo.InvariantCulture, $$"""{"n":{{n}}}""")), position));
    }
}
