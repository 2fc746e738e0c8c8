using System.Runtime.CompilerServices;
using System.Security.Claims;
using Microsoft.Extensions.Logging;
using RealtimeEvents.AspNetCore.Internal;

namespace RealtimeEvents.AspNetCore.Connections;

/// <summary>What every transport connection has: identity, subscriptions, and a way to be closed from outside.</summary>
internal abstract class RealtimeConnection
{
    private readonly Lock _gate = new();
    private readonly ConditionalWeakTable<ISubscription, StrongBox<EventPosition>> _sentBySubscription = [];
    private EventPosition? _lastSent;

    protected RealtimeConnection(string id, string transport, ClaimsPrincipal user, string? remoteAddress, DateTimeOffset connectedAt,
        ILogger logger)
    {
        Subscriptions = new SubscriptionSet((subscription, exception) => Log.SubscriptionFailed(logger, id, subscription.Id, exception));
        Id = id;
        Transport = transport;
        User = user;
        RemoteAddress = remoteAddress;
        ConnectedAt = connectedAt;
    }

    public string Id { get; }

    /// <summary>Gets <c>websocket</c> or <c>sse</c>.</summary>
    public string Transport { get; }

    public ClaimsPrincipal User { get; }

    public string? RemoteAddress { get; }

    public DateTimeOffset ConnectedAt { get; }

    public SubscriptionSet Subscriptions { get; }

    /// <summary>
    /// Whether every subscription has sent everything up to <paramref name="target"/>: it has nothing left to read (no event,
    /// gap notice, end or history), or it already sent an event after <paramref name="target"/>, so everything before went
    /// out first. A subscription whose end was read has left the set.
    /// </summary>
    public bool IsFlushedThrough(EventPosition target) =>
        Subscriptions.Subscriptions.All(s => !s.HasPending || SentThrough(s, target));

    /// <summary>Records the last event sent for a subscription (the send loop's thread).</summary>
    protected void RecordSent(ISubscription subscription, EventPosition position)
    {
        _sentBySubscription.AddOrUpdate(subscription, new StrongBox<EventPosition>(position));
        RecordSent(position);
    }

    private bool SentThrough(ISubscription subscription, EventPosition target) =>
        _sentBySubscription.TryGetValue(subscription, out var sent)
        && string.Equals(sent.Value.Epoch, target.Epoch, StringComparison.Ordinal)
        && sent.Value.Sequence >= target.Sequence;

    /// <summary>Gets the position of the last event sent on this connection, if any.</summary>
    public EventPosition? LastSentPosition
    {
        get
        {
            lock (_gate)
            {
                return _lastSent;
            }
        }
    }

    protected void RecordSent(EventPosition position)
    {
        lock (_gate)
        {
            _lastSent = position;
        }
    }

    /// <summary>
    /// Called by the node's one timer a few times per heartbeat interval (instead of a timer per connection): refills the
    /// rate limit and wakes the send loop when a heartbeat is due.
    /// </summary>
    public abstract void OnTick();

    /// <summary>Closes the connection: with <paramref name="flush"/>, what is queued is sent first (within the shutdown flush timeout).</summary>
    /// <param name="status">The WebSocket close status.</param>
    /// <param name="description">The close description (at most 123 UTF-8 bytes); <see langword="null"/> for the last position sent, so the client can resume elsewhere.</param>
    /// <param name="flush">Whether queued events are sent first.</param>
    public abstract void Close(System.Net.WebSockets.WebSocketCloseStatus status, string? description, bool flush);
}
