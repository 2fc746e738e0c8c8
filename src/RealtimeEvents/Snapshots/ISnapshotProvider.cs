namespace RealtimeEvents;

/// <summary>
/// Supplies the current state of topics that match the pattern it was registered for (see
/// <c>IRealtimeEventsBuilder.AddSnapshotProvider</c>), so a new subscriber gets state then deltas without a race.
/// </summary>
public interface ISnapshotProvider
{
    /// <summary>Returns the current state of <paramref name="topic"/> and the position it reflects.</summary>
    /// <param name="topic">An exact topic the subscriber named, or the topic pattern it named when that equals the registered pattern.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The snapshot.</returns>
    ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken);
}
