using System.Buffers;
using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;

namespace RealtimeEvents.AspNetCore.Sse;

/// <summary>
/// One Server-Sent Events client with one subscription. Each event goes out as <c>id: epoch:seq</c> plus its JSON, so
/// the browser's automatic reconnect (<c>Last-Event-ID</c>) resumes where it left off; notices are SSE events of their
/// own type. Everything available is formatted with <see cref="SseFormatter"/> into one buffer and sent with one flush.
/// </summary>
/// <remarks>
/// SSE has no pings to answer, so a client that stops reading is found by its writes: one that has not completed after
/// <see cref="RealtimeEventsTransportOptions.HeartbeatTimeout"/> aborts the connection, as an unanswered ping does on a
/// WebSocket. Kestrel's <c>MinResponseDataRate</c> is no substitute: its allowance grows with the bytes written, so with
/// its defaults a stalled client of a busy stream was still connected 30 s later, and hosts often turn it off for streams.
/// </remarks>
internal sealed class SseConnection : RealtimeConnection
{
    private static readonly ReadOnlyMemory<byte> HeartbeatComment = ": heartbeat\n\n"u8.ToArray();

    private readonly HttpContext _http;
    private readonly ISubscription _subscription;
    private readonly List<SseItem<ReadOnlyMemory<byte>>> _items = [];
    private EventPosition? _pendingPosition;
    private long _writeStarted; // the timestamp of the write under way; under Gate, with _writing
    private bool _writing;
    private bool _writeTimedOut;

    public SseConnection(HttpContext http, ConnectionManager manager, ISubscription subscription)
        : base("sse", http.User, http.Connection.RemoteIpAddress?.ToString(), manager)
    {
        _http = http;
        _subscription = subscription;
    }

    /// <summary>Aborts the connection when a write has been waiting on the client for longer than the heartbeat timeout.</summary>
    public override void OnTick()
    {
        base.OnTick();
        lock (Gate)
        {
            if (!_writing || _writeTimedOut || Manager.Time.GetElapsedTime(_writeStarted) < Options.HeartbeatTimeout)
            {
                return;
            }

            _writeTimedOut = true;
        }

        Log.WriteTimedOut(Manager.Logger, Id, Options.HeartbeatTimeout);
        Abort();
    }

    public async Task RunAsync()
    {
        var response = _http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies such as nginx must not hold events back
        _http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_http.RequestAborted, Aborted);
        var token = linked.Token;
        var buffer = new MemoryStream();
        try
        {
            var subscribed = ServerMessages.ToArray(b => ServerMessages.Subscribed(b, _subscription));
            _items.Add(new SseItem<ReadOnlyMemory<byte>>(subscribed, "subscribed") { ReconnectionInterval = TimeSpan.FromSeconds(2) });
            Subscriptions.TryAdd(_subscription);
            await FlushItemsAsync(buffer, token).ConfigureAwait(false);

            var ended = false;
            while (!ended)
            {
                await Subscriptions.WaitToReadAsync(token).ConfigureAwait(false);
                var close = PendingClose;
                if (close is { Flush: false })
                {
                    break;
                }

                if (close is not null)
                {
                    await FlushAsync(close, () => SendAllAsync(close, buffer, token), token).ConfigureAwait(false);
                    break;
                }

                ended = Collect(null);
                if (_items.Count > 0)
                {
                    await FlushItemsAsync(buffer, token).ConfigureAwait(false);
                }
                else if (IsHeartbeatDue)
                {
                    await WriteAsync(HeartbeatComment, token).ConfigureAwait(false);
                    MarkSent();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The client went away, a close could not flush in time, or a write timed out.
        }
        finally
        {
            if (Volatile.Read(ref _writeTimedOut))
            {
                // Kestrel would otherwise try to end the response on a connection nobody reads: drop the TCP connection.
                _http.Abort();
            }

            Finish();
        }
    }

    private async ValueTask<bool> SendAllAsync(CloseRequest close, MemoryStream buffer, CancellationToken token)
    {
        var ended = Collect(close);
        if (_items.Count > 0)
        {
            await FlushItemsAsync(buffer, token).ConfigureAwait(false);
        }

        return ended;
    }

    /// <summary>Turns what the subscription holds now into SSE items; returns true when the subscription ended.</summary>
    private bool Collect(CloseRequest? close)
    {
        var bytes = 0;
        while (bytes < Options.SendBatchBytes && Subscriptions.TryRead(out var subscription, out var item))
        {
            switch (item.Kind)
            {
                case SubscriptionItemKind.Event:
                    var evt = item.Event!;
                    _items.Add(new SseItem<ReadOnlyMemory<byte>>(evt.Utf8Json) { EventId = evt.Position.ToString() });
                    bytes += evt.Utf8Json.Length;
                    _pendingPosition = evt.Position;
                    break;
                case SubscriptionItemKind.Gap:
                    _items.Add(new SseItem<ReadOnlyMemory<byte>>(
                        ServerMessages.ToArray(b => ServerMessages.Overflow(b, subscription.Id, item.Gap!)), "overflow"));
                    break;
                case SubscriptionItemKind.Ended:
                    _items.Add(new SseItem<ReadOnlyMemory<byte>>(
                        ServerMessages.ToArray(b => ServerMessages.Unsubscribed(b, subscription.Id, item.EndReason)), "unsubscribed"));
                    return true;
                default:
                    break; // snapshots went out with "subscribed"
            }

            if (close is { Flush: true } && Manager.Time.GetElapsedTime(close.Requested) >= Options.ShutdownFlushTimeout)
            {
                break;
            }
        }

        return false;
    }

    private async ValueTask FlushItemsAsync(MemoryStream buffer, CancellationToken token)
    {
        buffer.SetLength(0);
        await SseFormatter.WriteAsync(_items.ToAsyncEnumerable(), buffer, static (item, writer) => writer.Write(item.Data.Span), token)
            .ConfigureAwait(false);
        _items.Clear();
        await WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), token).ConfigureAwait(false);
        MarkSent();
        if (_pendingPosition is { } sent)
        {
            RecordSent(_subscription, sent);
            _pendingPosition = null;
        }

        if (buffer.Capacity > 4 * Options.SendBatchBytes)
        {
            buffer.SetLength(0);
            buffer.Capacity = 0; // don't keep a large buffer on a quiet connection
        }
    }

    /// <summary>Writes and flushes, timed: <see cref="OnTick"/> aborts the connection when this waits on the client for too long.</summary>
    private async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken token)
    {
        lock (Gate)
        {
            _writeStarted = Manager.Time.GetTimestamp();
            _writing = true;
        }

        try
        {
            await _http.Response.Body.WriteAsync(bytes, token).ConfigureAwait(false);
            await _http.Response.Body.FlushAsync(token).ConfigureAwait(false);
        }
        finally
        {
            lock (Gate)
            {
                _writing = false;
            }
        }
    }
}
