using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using RealtimeEvents.AspNetCore.Internal;

namespace RealtimeEvents.AspNetCore.Connections;

/// <summary>
/// What every transport connection has: identity, subscriptions, heartbeats, and a close that can be asked for from any
/// thread (client, shutdown, administrator, abuse) and always ends in bounded time.
/// </summary>
internal abstract class RealtimeConnection
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _aborted = new();
    private readonly ConditionalWeakTable<ISubscription, StrongBox<EventPosition>> _sentBySubscription = [];
    private EventPosition? _lastSent;
    private CloseRequest? _close;
    private ITimer? _closeDeadline;
    private bool _finished;
    private long _lastSendTimestamp;

    protected RealtimeConnection(string transport, ClaimsPrincipal user, string? remoteAddress, ConnectionManager manager)
    {
        Id = ConnectionManager.NewConnectionId();
        Transport = transport;
        User = user;
        RemoteAddress = remoteAddress;
        Manager = manager;
        Options = manager.Options;
        ConnectedAt = manager.Time.GetUtcNow();
        _lastSendTimestamp = manager.Time.GetTimestamp();
        var id = Id;
        Subscriptions = new SubscriptionSet((subscription, exception) => Log.SubscriptionFailed(manager.Logger, id, subscription.Id, exception));
        Aborted = _aborted.Token;
    }

    public string Id { get; }

    /// <summary>Gets <c>websocket</c>, <c>sse</c> or <c>signalr</c>.</summary>
    public string Transport { get; }

    public ClaimsPrincipal User { get; }

    public string? RemoteAddress { get; }

    public DateTimeOffset ConnectedAt { get; }

    public SubscriptionSet Subscriptions { get; }

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

    protected ConnectionManager Manager { get; }

    /// <summary>
    /// Gets the connection's lock for short bookkeeping (close, last sent, queued replies); it is never held across an await
    /// or a call out, so a subclass may share it instead of paying for a lock of its own on every connection.
    /// </summary>
    protected Lock Gate => _gate;

    protected RealtimeEventsTransportOptions Options { get; }

    /// <summary>Gets a token that fires when the connection is aborted: the socket failed, or a close ran out of time.</summary>
    protected CancellationToken Aborted { get; }

    /// <summary>Gets the close asked for, if any.</summary>
    protected CloseRequest? PendingClose
    {
        get
        {
            lock (_gate)
            {
                return _close;
            }
        }
    }

    /// <summary>Gets a value indicating whether the connection sends heartbeats of its own (SignalR has its keep-alive pings).</summary>
    protected virtual bool SendsHeartbeats => true;

    /// <summary>Gets a value indicating whether nothing was sent for a heartbeat interval.</summary>
    protected bool IsHeartbeatDue => Manager.Time.GetElapsedTime(Volatile.Read(ref _lastSendTimestamp)) >= Options.HeartbeatInterval;

    /// <summary>
    /// Called by the node's one timer a few times per heartbeat interval (instead of a timer per connection): wakes the
    /// send loop when a heartbeat is due.
    /// </summary>
    public virtual void OnTick()
    {
        if (SendsHeartbeats && IsHeartbeatDue)
        {
            Subscriptions.Wake();
        }
    }

    /// <summary>
    /// Closes the connection; the first call wins. With <paramref name="flush"/>, what is queued is sent first, within the
    /// shutdown flush timeout. Either way the connection is aborted if the close has not finished in time.
    /// </summary>
    /// <param name="status">The WebSocket close status.</param>
    /// <param name="description">The close description (at most 123 UTF-8 bytes); <see langword="null"/> for a position to resume from.</param>
    /// <param name="flush">Whether queued events are sent first.</param>
    public void Close(WebSocketCloseStatus status, string? description, bool flush)
    {
        lock (_gate)
        {
            if (_close is not null || _finished)
            {
                return;
            }

            _close = new CloseRequest(status, description, flush, Manager.Time.GetTimestamp(), Manager.Broadcaster.CurrentPosition);
            // Bounds the whole close, even when a stalled client keeps the send loop from ever reaching the end.
            _closeDeadline = Manager.Time.CreateTimer(static state => ((RealtimeConnection)state!).Abort(), this,
                (flush ? Options.ShutdownFlushTimeout : TimeSpan.Zero) + Options.CloseTimeout, Timeout.InfiniteTimeSpan);
        }

        Subscriptions.Wake();
    }

    /// <summary>Whether every subscription has sent everything up to <paramref name="target"/> (see <see cref="IsFlushedThrough"/>).</summary>
    public bool IsFlushedThrough(EventPosition target) =>
        Subscriptions.Subscriptions.All(s => !s.HasPending || SentThrough(s, target));

    /// <summary>Stops the connection's loops at once.</summary>
    protected void Abort()
    {
        lock (_gate)
        {
            if (!_finished)
            {
                _aborted.Cancel();
            }
        }
    }

    /// <summary>Releases what the connection holds; called once, when both loops have ended.</summary>
    protected void Finish()
    {
        lock (_gate)
        {
            _finished = true;
            _closeDeadline?.Dispose();
            _aborted.Dispose();
        }

        Subscriptions.Dispose();
    }

    protected void MarkSent() => Volatile.Write(ref _lastSendTimestamp, Manager.Time.GetTimestamp());

    /// <summary>Records the last event sent for a subscription (on the send loop's thread).</summary>
    protected void RecordSent(ISubscription subscription, EventPosition position)
    {
        _sentBySubscription.AddOrUpdate(subscription, new StrongBox<EventPosition>(position));
        lock (_gate)
        {
            _lastSent = position;
        }
    }

    /// <summary>
    /// On shutdown: waits (up to the flush timeout) until the dispatcher has routed everything published before the close,
    /// then sends until every subscription has sent everything up to that position. Returns whether it got there in time.
    /// </summary>
    /// <param name="close">The close, with its target position.</param>
    /// <param name="sendAvailable">Sends what the subscriptions hold now; returns <see langword="true"/> when the stream has ended.</param>
    /// <param name="token">The connection's abort token.</param>
    protected async ValueTask<bool> FlushAsync(CloseRequest close, Func<ValueTask<bool>> sendAvailable, CancellationToken token)
    {
        var remaining = Options.ShutdownFlushTimeout - Manager.Time.GetElapsedTime(close.Requested);
        using var deadline = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Manager.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, deadline.Token);
        try
        {
            await Manager.Broadcaster.WaitForDispatchAsync(close.Target, linked.Token).ConfigureAwait(false);
            while (true)
            {
                var ended = await sendAvailable().ConfigureAwait(false);
                if (ended || IsFlushedThrough(close.Target))
                {
                    return true;
                }

                await Subscriptions.WaitToReadAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
        {
            return false; // flush time is up: close with what was sent
        }
    }

    /// <summary>
    /// A subscription has sent everything up to <paramref name="target"/> once it sent an event after it: whatever came
    /// before (events or the notice of their loss) went out first.
    /// </summary>
    private bool SentThrough(ISubscription subscription, EventPosition target) =>
        _sentBySubscription.TryGetValue(subscription, out var sent)
        && string.Equals(sent.Value.Epoch, target.Epoch, StringComparison.Ordinal)
        && sent.Value.Sequence >= target.Sequence;
}
