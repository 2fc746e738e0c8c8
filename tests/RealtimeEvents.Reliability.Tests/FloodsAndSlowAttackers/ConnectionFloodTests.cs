using System.Diagnostics;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.FloodsAndSlowAttackers;

/// <summary>
/// Issue 9, connection floods: once a node serves <c>MaxConnections</c>, every further WebSocket or SSE attempt gets HTTP 503
/// <c>too_many_connections</c> with <c>Retry-After: 5</c> before any upgrade, the count never goes over the limit, the
/// clients already connected are not affected, and every slot comes back when a client leaves.
/// </summary>
public sealed class ConnectionFloodTests(ITestOutputHelper output)
{
    private const int MaxConnections = 60;
    private const int ControlClients = 4;

    [Fact]
    public async Task FloodPastMaxConnections_GetsRefusedBeforeTheUpgrade_AndEverySlotComesBack()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        var random = new Random(seed);
        var attempts = ReliabilityRun.IsLong ? 4000 : 300;
        var parallel = ReliabilityRun.IsLong ? 400 : 300; // under Kestrel's accept backlog (512), so no connect waits out a SYN retry

        await using var host = await TestHost.StartAsync(transport: o =>
        {
            o.MaxConnections = MaxConnections;
            // The idle clients holding the slots never read, so they never answer pings: a heartbeat timeout that
            // dropped them during a slow run would free slots the test counts on.
            o.HeartbeatInterval = TimeSpan.FromMinutes(5);
            o.HeartbeatTimeout = TimeSpan.FromMinutes(10);
        });
        await using var control = await ControlGroup.StartAsync(host, clients: ControlClients);
        var idleWebSockets = new List<ProtocolClient>();
        var idleStreams = new List<RawConnection>();
        try
        {
            // Hold every slot: the control group plus idle WebSocket and SSE clients, half and half.
            for (var i = 0; i < MaxConnections - ControlClients; i++)
            {
                if (i % 2 == 0)
                {
                    idleWebSockets.Add(await ProtocolClient.ConnectAsync(host.WebSocketUri()));
                }
                else
                {
                    idleStreams.Add(await OpenSseAsync(host));
                }
            }

            Assert.Equal(MaxConnections, host.Connections.Connections.Count);

            // The flood, with the server's connection count sampled throughout.
            using var sampling = new CancellationTokenSource();
            var maxObserved = 0;
            var sampler = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(2));
                try
                {
                    do
                    {
                        maxObserved = Math.Max(maxObserved, host.Connections.Connections.Count);
                    }
                    while (await timer.WaitForNextTickAsync(sampling.Token));
                }
                catch (OperationCanceledException)
                {
                    // Sampling stopped.
                }
            });
            var kinds = Enumerable.Range(0, attempts).Select(_ => random.Next(2) == 0 ? "websocket" : "sse").ToArray();
            using var gate = new SemaphoreSlim(parallel);
            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(kinds.Select(async kind =>
            {
                await gate.WaitAsync();
                try
                {
                    return (Kind: kind, Response: await AttemptAsync(host, kind));
                }
                finally
                {
                    gate.Release();
                }
            })).WithTimeout(TimeSpan.FromMinutes(ReliabilityRun.IsLong ? 4 : 1));
            var floodTime = clock.Elapsed;
            await sampling.CancelAsync();
            await sampler.WithTimeout();

            foreach (var (kind, response) in results)
            {
                Assert.True(response.Status == 503, $"A {kind} attempt past the limit got {response} (seed {seed}).");
                Assert.Equal("5", response.Header("Retry-After"));
                var body = JsonDocument.Parse(response.Body).RootElement;
                Assert.Equal(503, body.GetProperty("status").GetInt32());
                Assert.Equal(ProtocolErrorCodes.TooManyConnections, body.GetProperty("code").GetString());
            }

            Assert.True(maxObserved <= MaxConnections, $"The server served {maxObserved} connections; the limit is {MaxConnections} (seed {seed}).");
            Assert.Equal(MaxConnections, host.Connections.Connections.Count);
            output.WriteLine($"figure: flood_attempts={attempts} (websocket {kinds.Count(k => k == "websocket")}, sse {kinds.Count(k => k == "sse")})");
            output.WriteLine($"figure: flood_refused_503={results.Length}");
            output.WriteLine($"figure: flood_max_connections_observed={maxObserved} (limit {MaxConnections})");
            output.WriteLine($"figure: flood_duration_ms={floodTime.TotalMilliseconds:0}");

            // Slots come back: close some of each kind; exactly as many new clients get in, and the next is refused again.
            var released = 10;
            for (var i = 0; i < released / 2; i++)
            {
                await idleWebSockets[^1].DisposeAsync();
                idleWebSockets.RemoveAt(idleWebSockets.Count - 1);
                await idleStreams[^1].DisposeAsync();
                idleStreams.RemoveAt(idleStreams.Count - 1);
            }

            await Until.TrueAsync(() => host.Connections.Connections.Count == MaxConnections - released, TimeSpan.FromSeconds(10),
                () => $"the server still has {host.Connections.Connections.Count} connections after {released} left");
            for (var i = 0; i < released; i++)
            {
                if (i % 2 == 0)
                {
                    idleWebSockets.Add(await ProtocolClient.ConnectAsync(host.WebSocketUri()));
                }
                else
                {
                    idleStreams.Add(await OpenSseAsync(host));
                }
            }

            Assert.Equal(MaxConnections, host.Connections.Connections.Count);
            Assert.Equal(503, (await AttemptAsync(host, "websocket")).Status);
            Assert.Equal(503, (await AttemptAsync(host, "sse")).Status);

            var checkedEvents = await control.StopAndVerifyAsync();
            output.WriteLine($"figure: flood_control_events_checked={checkedEvents.Delivered} ({checkedEvents.Clients} clients x {checkedEvents.Published})");
        }
        finally
        {
            foreach (var client in idleWebSockets)
            {
                await client.DisposeAsync();
            }

            foreach (var stream in idleStreams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    private static async Task<RawConnection> OpenSseAsync(TestHost host)
    {
        var stream = await RawConnection.OpenAsync(host.BaseAddress);
        await stream.SendAsync(stream.SseRequest("idle/topic"));
        var response = await stream.ReadResponseAsync(readBody: false);
        Assert.Equal(200, response.Status);
        return stream;
    }

    /// <summary>One attempt by hand, so the status is seen before anything else: a WebSocket upgrade request or an SSE request.</summary>
    private static async Task<RawResponse> AttemptAsync(TestHost host, string kind)
    {
        await using var connection = await RawConnection.OpenAsync(host.BaseAddress);
        await connection.SendAsync(kind == "websocket" ? connection.WebSocketRequest() : connection.SseRequest("flood/topic"));
        return await connection.ReadResponseAsync();
    }
}
