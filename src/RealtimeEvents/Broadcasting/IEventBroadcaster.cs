namespace RealtimeEvents;

/// <summary>
/// Publishes events and hands out subscriptions. Transports (WebSocket, SSE, SignalR) and in-process consumers
/// subscribe here; each subscription has its own bounded queue, so a slow one never holds up the others.
/// </summary>
public interface IEventBroadcaster : IEventPublisher
{
    /// <summary>Gets the event log's newest position.</summary>
    EventPosition CurrentPosition { get; }

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
