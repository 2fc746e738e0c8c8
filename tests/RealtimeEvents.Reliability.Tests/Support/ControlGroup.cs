using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.Support;

/// <summary>
/// Well-behaved WebSocket subscribers that watch a steady stream while a suite attacks the server. Each event on
/// <see cref="Topic"/> carries <c>data.n</c> = 1, 2, 3, …; every client must get each of them once, in order, with no
/// overflow and no close, from the first to the last one published. <see cref="StopAndVerifyAsync"/> says whether they did.
/// </summary>
internal sealed class ControlGroup : IAsyncDisposable
{
    /// <summary>The topic the control stream is published on.</summary>
    public const string Topic = "control/stream";

    private const string SubscriptionId = "control";
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    private readonly TestHost _host;
    private readonly ControlClient[] _clients;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _publisher;
    private readonly int _eventsPerSecond;
    private long _published;
    private string? _publishFailure;

    private ControlGroup(TestHost host, ControlClient[] clients, int eventsPerSecond)
    {
        _host = host;
        _clients = clients;
        _eventsPerSecond = eventsPerSecond;
        _publisher = Task.Run(PublishAsync);
    }

    /// <summary>How many control events have been published so far.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>
    /// Connects <paramref name="clients"/> subscribers to <paramref name="host"/>'s <c>/realtime/ws</c>, waits until each is
    /// subscribed, then publishes about <paramref name="eventsPerSecond"/> control events a second until stopped.
    /// </summary>
    public static async Task<ControlGroup> StartAsync(TestHost host, int clients = 4, int eventsPerSecond = 200)
    {
        var connected = new ControlClient[clients];
        try
        {
            for (var i = 0; i < clients; i++)
            {
                var protocol = await ProtocolClient.ConnectAsync(host.WebSocketUri()).WithTimeout();
                connected[i] = new ControlClient(i, protocol);
                await protocol.SubscribeAsync(SubscriptionId, topics: [Topic]).WithTimeout();
                connected[i].Start();
            }
        }
        catch
        {
            foreach (var client in connected.Where(c => c is not null))
            {
                await client.DisposeAsync();
            }

            throw;
        }

        return new ControlGroup(host, connected, eventsPerSecond);
    }

    /// <summary>
    /// Stops publishing, waits (bounded) until every client has every event published, and fails with what went wrong
    /// when one missed, repeated or reordered an event, got an overflow or lost its connection.
    /// </summary>
    public async Task<ControlGroupResult> StopAndVerifyAsync()
    {
        await _stop.CancelAsync();
        await _publisher.WithTimeout(DrainTimeout);
        Assert.True(_publishFailure is null, $"The control group's publisher failed: {_publishFailure}");
        var published = Published;
        var drained = Task.WhenAll(_clients.Select(c => c.WhenReached(published)));
        var firstFailure = Task.WhenAny(_clients.Select(c => c.Failed));
        var finished = await Task.WhenAny(drained, firstFailure, Task.Delay(DrainTimeout)).ConfigureAwait(false);
        if (finished == drained)
        {
            // Every event arrived; each connection must still be open too: a pong comes after any close the server began.
            var alive = Task.WhenAll(_clients.Select(c => c.PingAsync()));
            await Task.WhenAny(alive, firstFailure, Task.Delay(DrainTimeout)).ConfigureAwait(false);
            Assert.True(alive.IsCompletedSuccessfully || _clients.Any(c => c.Failure is not null),
                "A control client got no pong after its last event.");
        }

        var failures = _clients.Where(c => c.Failure is not null).Select(c => $"control client {c.Index}: {c.Failure}").ToList();
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(finished == drained,
            $"The control group did not receive all {published} events within {DrainTimeout.TotalSeconds} s: "
            + string.Join(", ", _clients.Select(c => $"client {c.Index} at {c.Received}")));
        return new ControlGroupResult(_clients.Length, published, _clients.Sum(c => c.Received));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _publisher.WithTimeout(DrainTimeout);
        }
        catch (Exception)
        {
            // A failed publisher is reported by StopAndVerifyAsync; disposing must not hide the test's own failure.
        }
        finally
        {
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }

