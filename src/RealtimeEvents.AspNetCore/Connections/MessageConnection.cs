using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Threading.RateLimiting;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.Connections;

/// <summary>
/// A connection that carries protocol messages both ways (WebSocket, SignalR): requests from the client, and one send
/// loop (the only writer) that sends replies first, then drains the connection's subscriptions in batches, one message
/// per batch.
/// </summary>
/// <remarks>
/// Replies (<c>subscribed</c>, <c>error</c>, <c>pong</c>...) wait in a small queue and are always sent before the next
/// data message, so <c>subscribed</c> precedes the subscription's first event and <c>unsubscribed</c> follows its last.
/// A stalled client blocks only its own send loop; its subscriptions' bounded queues drop the oldest and tell it so.
/// A transport supplies how one message is sent and how the connection ends.
/// </remarks>
internal abstract class MessageConnection : RealtimeConnection
{
    private const int MaxPendingReplies = 256;

    private readonly TokenBucketRateLimiter _rateLimiter;
    private readonly PooledBufferWriter _output = new();
    private readonly List<RealtimeEvent> _batch = [];
    private Queue<Reply>? _replies; // under Gate; created by the first reply and dropped once drained: idle connections hold none
    private int _pendingReplies;
    private int _violations;
    private volatile bool _sendLoopEnded;

