using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.FloodsAndSlowAttackers;

/// <summary>
/// Issue 9, handshakes that never complete. A TCP connection whose request never ends takes no RealtimeEvents connection
/// slot (a slot is taken only by a request that reached the endpoint) and Kestrel closes it after its own timeouts; an
/// upgrade that completes and then goes silent is a real connection, counted until the heartbeat timeout drops it.
/// Kestrel's timers tick once a second and add a second of their own, so its closes come 1 to 2 s after the timeout set.
/// </summary>
public sealed class StalledHandshakeTests(ITestOutputHelper output)
{
    private const int MaxConnections = 60;
    private const int ControlClients = 4;
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Kestrel checks its timeouts once a second; the closes below may come that much later, plus a loaded machine's delay.</summary>
    private static readonly TimeSpan CloseSlack = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task RequestsThatNeverEnd_TakeNoSlot_AndKestrelClosesThem()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        var random = new Random(seed);
        var perKind = ReliabilityRun.IsLong ? 1000 : 200;
        // A long heartbeat here: the real clients below do not read, so they would not answer pings, and a slow run must not drop them.
        await using var host = await StartHostAsync(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));
        await using var control = await ControlGroup.StartAsync(host, clients: ControlClients);

        var silent = new List<RawConnection>();
        var partial = new List<RawConnection>();
        var slow = new List<RawConnection>();
        var realClients = new List<ProtocolClient>();
        using var stopTrickle = new CancellationTokenSource();
        Task trickle = Task.CompletedTask;
        try
        {
            // (a) connect and send nothing; (b) a request line and some headers, never the blank line that ends them;
            // (d) a whole upgrade request, one byte at a time, far slower than the headers timeout allows.
            for (var i = 0; i < perKind; i++)
            {
                silent.Add(await RawConnection.OpenAsync(host.BaseAddress));
                var p = await RawConnection.OpenAsync(host.BaseAddress);
                partial.Add(p);
                var request = p.WebSocketRequest();
                await p.SendAsync(request[..request.IndexOf("Sec-WebSocket-Key", StringComparison.Ordinal)]);
                slow.Add(await RawConnection.OpenAsync(host.BaseAddress));
            }

            var slowRequest = Encoding.ASCII.GetBytes(slow[0].WebSocketRequest());
            trickle = Task.Run(() => TrickleAsync(slow, slowRequest, random, stopTrickle.Token));

            // While they are open, a full MaxConnections worth of real clients still gets in.
            realClients.AddRange(await Task.WhenAll(Enumerable.Range(0, MaxConnections - ControlClients)
                .Select(_ => ProtocolClient.ConnectAsync(host.WebSocketUri()))));
            Assert.Equal(MaxConnections, host.Connections.Connections.Count);
            var stillOpen = (Silent: silent.Count(c => !c.IsClosedByServer()), Partial: partial.Count(c => !c.IsClosedByServer()),
                Slow: slow.Count(c => !c.IsClosedByServer()));
            Assert.True(stillOpen is { Silent: > 0, Partial: > 0, Slow: > 0 },
                $"The stalled connections were closed before the real clients were all in ({stillOpen}); the test proved nothing.");
            output.WriteLine($"figure: stalled_handshakes_open_while_{MaxConnections - ControlClients}_real_clients_connected=silent {stillOpen.Silent}, partial {stillOpen.Partial}, slowloris {stillOpen.Slow} of {perKind} each");

            // Kestrel closes each of them.
            var closes = await Task.WhenAll(silent.Concat(partial).Concat(slow)
                .Select(c => c.WaitForServerCloseAsync(HeadersTimeout + CloseSlack)));
            await stopTrickle.CancelAsync();
            await trickle.WithTimeout();
            Report("silent", closes[..perKind]);
            Report("partial_headers", closes[perKind..(2 * perKind)]);
            Report("slowloris", closes[(2 * perKind)..]);

            // Not before the headers timeout: it was Kestrel's timeout that closed them, nothing else.
            Assert.All(closes, t => Assert.True(t >= HeadersTimeout - TimeSpan.FromMilliseconds(100), $"A stalled connection was closed after {t}."));
            Assert.Equal(MaxConnections, host.Connections.Connections.Count);

            var checkedEvents = await control.StopAndVerifyAsync();
            output.WriteLine($"figure: stalled_handshakes_control_events_checked={checkedEvents.Delivered}");
        }
        finally
        {
            await stopTrickle.CancelAsync();
            await DisposeAllAsync(silent.Concat(partial).Concat(slow));
            foreach (var client in realClients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task UpgradesThatGoSilent_AreConnections_UntilTheHeartbeatTimeoutDropsThem()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        await using var host = await StartHostAsync(HeartbeatInterval, HeartbeatTimeout);
        await using var control = await ControlGroup.StartAsync(host, clients: ControlClients);
        var silentUpgrades = new List<RawConnection>();
        try
        {
            // (c) a complete upgrade request, then nothing: never a read, never a frame, never a pong.
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < MaxConnections - ControlClients; i++)
            {
                var connection = await RawConnection.OpenAsync(host.BaseAddress);
                silentUpgrades.Add(connection);
                await connection.SendAsync(connection.WebSocketRequest());
                Assert.Equal(101, (await connection.ReadResponseAsync()).Status);
            }

            // After the 101 it is a RealtimeEvents connection: it holds a slot, so the node is full.
            Assert.Equal(MaxConnections, host.Connections.Connections.Count);
            await using (var refused = await RawConnection.OpenAsync(host.BaseAddress))
            {
                await refused.SendAsync(refused.WebSocketRequest());
                Assert.Equal(503, (await refused.ReadResponseAsync()).Status);
            }

            // The server pings every HeartbeatInterval; with no pong within HeartbeatTimeout it aborts the connection.
            var closes = await Task.WhenAll(silentUpgrades.Select(c => c.WaitForServerCloseAsync(HeartbeatInterval + HeartbeatTimeout + CloseSlack)));
            Report("silent_upgrade", closes);
            Assert.All(closes, t => Assert.True(t >= HeartbeatTimeout, $"A silent upgraded connection was dropped after {t}, before the heartbeat timeout."));
            await Until.TrueAsync(() => host.Connections.Connections.Count == ControlClients, TimeSpan.FromSeconds(10),
                () => $"the server still has {host.Connections.Connections.Count} connections");
            output.WriteLine($"figure: silent_upgrades_dropped_by_heartbeat={closes.Length} in {clock.Elapsed.TotalMilliseconds:0} ms");

            // Their slots are free again.
            await using (var client = await ProtocolClient.ConnectAsync(host.WebSocketUri()))
            {
                Assert.Equal(ControlClients + 1, host.Connections.Connections.Count);
            }

            var checkedEvents = await control.StopAndVerifyAsync();
            output.WriteLine($"figure: silent_upgrades_control_events_checked={checkedEvents.Delivered}");
        }
        finally
        {
            await DisposeAllAsync(silentUpgrades);
        }
    }

    private static Task<TestHost> StartHostAsync(TimeSpan heartbeatInterval, TimeSpan heartbeatTimeout) => TestHost.StartAsync(
        transport: o =>
        {
            o.MaxConnections = MaxConnections;
            o.HeartbeatInterval = heartbeatInterval;
            o.HeartbeatTimeout = heartbeatTimeout;
        },
        configure: builder => builder.WebHost.ConfigureKestrel(o =>
        {
            o.Limits.RequestHeadersTimeout = HeadersTimeout;
            // A connection that has sent nothing yet is idle between requests for Kestrel: KeepAliveTimeout closes it, not
            // RequestHeadersTimeout (seen with 6 s and 3 s: the silent ones went after 7.9 s, the others after 4.9 s).
            o.Limits.KeepAliveTimeout = HeadersTimeout;
        }));

    /// <summary>Slowloris: sends the next byte of the request on each connection every 100 ms, until they are closed.</summary>
    private static async Task TrickleAsync(List<RawConnection> connections, byte[] request, Random random, CancellationToken stop)
    {
        var sent = connections.Select(_ => random.Next(1, 8)).ToArray(); // a seeded head start, so the bytes do not go out in lockstep
        var alive = connections.Select(_ => true).ToArray();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        for (var i = 0; i < connections.Count; i++)
        {
            alive[i] = await TrySendAsync(connections[i], request.AsMemory(0, sent[i]));
        }

        try
        {
            while (alive.Any(a => a) && await timer.WaitForNextTickAsync(stop))
            {
                for (var i = 0; i < connections.Count; i++)
                {
                    if (alive[i] && sent[i] < request.Length - 2) // never the final CRLF
                    {
                        alive[i] = await TrySendAsync(connections[i], request.AsMemory(sent[i]++, 1));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped by the test.
        }
    }

    private static async Task<bool> TrySendAsync(RawConnection connection, ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await connection.SendAsync(bytes);
            return true;
        }
        catch (IOException)
        {
            return false; // closed by the server
        }
    }

    private static async Task DisposeAllAsync(IEnumerable<RawConnection> connections)
    {
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }

    private void Report(string kind, TimeSpan[] closes) =>
        output.WriteLine($"figure: {kind}_closed_by_server={closes.Length} after {closes.Min().TotalMilliseconds:0}..{closes.Max().TotalMilliseconds:0} ms (median {closes.Order().ElementAt(closes.Length / 2).TotalMilliseconds:0} ms)");
}
