using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>
/// One WebSocket client: a receive loop that handles its messages, and one send loop (the only writer) that sends
/// replies first, then drains the connection's subscriptions in batches, one frame and one flush per batch.
/// </summary>
/// <remarks>
/// Replies (<c>subscribed</c>, <c>error</c>, <c>pong</c>...) wait in a small queue and are always sent before the next
/// data message, so <c>subscribed</c> precedes the subscription's first event and <c>unsubscribed</c> follows its last.
/// A stalled client blocks only its own send loop; its subscriptions' bounded queues drop the oldest and tell it so.
/// </remarks>
internal sealed class WebSocketConnection : RealtimeConnection
{
    private const int InitialReceiveBuffer = 4096;
    private const int MaxFragmentsPerMessage = 64;
    private const int MaxPendingReplies = 256;

    private readonly WebSocket _socket;
    private readonly HttpContext _http;
    private readonly TokenBucketRateLimiter _rateLimiter;
    private readonly ConcurrentQueue<byte[]> _replies = new();
    private readonly PooledBufferWriter _output = new();
    private readonly List<RealtimeEvent> _batch = [];
    private EventPosition? _flushedThrough;
    private int _pendingReplies;
    private int _violations;

    public WebSocketConnection(WebSocket socket, HttpContext http, ConnectionManager manager)
        : base("websocket", http.User, http.Connection.RemoteIpAddress?.ToString(), manager)
    {
        _socket = socket;
        _http = http;
        _rateLimiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Options.MessageBurst,
            TokensPerPeriod = Options.MessagesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = false, // refilled from the node's timer (OnTick), not a timer per connection
        });
    }

    /// <summary>Runs the connection until it closes; <paramref name="initial"/> is a route-bound subscription made before the upgrade.</summary>
    public async Task RunAsync(ISubscription? initial)
    {
        EnqueueReply(buffer => ServerMessages.Welcome(buffer, Id, Manager.Broadcaster.CurrentPosition, Options));
        if (initial is not null)
        {
            EnqueueReply(buffer => ServerMessages.Subscribed(buffer, initial));
            Subscriptions.TryAdd(initial);
        }

        var sending = SendLoopAsync();
        try
        {
            await ReceiveLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            Close(WebSocketCloseStatus.NormalClosure, "Closing.", flush: false); // no-op when a close is already under way
            await sending.ConfigureAwait(false);
            _rateLimiter.Dispose();
            Finish();
        }
    }

    public override void OnTick()
    {
        _rateLimiter.TryReplenish(); // adds a second's worth once a second has passed; otherwise does nothing
        base.OnTick();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
        try
        {
            while (true)
            {
                var (kind, length) = await ReceiveMessageAsync(buffer, b => buffer = b).ConfigureAwait(false);
                if (kind == Inbound.Close)
                {
                    // A close frame without a status (a browser's plain ws.close()) is answered with 1000: "Empty" cannot carry a description.
                    var status = _socket.CloseStatus is { } given and not WebSocketCloseStatus.Empty ? given : WebSocketCloseStatus.NormalClosure;
                    Close(status, "Closed by the client.", flush: false);
                    return;
                }

                if (PendingClose is not null)
                {
                    continue; // closing: wait for the client's close frame, ignore the rest
                }

                if (kind == Inbound.TooLarge)
                {
                    Reject(null, ProtocolErrorCodes.MessageTooLarge, $"Messages may be at most {Options.MaxMessageBytes} bytes.");
                    CloseForAbuse(WebSocketCloseStatus.MessageTooBig, "Message too big.");
                    continue;
                }

                if (kind == Inbound.TooFragmented)
                {
                    Reject(null, ProtocolErrorCodes.MalformedMessage, $"A message may have at most {MaxFragmentsPerMessage} fragments.");
                    CloseForAbuse(WebSocketCloseStatus.PolicyViolation, "Too many fragments.");
                    continue;
                }

                if (kind == Inbound.Binary)
                {
                    Violation(null, ProtocolErrorCodes.BinaryNotSupported, "Binary frames are not supported: send JSON text frames.",
                        WebSocketCloseStatus.InvalidMessageType);
                }
                else
                {
                    await HandleMessageAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                }

                if (buffer.Length > InitialReceiveBuffer)
                {
                    ArrayPool<byte>.Shared.Return(buffer); // an idle connection keeps only a small buffer
                    buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The client went away, the heartbeat timed out, or the close handshake was cut short: stop sending too.
            Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads one whole message, growing the buffer up to the size limit; beyond it, stops reading.</summary>
    private async ValueTask<(Inbound Kind, int Length)> ReceiveMessageAsync(byte[] buffer, Action<byte[]> replaceBuffer)
    {
        var length = 0;
        var fragments = 0;
        var binary = false;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > Options.MaxMessageBytes)
                {
                    return (Inbound.TooLarge, length);
                }

                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, Options.MaxMessageBytes + 1));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
                replaceBuffer(buffer);
            }

            var result = await _socket.ReceiveAsync(buffer.AsMemory(length), Aborted).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (Inbound.Close, 0);
            }

            length += result.Count;
            binary |= result.MessageType == WebSocketMessageType.Binary;
            if (length > Options.MaxMessageBytes)
            {
                return (Inbound.TooLarge, length);
            }

            if (++fragments > MaxFragmentsPerMessage)
            {
                return (Inbound.TooFragmented, length);
            }

            if (result.EndOfMessage)
            {
                return (binary ? Inbound.Binary : Inbound.Text, length);
            }
        }
    }

    private async ValueTask HandleMessageAsync(ReadOnlyMemory<byte> utf8Json)
    {
        using var lease = _rateLimiter.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            Violation(null, ProtocolErrorCodes.RateLimited,
                $"Too many messages: at most {Options.MessagesPerSecond} per second (bursts of {Options.MessageBurst}). This one was ignored.");
            return;
        }

        var message = ClientMessageParser.Parse(utf8Json);
        if (!message.IsValid)
        {
            Violation(message.Id, message.ErrorCode!, message.ErrorMessage!);
            return;
        }

        switch (message.Op)
        {
            case RealtimeProtocol.Subscribe:
                await SubscribeAsync(message.Request!).ConfigureAwait(false);
                break;
            case RealtimeProtocol.Unsubscribe:
                if (Subscriptions.Remove(message.Id!))
                {
                    EnqueueReply(buffer => ServerMessages.Unsubscribed(buffer, message.Id!, SubscriptionEndReason.Unsubscribed));
                }
                else
                {
                    Reject(message.Id, ProtocolErrorCodes.UnknownSubscription, $"There is no subscription '{message.Id}' on this connection.");
                }

                break;
            default:
                EnqueueReply(buffer => ServerMessages.Pong(buffer, message.Id, Manager.Broadcaster.CurrentPosition));
                break;
        }
    }

    private async ValueTask SubscribeAsync(SubscriptionRequest request)
    {
        var id = request.Id!;
        if (Subscriptions.TryGet(id, out _))
        {
            Reject(id, ProtocolErrorCodes.DuplicateSubscription,
                $"This connection already has a subscription '{id}'; unsubscribe it first or use another id.");
            return;
        }

        if (Subscriptions.Count >= Options.MaxSubscriptionsPerConnection)
        {
            Reject(id, ProtocolErrorCodes.TooManySubscriptions,
                $"A connection may hold at most {Options.MaxSubscriptionsPerConnection} subscriptions; unsubscribe one first.");
            return;
        }

        SubscribeOutcome outcome;
        try
        {
            outcome = await Manager.SubscribeAsync(User, request, Transport, _http.RequestServices, Aborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SubscribeFailed(Manager.Logger, Transport, ex);
            Reject(id, ProtocolErrorCodes.InternalError, "The subscription failed on the server; try again later.");
            return;
        }

        if (outcome.Subscription is not { } subscription)
        {
            Reject(id, outcome.ErrorCode!, outcome.ErrorMessage!);
            return;
        }

        EnqueueReply(buffer => ServerMessages.Subscribed(buffer, subscription)); // queued before the first event can be
        if (!Subscriptions.TryAdd(subscription))
        {
            subscription.Dispose();
        }
    }

    /// <summary>A rejected message: an error reply and a strike; too many strikes close the connection.</summary>
    private void Violation(string? id, string code, string message, WebSocketCloseStatus closeStatus = WebSocketCloseStatus.PolicyViolation)
    {
        Reject(id, code, message);
        if (Interlocked.Increment(ref _violations) > Options.MaxProtocolViolations)
        {
            CloseForAbuse(closeStatus, closeStatus == WebSocketCloseStatus.InvalidMessageType
                ? "Binary frames are not supported."
                : "Too many invalid messages.");
        }
    }

    private void Reject(string? id, string code, string message)
    {
        Manager.Metrics.CountRejected(code);
        Log.MessageRejected(Manager.Logger, Id, code);
        EnqueueReply(buffer => ServerMessages.Error(buffer, id, code, message));
    }

    private void CloseForAbuse(WebSocketCloseStatus status, string reason)
    {
        Log.ClosingForAbuse(Manager.Logger, Id, (int)status, reason);
        Close(status, reason, flush: false);
    }

    private void EnqueueReply(Action<IBufferWriter<byte>> write)
    {
        if (Interlocked.Increment(ref _pendingReplies) > MaxPendingReplies)
        {
            // The client sends but does not read: its replies would pile up without bound.
            Interlocked.Decrement(ref _pendingReplies);
            CloseForAbuse(WebSocketCloseStatus.PolicyViolation, "Replies are not being read.");
            return;
        }

        _replies.Enqueue(ServerMessages.ToArray(write));
        Subscriptions.Wake();
    }

    private async Task SendLoopAsync()
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
                        _flushedThrough = close.Target; // every matching event up to here went out (or was announced as missed)
                    }

                    break;
                }

                await SendRepliesAsync(token).ConfigureAwait(false);
                await SendAvailableAsync(null, token).ConfigureAwait(false);
                if (IsHeartbeatDue)
                {
                    WriteMessage(buffer => ServerMessages.Heartbeat(buffer, Manager.Broadcaster.CurrentPosition));
                    await SendOutputAsync(token).ConfigureAwait(false);
                }
            }

            await SendRepliesAsync(token).ConfigureAwait(false);
            await CloseOutputAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            Abort(); // the socket is gone: stop receiving too
        }
        catch (Exception ex)
        {
            Log.ConnectionFailed(Manager.Logger, Id, ex);
            Abort();
        }
        finally
        {
            _output.Reset();
        }
    }

    private async ValueTask CloseOutputAsync()
    {
        var close = PendingClose!;
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        // Flushed: every subscription has everything up to the shutdown's position, so each can resume from the later of
        // it and its own last event. Not flushed: only the last event sent is known.
        var description = close.Description ?? (_flushedThrough ?? LastSentPosition)?.ToString() ?? string.Empty;
        await _socket.CloseOutputAsync(close.Status, description, Aborted).ConfigureAwait(false);
    }

    private async ValueTask<bool> SendAllAsync(CloseRequest close, CancellationToken token)
    {
        await SendRepliesAsync(token).ConfigureAwait(false);
        await SendAvailableAsync(close, token).ConfigureAwait(false);
        return false;
    }

    private async ValueTask SendRepliesAsync(CancellationToken token)
    {
        while (_replies.TryDequeue(out var reply))
        {
            Interlocked.Decrement(ref _pendingReplies);
            await _socket.SendAsync(reply, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
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
                        WriteMessage(buffer => ServerMessages.Overflow(buffer, subscription.Id, item.Gap!));
                        await SendOutputAsync(token).ConfigureAwait(false);
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
                        WriteMessage(buffer => ServerMessages.Unsubscribed(buffer, subscription.Id, item.EndReason));
                        await SendOutputAsync(token).ConfigureAwait(false);
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

        WriteMessage(buffer => ServerMessages.Events(buffer, owner.Id, _batch));
        var last = _batch[^1].Position;
        _batch.Clear();
        await SendOutputAsync(token).ConfigureAwait(false);
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

    private void WriteMessage(Action<IBufferWriter<byte>> write)
    {
        _output.Clear();
        write(_output);
    }

    private async ValueTask SendOutputAsync(CancellationToken token)
    {
        await _socket.SendAsync(_output.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
        _output.Clear();
        MarkSent();
    }

    private enum Inbound
    {
        Text,
        Binary,
        Close,
        TooLarge,
        TooFragmented,
    }
}
