namespace RealtimeEvents;

/// <summary>
/// One subscriber's view of the event stream: matching events in log order, with in-band notices of anything it
/// missed. Read it with <see cref="WaitToReadAsync"/> and <see cref="TryRead"/> (one reader at a time), or
/// <see cref="ReadAllAsync"/>. Dispose it to unsubscribe; everything it holds is released.
/// </summary>
public interface ISubscription : IAsyncDisposable, IDisposable
{
    /// <summary>Gets the subscription id: the request's id, or a generated one.</summary>
    string Id { get; }

    /// <summary>Gets the filter built from the request.</summary>
    EventFilter Filter { get; }

    /// <summary>
    /// Gets whether the first history read of the requested resume (or snapshot) was complete; <see langword="null"/> when
    /// none was requested. Anything lost later during a long replay arrives as a <see cref="SubscriptionItemKind.Gap"/> item.
    /// </summary>
    ResumeStatus? Resume { get; }

    /// <summary>
    /// Gets the position the subscription starts after: the resume position (or the snapshot's), or the log's position when
    /// it was created. Every matching event after it is delivered or announced as missed, so a subscriber that has not
    /// received an event yet can resume from here without losing any.
    /// </summary>
    EventPosition StartPosition { get; }

    /// <summary>Gets a value indicating whether the subscription is still replaying history before it goes live.</summary>
    bool IsReplaying { get; }

    /// <summary>
    /// Gets a value indicating whether anything waits to be read: events, a gap notice, a snapshot, the end, or history
    /// still to replay. A transport that flushes on shutdown is done with this subscription when it is <see langword="false"/>.
    /// </summary>
    bool HasPending { get; }

    /// <summary>Gets the snapshots delivered first, when the request asked for them; empty otherwise.</summary>
    IReadOnlyList<EventSnapshot> Snapshots { get; }

    /// <summary>Gets when the subscription was created.</summary>
    DateTimeOffset CreatedAt { get; }

    /// <summary>Gets how many events wait in the queue now.</summary>
    int QueueDepth { get; }

    /// <summary>Gets how many events were dropped because the queue was full.</summary>
    long DroppedCount { get; }

    /// <summary>Gets how many events were superseded by a newer event with the same conflation key.</summary>
    long ConflatedCount { get; }

    /// <summary>Gets how many events were read by the subscriber.</summary>
    long DeliveredCount { get; }

    /// <summary>Gets how long the oldest waiting event has waited; <see cref="TimeSpan.Zero"/> when the queue is empty.</summary>
    TimeSpan OldestPendingAge { get; }

    /// <summary>Gets why the subscription ended, or <see langword="null"/> while it is active.</summary>
    SubscriptionEndReason? EndReason { get; }

    /// <summary>Waits until an item can be read; returns <see langword="false"/> once the subscription has ended and everything was read.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when <see cref="TryRead"/> may return an item.</returns>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads the next item without waiting.</summary>
    /// <param name="item">The item: an event, a gap notice, a snapshot, or the end.</param>
    /// <returns><see langword="true"/> when an item was read.</returns>
    bool TryRead(out SubscriptionItem item);

    /// <summary>Reads every item as it arrives until the subscription ends.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The items in order.</returns>
    IAsyncEnumerable<SubscriptionItem> ReadAllAsync(CancellationToken cancellationToken = default);
}
