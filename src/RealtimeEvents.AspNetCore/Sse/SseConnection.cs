using System.Buffers;
using System.Net.ServerSentEvents;
using System.Net.WebSockets;
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
internal sealed class SseConnection : RealtimeConnection
{
    private static readonly ReadOnlyMemory<byte> HeartbeatComment = ": heartbeat\n\n"u8.ToArray();

    private readonly HttpContext _http;
    private readonly ConnectionManager _manager;
    private readonly RealtimeEventsTransportOptions _options;
    private readonly ISubscription _subscription;
    private readonly List<SseItem<ReadOnlyMemory<byte>>> _items = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _closed = new();
    private (bool Flush, long Requested, EventPosition Target)? _close;
    private bool _finished;
    private EventPosition? _pendingPosition;
    private long _lastSendTimestamp;
    private ITimer? _closeDeadline;

    public SseConnection(HttpContext http, ConnectionManager manager, ISubscription subscription)
        : base(ConnectionManager.NewConnectionId(), "sse", http.User, http.Connection.RemoteIpAddress?.ToString(), manager.Time.GetUtcNow(),
            manager.Logger)
    {
        _http = http;
        _manager = manager;
        _options = manager.Options;
        _subscription = subscription;
    }

    public override void OnTick()
    {
        if (_manager.Time.GetElapsedTime(Volatile.Read(ref _lastSendTimestamp)) >= _options.HeartbeatInterval)
        {
            Subscriptions.Wake(); // the loop writes the heartbeat comment
        }
    }

    public override void Close(WebSocketCloseStatus status, string? description, bool flush)
    {
        lock (_gate)
        {
            if (_close is not null || _finished)
            {
                return;
            }

            _close = (flush, _manager.Time.GetTimestamp(), _manager.Broadcaster.CurrentPosition);
            _closeDeadline = _manager.Time.CreateTimer(static state => ((SseConnection)state!).CancelStream(), this,
                (flush ? _options.ShutdownFlushTimeout : TimeSpan.Zero) + _options.CloseTimeout, Timeout.InfiniteTimeSpan);
        }

        Subscriptions.Wake();
    }

    private void CancelStream()
    {
        lock (_gate)
        {
            if (!_finished)
            {
                _closed.Cancel();
            }
        }
    }

    public async Task RunAsync()
    {
        var response = _http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies such as nginx must not hold events back
        _http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_http.RequestAborted, _closed.Token);
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
                (bool Flush, long Requested, EventPosition Target)? close;
                lock (_gate)
                {
                    close = _close;
                }

                if (close is { Flush: false })
                {
                    break;
                }

                if (close is { } flushing)
                {
                    await FlushForCloseAsync(flushing, buffer, token).ConfigureAwait(false);
                    break;
                }

                ended = Collect(null);
                if (_items.Count > 0)
                {
                    await FlushItemsAsync(buffer, token).ConfigureAwait(false);
                }
                else if (_manager.Time.GetElapsedTime(Volatile.Read(ref _lastSendTimestamp)) >= _options.HeartbeatInterval)
                {
                    await response.Body.WriteAsync(HeartbeatComment, token).ConfigureAwait(false);
                    await response.Body.FlushAsync(token).ConfigureAwait(false);
                    Volatile.Write(ref _lastSendTimestamp, _manager.Time.GetTimestamp());
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The client went away, or a close could not flush in time.
        }
        finally
        {
            lock (_gate)
            {
                _finished = true;
                _closeDeadline?.Dispose();
                _closed.Dispose();
            }

            Subscriptions.Dispose();
        }
    }

    /// <summary>On shutdown: waits until everything published before the close was routed, then sends until the queue is empty (up to the flush timeout).</summary>
    private async ValueTask FlushForCloseAsync((bool Flush, long Requested, EventPosition Target) close, MemoryStream buffer, CancellationToken token)
    {
        var remaining = _options.ShutdownFlushTimeout - _manager.Time.GetElapsedTime(close.Requested);
        using var deadline = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _manager.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, deadline.Token);
        try
        {
            await _manager.Broadcaster.WaitForDispatchAsync(close.Target, linked.Token).ConfigureAwait(false);
            while (true)
            {
                var ended = Collect(close);
                if (_items.Count > 0)
                {
                    await FlushItemsAsync(buffer, token).ConfigureAwait(false);
                }

                if (ended || IsFlushedThrough(close.Target))
                {
                    return;
                }

                await Subscriptions.WaitToReadAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
        {
            // Flush time is up: end the stream with what was sent.
        }
    }

    /// <summary>Turns what the subscription holds now into SSE items; returns true when the subscription ended.</summary>
    private bool Collect((bool Flush, long Requested, EventPosition Target)? close)
    {
        var bytes = 0;
        while (bytes < _options.SendBatchBytes && Subscriptions.TryRead(out var subscription, out var item))
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

            if (close is { Flush: true } c && _manager.Time.GetElapsedTime(c.Requested) >= _options.ShutdownFlushTimeout)
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
        await _http.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), token).ConfigureAwait(false);
        await _http.Response.Body.FlushAsync(token).ConfigureAwait(false);
        Volatile.Write(ref _lastSendTimestamp, _manager.Time.GetTimestamp());
        if (_pendingPosition is { } sent)
        {
            RecordSent(_subscription, sent);
            _pendingPosition = null;
        }

        if (buffer.Capacity > 4 * _options.SendBatchBytes)
        {
            buffer.SetLength(0);
            buffer.Capacity = 0; // don't keep a large buffer on a quiet connection
        }
    }
}