    protected MessageConnection(string transport, ClaimsPrincipal user, string? remoteAddress, ConnectionManager manager)
        : base(transport, user, remoteAddress, manager)
    {
        _rateLimiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Options.MessageBurst,
            TokensPerPeriod = Options.MessagesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = false, // refilled from the node's timer (OnTick), not a timer per connection
        });
    }

    /// <summary>
    /// Gets the position every subscription was flushed through when a shutdown flush completed: each can resume from the
    /// later of it and its own last event.
    /// </summary>
    protected EventPosition? FlushedThrough { get; private set; }

    /// <summary>Gets a value indicating whether client requests are still handled: not once a close is under way.</summary>
    protected bool AcceptsRequests => PendingClose is null && !_sendLoopEnded;

    public override void OnTick()
    {
        _rateLimiter.TryReplenish(); // adds MessagesPerSecond per second since the last call, pro rata, up to the burst
        base.OnTick();
    }

    /// <summary>Sends one protocol message; <paramref name="utf8Json"/> is only valid until the returned task completes.</summary>
    /// <param name="op">The message's op (SignalR's method name).</param>
    /// <param name="utf8Json">The message.</param>
    /// <param name="token">The connection's abort token.</param>
    protected abstract ValueTask SendMessageAsync(string op, ReadOnlyMemory<byte> utf8Json, CancellationToken token);

    /// <summary>Ends the transport once the send loop has finished for <paramref name="close"/> (replies sent, flush done).</summary>
    protected abstract ValueTask CloseTransportAsync(CloseRequest close);

    /// <summary>Sends a heartbeat when nothing was sent for a heartbeat interval; transports with their own keep-alive send nothing.</summary>
    protected virtual ValueTask SendHeartbeatAsync(CancellationToken token) => default;

    /// <summary>Runs the send loop until a close is asked for (and done) or the connection is aborted.</summary>
    protected async Task SendLoopAsync()
    {
        var token = Aborted;
        try
        {
            while (true)
            {
                await Subscriptions.WaitToReadAsync(token).ConfigureAwait(false);
                var close = PendingClose;
                if (close is { Flush: false })
                {
                    break;
                }

                if (close is not null)
                {
                    if (await FlushAsync(close, () => SendAllAsync(close, token), token).ConfigureAwait(false))
                    {
                        FlushedThrough = close.Target; // every matching event up to here went out (or was announced as missed)
                    }

                    break;
                }

                await SendRepliesAsync(token).ConfigureAwait(false);
                await SendAvailableAsync(null, token).ConfigureAwait(false);
                if (IsHeartbeatDue)
                {
                    await SendHeartbeatAsync(token).ConfigureAwait(false);
                }
            }

            await SendRepliesAsync(token).ConfigureAwait(false);
            await CloseTransportAsync(PendingClose!).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            Abort(); // the connection is gone: stop receiving too
        }
        catch (Exception ex)
        {
            Log.ConnectionFailed(Manager.Logger, Id, ex);
            Abort();
        }
        finally
        {
            _sendLoopEnded = true;
            _output.Reset();
            AbandonReplies();
        }
    }

    /// <summary>Writes a message into the connection's buffer and sends it.</summary>
    protected async ValueTask SendAsync(string op, Action<IBufferWriter<byte>> write, CancellationToken token)
    {
        _output.Clear();
        write(_output);
        await SendMessageAsync(op, _output.WrittenMemory, token).ConfigureAwait(false);
        _output.Clear();
        MarkSent();
    }

    /// <summary>Takes one message from the connection's rate budget; when it is spent, answers <c>rate_limited</c> (a violation).</summary>
    /// <returns>The <c>rate_limited</c> error reply, or <see langword="null"/> when the message may be handled.</returns>
    protected Reply? CheckRate(string? requestId)
    {
        RateLimitLease lease;
        try
        {
            lease = _rateLimiter.AttemptAcquire();
        }
        catch (ObjectDisposedException)
        {
            return Refuse(ProtocolErrorCodes.ShuttingDown, "This connection is closing; connect again to subscribe."); // it just ended
        }

        using (lease)
        {
            return lease.IsAcquired
                ? null
                : Violation(requestId, ProtocolErrorCodes.RateLimited,
                    $"Too many messages: at most {Options.MessagesPerSecond} per second (bursts of {Options.MessageBurst}). This one was ignored.");
        }
    }

    /// <summary>An error reply that is not sent: for a request that arrives while the connection is closing.</summary>
    protected static Reply Refuse(string code, string message)
    {
        var reply = new Reply(RealtimeProtocol.Error, ServerMessages.ToArray(buffer => ServerMessages.Error(buffer, null, code, message)));
        reply.Abandon();
        return reply;
    }

    /// <summary>Validates, authorizes and adds a subscription; replies <c>subscribed</c> (queued before its first event can be) or <c>error</c>.</summary>
    protected async ValueTask<Reply> SubscribeAsync(SubscriptionRequest request, IServiceProvider requestServices)
    {
        var id = request.Id!;
        if (Subscriptions.TryGet(id, out _))
        {
            return Reject(id, ProtocolErrorCodes.DuplicateSubscription,
                $"This connection already has a subscription '{id}'; unsubscribe it first or use another id.");
        }

        if (Subscriptions.Count >= Options.MaxSubscriptionsPerConnection)
        {
            return Reject(id, ProtocolErrorCodes.TooManySubscriptions,
                $"A connection may hold at most {Options.MaxSubscriptionsPerConnection} subscriptions; unsubscribe one first.");
        }

        SubscribeOutcome outcome;
        try
        {
            outcome = await Manager.SubscribeAsync(User, request, Transport, requestServices, Aborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SubscribeFailed(Manager.Logger, Transport, ex);
            return Reject(id, ProtocolErrorCodes.InternalError, "The subscription failed on the server; try again later.");
        }

        if (outcome.Subscription is not { } subscription)
        {
            return Reject(id, outcome.ErrorCode!, outcome.ErrorMessage!);
        }

        var reply = EnqueueReply(RealtimeProtocol.Subscribed, buffer => ServerMessages.Subscribed(buffer, subscription));
        if (!Subscriptions.TryAdd(subscription))
        {
            subscription.Dispose();
        }

        return reply;
    }

    /// <summary>Ends a subscription; replies <c>unsubscribed</c>, after which nothing of it is sent, or <c>unknown_subscription</c>.</summary>
    protected Reply Unsubscribe(string id) =>
        Subscriptions.Remove(id)
            ? EnqueueReply(RealtimeProtocol.Unsubscribed, buffer => ServerMessages.Unsubscribed(buffer, id, SubscriptionEndReason.Unsubscribed))
            : Reject(id, ProtocolErrorCodes.UnknownSubscription, $"There is no subscription '{id}' on this connection.");

    /// <summary>A rejected message: an error reply and a strike; too many strikes close the connection.</summary>
    protected Reply Violation(string? id, string code, string message, WebSocketCloseStatus closeStatus = WebSocketCloseStatus.PolicyViolation)
    {
        var reply = Reject(id, code, message);
        if (Interlocked.Increment(ref _violations) > Options.MaxProtocolViolations)
        {
            CloseForAbuse(closeStatus, closeStatus == WebSocketCloseStatus.InvalidMessageType
                ? "Binary frames are not supported."
                : "Too many invalid messages.");
        }

        return reply;
    }

    /// <summary>An error reply, without a strike.</summary>
    protected Reply Reject(string? id, string code, string message)
    {
        Manager.Metrics.CountRejected(code);
        Log.MessageRejected(Manager.Logger, Id, code);
        return EnqueueReply(RealtimeProtocol.Error, buffer => ServerMessages.Error(buffer, id, code, message));
    }

    protected void CloseForAbuse(WebSocketCloseStatus status, string reason)
    {
        Log.ClosingForAbuse(Manager.Logger, Id, (int)status, reason);
        Close(status, reason, flush: false);
    }

    /// <summary>Queues a reply for the send loop, which sends it before the next data message.</summary>
    protected Reply EnqueueReply(string op, Action<IBufferWriter<byte>> write)
    {
        var reply = new Reply(op, ServerMessages.ToArray(write));
        if (Interlocked.Increment(ref _pendingReplies) > MaxPendingReplies)
        {
            // The client sends but does not read: its replies would pile up without bound.
            Interlocked.Decrement(ref _pendingReplies);
            CloseForAbuse(WebSocketCloseStatus.PolicyViolation, "Replies are not being read.");
            reply.Abandon();
            return reply;
        }

        lock (Gate)
        {
            (_replies ??= new Queue<Reply>()).Enqueue(reply);
        }

        Subscriptions.Wake();
        if (_sendLoopEnded)
        {
            AbandonReplies(); // queued after the loop's last look: it will never be sent
        }

        return reply;
    }

    private void AbandonReplies()
    {
        Queue<Reply>? unsent;
        lock (Gate)
        {
            unsent = _replies;
            _replies = null;
        }

        while (unsent is not null && unsent.TryDequeue(out var reply))
        {
            reply.Abandon(); // outside the lock: it completes the reply's task
        }
    }

    private bool TryDequeueReply([NotNullWhen(true)] out Reply? reply)
    {
        lock (Gate)
        {
            if (_replies is null || !_replies.TryDequeue(out reply))
            {
                reply = null;
                return false;
            }

            if (_replies.Count == 0)
            {
                _replies = null;
            }

            return true;
        }
    }

    /// <summary>Releases the rate limiter; called once the connection's loops have ended.</summary>
    protected void DisposeLimits() => _rateLimiter.Dispose();

    private async ValueTask<bool> SendAllAsync(CloseRequest close, CancellationToken token)
    {
        await SendRepliesAsync(token).ConfigureAwait(false);
        await SendAvailableAsync(close, token).ConfigureAwait(false);
        return false;
    }

    private async ValueTask SendRepliesAsync(CancellationToken token)
    {
        while (TryDequeueReply(out var reply))
        {
            Interlocked.Decrement(ref _pendingReplies);
            try
            {
                await SendMessageAsync(reply.Op, reply.Utf8Json, token).ConfigureAwait(false);
            }
            catch
            {
                reply.Abandon();
                throw;
            }

            reply.MarkSent();
            MarkSent();
        }
    }

    /// <summary>Sends everything the subscriptions hold now, in batches; while closing, stops at the flush deadline.</summary>
    private async ValueTask SendAvailableAsync(CloseRequest? close, CancellationToken token)
    {
        ISubscription? batchOwner = null;
        var batchBytes = 0;
        while (Subscriptions.TryRead(out var subscription, out var item))
        {
            switch (item.Kind)
            {
                case SubscriptionItemKind.Event:
                    var evt = item.Event!;
                    if (batchOwner is not null && (!ReferenceEquals(batchOwner, subscription) || batchBytes + evt.Utf8Json.Length > Options.SendBatchBytes))
                    {
                        await SendBatchAsync(batchOwner, token).ConfigureAwait(false);
                        batchBytes = 0;
                    }

                    batchOwner = subscription;
                    _batch.Add(evt);
                    batchBytes += evt.Utf8Json.Length + 1;
                    break;
                case SubscriptionItemKind.Gap:
                    await SendBatchAsync(batchOwner, token).ConfigureAwait(false);
                    batchOwner = null;
                    batchBytes = 0;
                    await SendRepliesAsync(token).ConfigureAwait(false);
                    if (IsCurrent(subscription))
                    {
                        await SendAsync(RealtimeProtocol.Overflow, buffer => ServerMessages.Overflow(buffer, subscription.Id, item.Gap!), token)
                            .ConfigureAwait(false);
                    }

                    break;
                case SubscriptionItemKind.Ended:
                    // The set already let go of a subscription that ended by itself; its last events still go out before
                    // the end. One the client unsubscribed sends nothing more: its "unsubscribed" reply was the last word.
                    var selfEnded = item.EndReason != SubscriptionEndReason.Unsubscribed;
                    await SendBatchAsync(batchOwner, token, ending: selfEnded && ReferenceEquals(batchOwner, subscription)).ConfigureAwait(false);
                    batchOwner = null;
                    batchBytes = 0;
                    if (selfEnded && !IsIdTakenByAnother(subscription))
                    {
                        await SendRepliesAsync(token).ConfigureAwait(false);
                        await SendAsync(RealtimeProtocol.Unsubscribed, buffer => ServerMessages.Unsubscribed(buffer, subscription.Id, item.EndReason), token)
                            .ConfigureAwait(false);
                    }

                    break;
                default:
                    break; // snapshots went out with "subscribed"
            }

            if (close is null ? PendingClose is not null : close.Flush && Manager.Time.GetElapsedTime(close.Requested) >= Options.ShutdownFlushTimeout)
            {
                break; // a close came in while draining (the send loop handles it now), or the flush time is up
            }
        }

        await SendBatchAsync(batchOwner, token).ConfigureAwait(false);
    }

    private async ValueTask SendBatchAsync(ISubscription? owner, CancellationToken token, bool ending = false)
    {
        if (owner is null || _batch.Count == 0)
        {
            return;
        }

        await SendRepliesAsync(token).ConfigureAwait(false);
        if (!ending && !IsCurrent(owner))
        {
            _batch.Clear(); // unsubscribed meanwhile: "unsubscribed" went out, nothing of it may follow
            return;
        }

        var last = _batch[^1].Position;
        await SendAsync(_batch.Count == 1 ? RealtimeProtocol.Event : RealtimeProtocol.Events,
            buffer => ServerMessages.Events(buffer, owner.Id, _batch), token).ConfigureAwait(false);
        _batch.Clear();
        RecordSent(owner, last);
    }

    /// <summary>
    /// Whether the subscription is still on the connection. Checked after the replies went out: an unsubscribe that
    /// came later queues its <c>unsubscribed</c> after this data, so nothing of a subscription follows its <c>unsubscribed</c>.
    /// </summary>
    private bool IsCurrent(ISubscription subscription) =>
        Subscriptions.TryGet(subscription.Id, out var current) && ReferenceEquals(current, subscription);

    /// <summary>Whether the client already unsubscribed this one and reused its id: the old one's end must not reach the new one.</summary>
    private bool IsIdTakenByAnother(ISubscription subscription) =>
        Subscriptions.TryGet(subscription.Id, out var current) && !ReferenceEquals(current, subscription);

    /// <summary>A reply waiting for the send loop; <see cref="Sent"/> completes once it went out (or fails if it never will).</summary>
    internal sealed class Reply(string op, byte[] utf8Json)
    {
        private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Gets the message's op.</summary>
        public string Op { get; } = op;

        /// <summary>Gets the message.</summary>
        public byte[] Utf8Json { get; } = utf8Json;

        /// <summary>Gets a task that completes when the reply was sent, and is canceled when the connection ended first.</summary>
        public Task Sent => _sent.Task;

        public void MarkSent() => _sent.TrySetResult();

        public void Abandon() => _sent.TrySetCanceled();
    }
}