            _stop.Dispose();
        }
    }

    private async Task PublishAsync()
    {
        try
        {
            var pacer = new PublishPacer(_eventsPerSecond, head: 1);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
            while (!_stop.IsCancellationRequested)
            {
                var due = pacer.Due(Published);
                while (Published < due && !_stop.IsCancellationRequested)
                {
                    var n = Published + 1;
                    await _host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, Topic)
                    {
                        Data = EventData.FromJson(string.Create(CultureInfo.InvariantCulture, $$"""{"n":{{n}}}""")),
                    }).WithTimeout();
                    Interlocked.Exchange(ref _published, n);
                }

                try
                {
                    await timer.WaitForNextTickAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            _publishFailure = e.ToString();
            throw;
        }
    }

    /// <summary>Result of a control group's run: how many clients, events published, and deliveries checked.</summary>
    internal sealed record ControlGroupResult(int Clients, long Published, long Delivered);

    private sealed class ControlClient(int index, ProtocolClient protocol) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _ponged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _gate = new();
        private readonly List<(long Target, TaskCompletionSource Reached)> _waiters = [];
        private Task _reader = Task.CompletedTask;
        private long _received;

        public int Index { get; } = index;

        public long Received => Interlocked.Read(ref _received);

        public string? Failure { get; private set; }

        public Task Failed => _failed.Task;

        public void Start() => _reader = Task.Run(ReadAsync);

        /// <summary>Sends a <c>ping</c>; completes when its <c>pong</c> arrives.</summary>
        public async Task PingAsync()
        {
            try
            {
                await protocol.SendAsync("""{"op":"ping","id":"control-verify"}""").WithTimeout();
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
            {
                Fail($"the server closed the connection (a ping could not be sent: {e.Message})");
            }

            await _ponged.Task;
        }

        public Task WhenReached(long target)
        {
            lock (_gate)
            {
                if (Received >= target)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((target, reached));
                return reached.Task;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            protocol.Socket.Abort();
            try
            {
                await _reader.WithTimeout();
            }
            catch (Exception)
            {
                // The reader ends with the aborted socket; what it saw before is in Failure.
            }

            await protocol.DisposeAsync();
            _stop.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    message.SetLength(0);
                    WebSocketReceiveResult result;
                    do
                    {
                        result = await protocol.Socket.ReceiveAsync(buffer, _stop.Token);
                        message.Write(buffer, 0, result.Count);
                    }
                    while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        Fail($"the server closed the connection ({result.CloseStatus} {result.CloseStatusDescription})");
                        return;
                    }

                    using var document = JsonDocument.Parse(message.ToArray());
                    Handle(document.RootElement);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Disposed.
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                Fail($"the connection failed: {e.GetType().Name}: {e.Message}");
            }
        }

        private void Handle(JsonElement message)
        {
            switch (message.GetProperty("op").GetString())
            {
                case "event":
                    Check(message.GetProperty("event"));
                    break;
                case "events":
                    foreach (var evt in message.GetProperty("events").EnumerateArray())
                    {
                        Check(evt);
                    }

                    break;
                case "pong":
                    if (message.TryGetProperty("id", out var id) && id.ValueEquals("control-verify"))
                    {
                        _ponged.TrySetResult();
                    }

                    break;
                case "heartbeat":
                    break;
                default:
                    Fail($"unexpected message {message.GetRawText()}");
                    break;
            }
        }

        private void Check(JsonElement evt)
        {
            var n = evt.GetProperty("data").GetProperty("n").GetInt64();
            var expected = Received + 1;
            if (n != expected)
            {
                Fail($"got n = {n} after {Received}: {(n <= Received ? "a repeat or reordering" : "a silent gap")}");
                return;
            }

            Interlocked.Exchange(ref _received, n);
            lock (_gate)
            {
                for (var i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (_waiters[i].Target <= n)
                    {
                        _waiters[i].Reached.TrySetResult();
                        _waiters.RemoveAt(i);
                    }
                }
            }
        }

        private void Fail(string failure)
        {
            Failure ??= failure;
            _failed.TrySetResult();
        }
    }
}
