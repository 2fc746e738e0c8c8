using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// One WebSocket session of a soak client: connect, subscribe (live, resuming, or with a snapshot) plus a few extra
/// subscriptions, then ping, unsubscribe and resubscribe from the last position for a while, then leave cleanly, by
/// aborting, or by being disconnected by an administrator. A slow session takes every soak topic and stops reading for
/// seconds at a time, so its queue overflows. Every subscription is checked by a <see cref="StreamChecker"/>.
/// </summary>
internal sealed class SoakWebSocketSession
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(15);

    private readonly SoakWorld _world;
    private readonly SoakIdentity _identity;
    private readonly Random _random;
    private readonly bool _slow;
    private readonly ConcurrentDictionary<string, (StreamChecker Checker, string? ExpectedResume)> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pending = new(StringComparer.Ordinal);
    private readonly List<StreamChecker> _checkers = [];
    private volatile bool _leaving;
    private volatile bool _closedByAdmin;
    private string? _closedBy;
    private (string Id, StreamChecker Checker)? _main;
    private int _next;
    private bool _stalled;
    private volatile bool _subscribed;
    private DateTimeOffset _leaveAt;

    public SoakWebSocketSession(SoakWorld world, SoakIdentity identity, int seed, bool slow)
    {
        _world = world;
        _identity = identity;
        _random = new Random(seed);
        _slow = slow;
    }

    public async Task RunAsync(DateTimeOffset leaveAt, CancellationToken stop)
    {
        using var invoker = _slow ? new HttpMessageInvoker(SmallReceiveBufferHandler()) : null;
        await using var client = await ProtocolClient.ConnectAsync(_world.Host.WebSocketUri(), invoker: invoker).WithTimeout(StepTimeout);
        var connectionId = client.Welcome.GetProperty("connectionId").GetString()!;
        _world.Tally.Add(ref _world.Tally.ConnectionsOpened);
        _world.Tally.Add(ref _world.Tally.WebSocketSessions);
        if (!_slow)
        {
            // An administrator's disconnect of a client that is not reading ends in an abort once the close times out
            // (docs/protocol.md, Close statuses), which the slow reader would rightly report: it is left alone.
            _world.Transient.TryAdd(connectionId, 0);
        }

        _leaveAt = leaveAt;
        var reader = Task.Run(() => ReadAsync(client.Socket));
        try
        {
            await ScriptAsync(client, connectionId, leaveAt, stop);
            await reader.WithTimeout(StepTimeout);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException && !stop.IsCancellationRequested)
        {
            // The connection ended under the script: right only when an administrator disconnected it (the management task
            // does now and then); the reader reports any other close.
            await reader.WithTimeout(StepTimeout);
            if (!_closedByAdmin && !_leaving)
            {
                Fail($"the session broke off: {ex.GetType().Name}: {ex.Message} (closed by: {_closedBy ?? "nobody"})");
            }
        }
        catch (TimeoutException)
        {
            Fail($"no answer within {StepTimeout.TotalSeconds} s (closed by: {_closedBy ?? "nobody"})");
            client.Socket.Abort();
        }
        finally
        {
            // Set once the reader has stopped: the position must be that of the last event the carried state handled.
            _identity.ResumePosition = _main?.Checker.Position ?? _identity.ResumePosition;
            _world.Transient.TryRemove(connectionId, out _);
            foreach (var failure in _checkers.Select(c => c.Failure).OfType<string>())
            {
                _world.Tally.Fail(failure);
            }
        }
    }

    private async Task ScriptAsync(ProtocolClient client, string connectionId, DateTimeOffset leaveAt, CancellationToken stop)
    {
        // The main subscription: resumes where the client left off, or starts over live or from a snapshot.
        var resume = !_slow && _identity.ResumePosition is not null && _random.Next(10) < 6;
        var snapshot = !_slow && !resume && _identity.Filter.Pattern is null && _random.Next(4) == 0;
        if (!resume)
        {
            _identity.State = new TopicState(_world.Plan.Topics);
        }

        _main = await SubscribeAsync(client, _identity.Filter, _identity.State, resume ? _identity.ResumePosition : null, snapshot);
        _subscribed = true;
        var extras = new List<(string Id, StreamChecker Checker, SoakFilter Filter)>();
        for (var i = _slow ? 0 : _random.Next(3); i > 0; i--)
        {
            var filter = SoakFilter.Random(_random, _world.Plan.Topics);
            var (id, checker) = await SubscribeAsync(client, filter, new TopicState(_world.Plan.Topics), null, snapshot: false);
            extras.Add((id, checker, filter));
        }

        while (TimeProvider.System.GetUtcNow() < leaveAt && _closedBy is null && !stop.IsCancellationRequested)
        {
            await Task.Delay(_random.Next(100, 400), stop).ConfigureAwait(false); // pacing the client's actions
            if (_slow || _closedBy is not null)
            {
                continue;
            }

            switch (_random.Next(10))
            {
                case < 2:
                    await PingAsync(client);
                    break;
                case < 4:
                    // Unsubscribe, then subscribe again from the last position: nothing lost, nothing repeated.
                    _world.Tally.Add(ref _world.Tally.Resubscribes);
                    await UnsubscribeAsync(client, _main.Value.Id);
                    _main = await SubscribeAsync(client, _identity.Filter, _identity.State, _main.Value.Checker.Position, snapshot: false);
                    break;
                case 4 when extras.Count > 0:
                    var extra = extras[^1];
                    extras.RemoveAt(extras.Count - 1);
                    await UnsubscribeAsync(client, extra.Id);
                    break;
                default:
                    break;
            }
        }

        if (_closedBy is not null)
        {
            return;
        }

        _leaving = true;
        switch (_random.Next(20))
        {
            case < 12:
                _world.Tally.Add(ref _world.Tally.CleanCloses);
                await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WithTimeout(StepTimeout);
                break;
            case < 17:
                _world.Tally.Add(ref _world.Tally.Aborts);
                client.Socket.Abort();
                break;
            default:
                _world.Tally.Add(ref _world.Tally.AdminDisconnects);
                _leaving = false; // the close that follows must be the administrator's
                using (var response = await _world.Admin.DeleteAsync(new Uri($"/realtime/admin/connections/{connectionId}", UriKind.Relative)).WithTimeout(StepTimeout))
                {
                    if (response.StatusCode != System.Net.HttpStatusCode.NoContent)
                    {
                        Fail($"DELETE of its own connection answered {(int)response.StatusCode}");
                    }
                }

                break;
        }
    }

    private async Task<(string Id, StreamChecker Checker)> SubscribeAsync(ProtocolClient client, SoakFilter filter, TopicState state, string? resumeAfter,
        bool snapshot)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"s{_next++}");
        var checker = new StreamChecker(_world.Plan, filter, state, _world.Tally, $"{_identity.Name} sub {id} ({filter})");
        _checkers.Add(checker);
        var expected = snapshot || resumeAfter is not null ? "complete" : null;
        _active[id] = (checker, expected);
        var reply = Expect("subscribed:" + id);
        await client.SendAsync(filter.ToSubscribe(id, resumeAfter, snapshot));
        await reply.WithTimeout(StepTimeout);
        _world.Tally.Add(ref _world.Tally.SubscriptionsMade);
        if (resumeAfter is not null)
        {
            _world.Tally.Add(ref _world.Tally.Resumes);
        }

        if (snapshot)
        {
            _world.Tally.Add(ref _world.Tally.Snapshots);
        }

        return (id, checker);
    }

    private async Task UnsubscribeAsync(ProtocolClient client, string id)
    {
        var reply = Expect("unsubscribed:" + id);
        await client.SendAsync(new { op = "unsubscribe", id });
        await reply.WithTimeout(StepTimeout);
    }

    private async Task PingAsync(ProtocolClient client)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"p{_next++}");
        var reply = Expect("pong:" + id);
        await client.SendAsync(new { op = "ping", id });
        await reply.WithTimeout(StepTimeout);
        _world.Tally.Add(ref _world.Tally.Pings);
    }

    private Task<JsonElement> Expect(string key)
    {
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[key] = reply;
        return reply.Task;
    }

    private void Answer(string key, JsonElement message)
    {
        if (_pending.TryRemove(key, out var reply))
        {
            reply.TrySetResult(message.Clone());
        }
        else
        {
            Fail($"unexpected reply {message.GetRawText()}");
        }
    }

    private async Task ReadAsync(ClientWebSocket socket)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (true)
            {
                if (_slow && !_stalled && _subscribed)
                {
                    // Once subscribed, the slow reader stops reading for most of its life: socket buffers fill, then its
                    // queue overflows. Then it reads everything, and must find every gap announced.
                    _stalled = true;
                    var stall = _leaveAt - TimeProvider.System.GetUtcNow() - TimeSpan.FromSeconds(2.5);
                    if (stall > TimeSpan.Zero)
                    {
                        await Task.Delay(stall).ConfigureAwait(false);
                    }
                }

                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(16 * 1024), CancellationToken.None).AsTask().WithTimeout(StepTimeout * 2);
                    buffer.Advance(result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closedBy = $"{socket.CloseStatus} '{socket.CloseStatusDescription}'";
                    var byAdmin = socket.CloseStatus == WebSocketCloseStatus.PolicyViolation && socket.CloseStatusDescription == "Disconnected by an administrator.";
                    if (!_leaving && !byAdmin)
                    {
                        Fail($"the server closed the connection: {_closedBy}");
                    }
                    else if (byAdmin)
                    {
                        _closedByAdmin = true;
                        _world.Tally.Add(ref _world.Tally.AdminDisconnectsSeen);
                    }

                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WithTimeout(StepTimeout);
                    }

                    return;
                }

                using var document = JsonDocument.Parse(buffer.WrittenMemory);
                Handle(document.RootElement);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closedBy ??= "abort";
            if (!_leaving)
            {
                Fail($"the connection failed: {ex.GetType().Name}: {ex.Message}");
            }
        }
        catch (TimeoutException)
        {
            _closedBy ??= "timeout";
            Fail("nothing received (not even a heartbeat) for 30 s");
        }
        finally
        {
            foreach (var reply in _pending.Values)
            {
                reply.TrySetCanceled();
            }
        }
    }

    private void Handle(JsonElement message)
    {
        var op = message.GetProperty("op").GetString();
        switch (op)
        {
            case "event" or "events":
                if (!_active.TryGetValue(message.GetProperty("sub").GetString()!, out var target))
                {
                    Fail($"data for a subscription that is not active: {Truncate(message.GetRawText())}");
                    return;
                }

                if (op == "event")
                {
                    target.Checker.OnEvent(message.GetProperty("event"));
                }
                else
                {
                    foreach (var evt in message.GetProperty("events").EnumerateArray())
                    {
                        target.Checker.OnEvent(evt);
                    }
                }

                break;
            case "overflow":
                if (_active.TryGetValue(message.GetProperty("sub").GetString()!, out var gapped))
                {
                    gapped.Checker.OnOverflow(message);
                }
                else
                {
                    Fail($"overflow for a subscription that is not active: {message.GetRawText()}");
                }

                break;
            case "subscribed":
                var id = message.GetProperty("id").GetString()!;
                if (_active.TryGetValue(id, out var made))
                {
                    made.Checker.OnSubscribed(message, made.ExpectedResume);
                }

                Answer("subscribed:" + id, message);
                break;
            case "unsubscribed":
                var ended = message.GetProperty("id").GetString()!;
                if (message.GetProperty("reason").GetString() != "unsubscribed")
                {
                    Fail($"the server ended a subscription: {message.GetRawText()}");
                }

                _active.TryRemove(ended, out _);
                Answer("unsubscribed:" + ended, message);
                break;
            case "pong":
                Answer("pong:" + message.GetProperty("id").GetString(), message);
                break;
            case "heartbeat":
                break;
            default:
                Fail($"unexpected message {message.GetRawText()}");
                break;
        }
    }

    private void Fail(string what) => _world.Tally.Fail($"{_identity.Name}{(_slow ? " (slow)" : string.Empty)}: {what}");

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>A handler whose sockets have a 4 KiB receive buffer, so a reader that stops reading back-pressures the server soon.</summary>
    private static SocketsHttpHandler SmallReceiveBufferHandler() => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
