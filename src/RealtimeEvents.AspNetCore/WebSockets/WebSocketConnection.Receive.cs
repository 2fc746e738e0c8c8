using System.Buffers;
using System.Net.WebSockets;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>The receive side: reads whole messages within the limits, handles them, and counts violations.</summary>
internal sealed partial class WebSocketConnection
{
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

    private enum Inbound
    {
        Text,
        Binary,
        Close,
        TooLarge,
        TooFragmented,
    }
}
