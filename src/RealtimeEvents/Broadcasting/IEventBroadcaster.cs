namespace RealtimeEvents;

/// <summary>
/// Publishes events and hands out subscriptions. Transports (WebSocket, SSE, SignalR) and in-process consumers
/// subscribe here; each subscription has its own bounded queue, so a slow one never holds up the others.
/// </summary>
public interface IEventBroadcaster : IEventPublisher
{
    /// <summary>Gets the event log's newest position.</summary>
    EventPosition CurrentPosition { get; }

    /// <summary>Gets whether the dispatcher runs and how far it trails the log, for health checks.</summary>
    DispatcherStatus DispatcherStatus { get; }

    /// <summary>
    /// Completes once every event up to <paramref name="position"/> has been handed to the matching subscriptions' queues
    /// (immediately when the dispatcher is not running or has moved to another epoch). Transports use it to flush on shutdown.
    /// </summary>
    /// <param name="position">A position, usually <see cref="CurrentPosition"/> read earlier.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the dispatcher has routed <paramref name="position"/>.</returns>
    Task WaitForDispatchAsync(EventPosition position, CancellationToken cancellationToken = default);

    /// <summary>Gets the live subscriptions, for stats and management.</summary>
    IReadOnlyCollection<ISubscription> Subscriptions { get; }

    /// <summary>
    /// Subscribes. With <see cref="SubscriptionRequest.ResumeAfter"/> or <see cref="SubscriptionRequest.Snapshot"/>,
    /// the subscription first replays history (after the snapshot, if any) and then continues live with no gap and
    /// no duplicate, even while events are being published.
    /// </summary>
    /// <param name="request">What to subscribe to.</param>
    /// <param name="cancellationToken">Cancels subscribing (snapshot and first history read).</param>
    /// <returns>The subscription; dispose it to unsubscribe.</returns>
    /// <exception cref="SubscriptionRejectedException">The request is invalid, a snapshot is unavailable, or the broadcaster is shutting down; <see cref="SubscriptionRejectedException.Code"/> says which.</exception>
    ValueTask<ISubscription> SubscribeAsync(SubscriptionRequest request, CancellationToken cancellationToken = default);
}
