namespace RealtimeEvents;

/// <summary>The dispatcher's state, for health checks: whether it runs, and how far it trails the event log.</summary>
/// <param name="IsRunning">Whether the dispatch loop is running.</param>
/// <param name="DispatchedPosition">The position of the last event routed to subscriptions.</param>
/// <param name="LogPosition">The event log's newest position.</param>
/// <param name="ConsecutiveFailures">How many dispatch passes in a row failed (the log threw); 0 when healthy.</param>
public readonly record struct DispatcherStatus(bool IsRunning, EventPosition DispatchedPosition, EventPosition LogPosition, int ConsecutiveFailures)
{
    /// <summary>
    /// Gets how many events the dispatcher trails the log by; <see langword="null"/> when the two positions belong to
    /// different epochs (the log was replaced and the dispatcher has not caught up with that yet).
    /// </summary>
    public long? Lag => string.Equals(DispatchedPosition.Epoch, LogPosition.Epoch, StringComparison.Ordinal)
        ? Math.Max(0, LogPosition.Sequence - DispatchedPosition.Sequence)
        : null;
}
