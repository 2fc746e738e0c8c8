using System.Buffers;
using System.Net.WebSockets;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>The send side: the one loop that writes replies, batches of events, notices, heartbeats and the close.</summary>
internal sealed partial class WebSocketConnection
{
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
}
