using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.FloodsAndSlowAttackers;

/// <summary>
/// Issue 9, clients that never read: WebSocket and SSE subscribers of a busy topic whose TCP receive window is 4 KiB and
/// who never read after the handshake. Publishing never waits for them, the control group does not notice them, the
/// memory they cost is bounded by their queues, and they are dropped: the subscription by the lag policy, the connection
/// by the heartbeat timeout (WebSocket: no pong; SSE: a write that does not complete).
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public sealed class StalledReaderTests(ITestOutputHelper output)
{
    private const int ControlClients = 4;
    private const int QueueCapacity = 64;
    private const int EventBytes = 16 * 1024;
    private const int EventsPerSecond = 400;
    private const int ReceiveBufferBytes = 4 * 1024;
    private const string BusyTopic = "busy/stream";
    private const long HistoryBytes = 16L * 1024 * 1024; // about 2.5 s of the busy stream: room for a dispatcher paused on a loaded machine
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan PublishBound = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DropTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("websocket", LagPolicy.EndSubscription)]
    [InlineData("websocket", LagPolicy.KeepDropping)]
    [InlineData("sse", LagPolicy.EndSubscription)]
    [InlineData("sse", LagPolicy.KeepDropping)]
    public async Task ClientsThatNeverRead_CostBoundedMemory_AndAreDropped(string transport, LagPolicy lagPolicy)
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        var stalledCount = ReliabilityRun.IsLong ? 200 : 20;
        var name = $"{transport}_{(lagPolicy == LagPolicy.EndSubscription ? "end_subscription" : "keep_dropping")}";
        var logs = new LogCapture();
        await using var host = await TestHost.StartAsync(
            core: o =>
            {
                o.SubscriptionQueueCapacity = QueueCapacity;
                o.LagPolicy = lagPolicy;
                o.History.MaxBytes = HistoryBytes;
            },
            transport: o =>
            {
                o.HeartbeatInterval = HeartbeatInterval;
                o.HeartbeatTimeout = HeartbeatTimeout;
            },
            configure: logs.AddTo);
        // The control group shares the small queue capacity; at 50 events a second it rides out a 1.2 s pause of the process
        // (the probes' full collections on a loaded machine) without an overflow.
        await using var control = await ControlGroup.StartAsync(host, clients: ControlClients, eventsPerSecond: 50);
        var before = ProcessProbe.Read();
        var stalled = new List<RawConnection>();
        await using var publisher = new BusyPublisher(host, seed);
        try
        {
            for (var i = 0; i < stalledCount; i++)
            {
                stalled.Add(await OpenStalledAsync(host, transport));
            }

            await Until.TrueAsync(() => host.Broadcaster.Subscriptions.Count == ControlClients + stalledCount, TimeSpan.FromSeconds(10),
                () => $"{host.Broadcaster.Subscriptions.Count} subscriptions, expected {ControlClients + stalledCount}");
            Assert.Equal(ControlClients + stalledCount, host.Connections.Connections.Count);
            var stalledSubscriptions = host.Broadcaster.Subscriptions.Where(s => s.Id != "control").ToList();
            var clock = Stopwatch.StartNew();
            publisher.Start();

            // Stalled: every stalled subscription has overflowed (KeepDropping) or was ended for it (EndSubscription).
            if (lagPolicy == LagPolicy.EndSubscription)
            {
                await Until.TrueAsync(() => logs.Count(LogCapture.SubscriptionLagging) >= stalledCount, DropTimeout,
                    () => $"{logs.Count(LogCapture.SubscriptionLagging)} of {stalledCount} subscriptions ended for lagging");
                Assert.Equal(ControlClients, host.Broadcaster.Subscriptions.Count);
                output.WriteLine($"figure: {name}_subscriptions_ended_lagging={logs.Count(LogCapture.SubscriptionLagging)} after {clock.ElapsedMilliseconds} ms, connections then {host.Connections.Connections.Count}");
            }
            else
            {
                await Until.TrueAsync(() => stalledSubscriptions.All(s => s.DroppedCount > 0), DropTimeout,
                    () => $"{stalledSubscriptions.Count(s => s.DroppedCount > 0)} of {stalledCount} stalled subscriptions overflowed");
            }

            var during = ProcessProbe.Read();
            var connectionsDuring = host.Connections.Connections.Count;

            // Dropped: the server lets go of every stalled connection, and only those. Watched from the server: a client
            // that read to see the close would no longer be stalled (SSE has nothing else to un-stall it).
            await Until.TrueAsync(() => host.Connections.Connections.Count == ControlClients, DropTimeout,
                () => $"the server still has {host.Connections.Connections.Count} connections");
            var dropped = clock.Elapsed;
            Assert.Equal(ControlClients, host.Broadcaster.Subscriptions.Count);

            // Then the TCP connections are gone too: aborted (WebSocket: no pong; SSE: the write timeout). An SSE stream
            // ended for lagging may instead have ended its response normally, if its "unsubscribed" still fit in the
            // buffers; that TCP connection is then Kestrel's, idle until its KeepAliveTimeout, and holds no slot.
            var closes = transport == "sse" && lagPolicy == LagPolicy.EndSubscription
                ? [dropped]
                : await Task.WhenAll(stalled.Select(c => c.WaitForServerCloseAsync(TimeSpan.FromSeconds(10))));

            var (published, slowest) = await publisher.StopAsync();
            Assert.True(slowest < PublishBound, $"A PublishAsync took {slowest.TotalMilliseconds:0} ms while clients were stalled (seed {seed}).");
            var after = ProcessProbe.Read();

            // What the stalled clients may cost at most: each holds at most QueueCapacity events (they are shared with history
            // and every other queue, so this is an upper bound), plus per connection Kestrel's response buffer (64 KiB), the
            // batch being written (up to SendBatchBytes, 64 KiB, plus one event) and a formatting buffer of the same size.
            // Then history (HistoryBytes of JSON, twice for the event objects around it) and 16 MiB for everything else
            // (thread pool, Kestrel's memory pool growing, the control group). Unbounded queues would hold everything
            // published during the stall, far more than this (see the published figure).
            const long perConnection = (QueueCapacity * (long)EventBytes) + (3 * 64 * 1024) + EventBytes;
            var bound = (stalledCount * perConnection) + (2 * HistoryBytes) + (16L * 1024 * 1024);
            var publishedBytes = published * (long)EventBytes;
            output.WriteLine($"figure: {name}_stalled_clients={stalledCount}, connections while stalled {connectionsDuring}");
            output.WriteLine($"figure: {name}_published={published} events, {publishedBytes / 1024 / 1024} MiB, slowest PublishAsync {slowest.TotalMilliseconds:0} ms");
            output.WriteLine($"figure: {name}_memory_before={before}");
            output.WriteLine($"figure: {name}_memory_during={during}");
            output.WriteLine($"figure: {name}_memory_after={after}");
            output.WriteLine($"figure: {name}_memory_bound_mib={bound / 1024.0 / 1024.0:F1}");
            output.WriteLine($"figure: {name}_dropped={stalledCount}, all gone from the server {dropped.TotalMilliseconds:0} ms after publishing began, TCP closed {closes.Min().TotalMilliseconds:0}..{closes.Max().TotalMilliseconds:0} ms after connect");
            Assert.True(during.ManagedBytes - before.ManagedBytes < bound,
                $"Stalled clients grew the heap by {(during.ManagedBytes - before.ManagedBytes) / 1024 / 1024} MiB; the bound is {bound / 1024 / 1024} MiB (seed {seed}).");
            Assert.True(after.ManagedBytes - before.ManagedBytes < bound,
                $"After the stalled clients were dropped the heap is {(after.ManagedBytes - before.ManagedBytes) / 1024 / 1024} MiB larger (seed {seed}).");

            var checkedEvents = await control.StopAndVerifyAsync();
            output.WriteLine($"figure: {name}_control_events_checked={checkedEvents.Delivered}");
        }
        finally
        {
            foreach (var connection in stalled)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ClientThatSendsButNeverReads_IsClosedWith1008_RepliesAreNotBeingRead()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        var logs = new LogCapture();
        await using var host = await TestHost.StartAsync(
            core: o => o.SubscriptionQueueCapacity = QueueCapacity,
            transport: o =>
            {
                // With the default rate (20 a second) 257 unread replies take 13 s to pile up; the rate limit is raised so the
                // 256-replies limit is what this test meets, in a fraction of that.
                o.MessagesPerSecond = 1000;
                o.MessageBurst = 1000;
                o.CloseTimeout = TimeSpan.FromSeconds(20);
            },
            configure: logs.AddTo);
        await using var control = await ControlGroup.StartAsync(host, clients: ControlClients, eventsPerSecond: 50);
        await using var publisher = new BusyPublisher(host, seed);
        await using var connection = await OpenStalledAsync(host, "websocket");
        var socket = connection.WebSocket;

        // Jam its send loop with events it does not read, so nothing it asks for can be answered.
        publisher.Start();
        await Until.TrueAsync(() => host.Broadcaster.Subscriptions.Any(s => s.Id == "busy" && s.DroppedCount > 0), DropTimeout,
            () => "the stalled subscription never overflowed");

        const int pings = 300;
        for (var i = 1; i <= pings; i++)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"op":"ping","id":"p{{i}}"}"""), WebSocketMessageType.Text, true, CancellationToken.None).WithTimeout();
        }

        await Until.TrueAsync(() => logs.Count(LogCapture.ClosingForAbuse, "Replies are not being read.") == 1, TimeSpan.FromSeconds(10),
            () => "the server did not close for unread replies");
        await publisher.StopAsync();

        // Now read it all: the queued replies, then the close.
        var pongs = new List<string>();
        var errors = 0;
        var buffer = new byte[1 << 20];
        WebSocketReceiveResult result;
        using var message = new MemoryStream();
        while (true)
        {
            result = await socket.ReceiveAsync(buffer, CancellationToken.None).WithTimeout();
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                var json = JsonDocument.Parse(message.ToArray()).RootElement;
                message.SetLength(0);
                switch (json.GetProperty("op").GetString())
                {
                    case "pong":
                        pongs.Add(json.GetProperty("id").GetString()!);
                        break;
                    case "error":
                        errors++;
                        break;
                }
            }
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, result.CloseStatus);
        Assert.Equal("Replies are not being read.", result.CloseStatusDescription);
        Assert.Equal(0, errors);
        Assert.Equal(Enumerable.Range(1, 256).Select(i => string.Create(CultureInfo.InvariantCulture, $"p{i}")), pongs);
        output.WriteLine($"figure: unread_replies_closed_1008_after_pongs={pongs.Count} of {pings} pings");

        var checkedEvents = await control.StopAndVerifyAsync();
        output.WriteLine($"figure: unread_replies_control_events_checked={checkedEvents.Delivered}");
    }

    /// <summary>A raw client with a 4 KiB receive buffer, subscribed to the busy topic, that reads nothing after the handshake.</summary>
    private static async Task<RawConnection> OpenStalledAsync(TestHost host, string transport)
    {
        var connection = await RawConnection.OpenAsync(host.BaseAddress, ReceiveBufferBytes);
        try
        {
            if (transport == "sse")
            {
                await connection.SendAsync(connection.SseRequest(BusyTopic).Replace("topic=", "id=busy&topic=", StringComparison.Ordinal));
                Assert.Equal(200, (await connection.ReadResponseAsync(readBody: false)).Status);
            }
            else
            {
                await connection.SendAsync(connection.WebSocketRequest());
                Assert.Equal(101, (await connection.ReadResponseAsync()).Status);
                var subscribe = Encoding.UTF8.GetBytes($$"""{"op":"subscribe","id":"busy","topics":["{{BusyTopic}}"]}""");
                await connection.WebSocket.SendAsync(subscribe, WebSocketMessageType.Text, true, CancellationToken.None).WithTimeout();
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Publishes sizeable events on the busy topic at a steady rate, timing each <c>PublishAsync</c>.</summary>
    private sealed class BusyPublisher(TestHost host, int seed) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task<(long Published, TimeSpan Slowest)> _run = Task.FromResult((0L, TimeSpan.Zero));

        public void Start() => _run = Task.Run(RunAsync);

        public async Task<(long Published, TimeSpan Slowest)> StopAsync()
        {
            await _stop.CancelAsync();
            return await _run.WithTimeout();
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _run.WithTimeout();
            }
            catch (Exception)
            {
                // A failed run was reported by StopAsync already, or the test failed before.
            }

            _stop.Dispose();
        }

        private async Task<(long, TimeSpan)> RunAsync()
        {
            var random = new Random(seed);
            var pad = new string('x', EventBytes - 64);
            var published = 0L;
            var slowest = TimeSpan.Zero;
            var pacer = new PublishPacer(EventsPerSecond);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
            try
            {
                do
                {
                    var due = pacer.Due(published);
                    while (published < due && !_stop.IsCancellationRequested)
                    {
                        // Each event distinct (n, and a seeded value), so nothing in the server can share one event's bytes with another's.
                        var data = string.Create(CultureInfo.InvariantCulture, $$"""{"n":{{published + 1}},"r":{{random.Next()}},"pad":"{{pad}}"}""");
                        var started = Stopwatch.GetTimestamp();
                        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, BusyTopic) { Data = EventData.FromJson(data) })
                            .WithTimeout();
                        var took = Stopwatch.GetElapsedTime(started);
                        slowest = took > slowest ? took : slowest;
                        published++;
                    }
                }
                while (await timer.WaitForNextTickAsync(_stop.Token));
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopped.
            }

            return (published, slowest);
        }
    }
}
