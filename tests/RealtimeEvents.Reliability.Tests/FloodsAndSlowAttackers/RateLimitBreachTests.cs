using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.FloodsAndSlowAttackers;

/// <summary>
/// Issue 9, rate-limit breaches with the default limits (20 messages a second, bursts of 40, 10 violations): many
/// connections flood pings at once; each gets its burst answered, then <c>rate_limited</c> errors (no id), then close
/// 1008 after the violations. Clients within the rate are never limited, and the control group does not notice.
/// </summary>
public sealed class RateLimitBreachTests(ITestOutputHelper output)
{
    private const int Burst = 40;
    private const int MaxViolations = 10;
    private const int MessagesPerSecond = 20;
    private const int ControlClients = 4;

    [Fact]
    public async Task PingFloods_GetTheirBurst_ThenRateLimited_ThenClosed_WhileClientsWithinTheRateAreNot()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        var random = new Random(seed);
        var flooders = ReliabilityRun.IsLong ? 500 : 40;
        var politeClients = ReliabilityRun.IsLong ? 20 : 4;
        var politeDuration = TimeSpan.FromSeconds(ReliabilityRun.IsLong ? 20 : 3);
        await using var host = await TestHost.StartAsync();
        await using var control = await ControlGroup.StartAsync(host, clients: ControlClients);

        using var stopPolite = new CancellationTokenSource(politeDuration);
        var polite = Enumerable.Range(0, politeClients).Select(i => Task.Run(() => PoliteAsync(host, stopPolite.Token))).ToArray();

        // Each flooder sends its whole flood at once: more than burst + violations, plus two seconds' worth of refills
        // (a tick may land while a flood is being handled on a loaded machine), plus a seeded extra.
        var results = await Task.WhenAll(Enumerable.Range(0, flooders)
            .Select(_ => Burst + MaxViolations + 1 + (2 * MessagesPerSecond) + random.Next(0, 40))
            .Select(count => Task.Run(() => FloodAsync(host, count))))
            .WithTimeout(TimeSpan.FromSeconds(ReliabilityRun.IsLong ? 120 : 30));
        foreach (var r in results)
        {
            // The burst is answered in order. The bucket refills once a second, so a slow machine may answer a few more.
            Assert.True(r.Pongs.Count >= Burst && r.Pongs.Count <= r.Sent - (MaxViolations + 1),
                $"{r.Pongs.Count} pongs for {r.Sent} pings (seed {seed}).");
            Assert.Equal(Enumerable.Range(1, Burst).Select(Id), r.Pongs.Take(Burst));
            Assert.True(r.Errors.All(e => e.Code == ProtocolErrorCodes.RateLimited && e.Id is null),
                $"Unexpected errors: {string.Join(", ", r.Errors)} (seed {seed}).");
            Assert.Equal(MaxViolations + 1, r.Errors.Count);
            Assert.Equal((WebSocketCloseStatus?)WebSocketCloseStatus.PolicyViolation, r.Status);
            Assert.Equal("Too many invalid messages.", r.Description);
        }

        var politeResults = await Task.WhenAll(polite).WithTimeout(politeDuration + TimeSpan.FromSeconds(30));
        Assert.All(politeResults, pongs => Assert.True(pongs > 0));
        await Until.TrueAsync(() => host.Connections.Connections.Count == ControlClients, TimeSpan.FromSeconds(10),
            () => $"the server still has {host.Connections.Connections.Count} connections; only the control group should be left");

        output.WriteLine($"figure: rate_limited_connections_closed_1008={results.Length}");
        output.WriteLine($"figure: rate_limited_pings_sent={results.Sum(r => r.Sent)}, pongs {results.Sum(r => r.Pongs.Count)}, rate_limited {results.Sum(r => r.Errors.Count)}");
        output.WriteLine($"figure: rate_polite_clients={politeResults.Length}, pongs {politeResults.Sum()}, rate_limited 0");
        var checkedEvents = await control.StopAndVerifyAsync();
        output.WriteLine($"figure: rate_limit_control_events_checked={checkedEvents.Delivered}");
    }

    private static string Id(int n) => string.Create(CultureInfo.InvariantCulture, $"p{n}");

    private static async Task<FloodResult> FloodAsync(TestHost host, int count)
    {
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        for (var i = 1; i <= count; i++)
        {
            try
            {
                await client.SendAsync(new { op = "ping", id = Id(i) });
            }
            catch (WebSocketException)
            {
                break; // the server closed while the flood was still going out
            }
        }

        var (status, description, messages) = await client.ReceiveUntilClosedAsync();
        var pongs = new List<string>();
        var errors = new List<(string? Id, string? Code)>();
        foreach (var message in messages)
        {
            switch (message.GetProperty("op").GetString())
            {
                case "pong":
                    pongs.Add(message.GetProperty("id").GetString()!);
                    break;
                case "error":
                    errors.Add((message.TryGetProperty("id", out var id) ? id.GetString() : null, message.GetProperty("code").GetString()));
                    break;
            }
        }

        return new FloodResult(count, pongs, errors, status, description);
    }

    /// <summary>Pings at 10 a second (half the allowed rate) until stopped; fails on anything but a pong or a heartbeat.</summary>
    private static async Task<int> PoliteAsync(TestHost host, CancellationToken stop)
    {
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var pongs = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await client.SendAsync(new { op = "ping", id = Id(pongs + 1) });
                var skipped = new List<JsonElement>();
                var reply = await client.ReceiveOpAsync("pong", skipped);
                Assert.All(skipped, m => Assert.Equal(RealtimeProtocol.Heartbeat, m.GetProperty("op").GetString()));
                Assert.Equal(Id(pongs + 1), reply.GetProperty("id").GetString());
                pongs++;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Done.
        }

        return pongs;
    }

    /// <summary>What one flooding connection got back.</summary>
    private sealed record FloodResult(int Sent, List<string> Pongs, List<(string? Id, string? Code)> Errors, WebSocketCloseStatus? Status,
        string? Description);
}
