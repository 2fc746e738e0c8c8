using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// Issue 9, soak: a steady mixed workload for a fixed time (CI 60 s, long mode 30 min) against real Kestrel. At every
/// checkpoint the transient clients have all left, and the server must be back to the steady state: only the control
/// group's connections and subscriptions, open files near the baseline; at the end the managed heap is near the baseline
/// with no upward trend. Meanwhile every client checks its streams (in order, no silent gap) and the control group gets
/// every one of its events.
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int ControlClients = 4;
    private const int IdentitiesPerLane = 3;

    /// <summary>Open files may differ from the baseline by this much: HTTP clients' pooled connections, runtime files.</summary>
    private const int OpenFilesSlack = 16;

    /// <summary>
    /// The end's managed heap may exceed the baseline by this much. History is full at the baseline and bounded by bytes
    /// (3 MiB of event JSON) and count (6,000): what it holds moves with the mix of event sizes (more, smaller events
    /// mean more event objects), about 1 MiB either way. Pools (Kestrel's, ArrayPool, JSON) and tiered JIT grow a
    /// little more after the warm-up: clean CI runs end 0.5 to 1.5 MiB above the baseline. 4 MiB is twice that, and
    /// below what a leak of one 16 KiB object graph per connection (a static list of the library's connections) adds
    /// over the ~350 connections of a CI run: 5.5 MiB.
    /// </summary>
    private const long HeapSlackBytes = 4L << 20;

    /// <summary>The mean heap of the last third of the checkpoints may exceed the first third's by this much: a steady leak shows as a slope.</summary>
    private const long TrendSlackBytes = 2L << 20;

    [Fact]
    public async Task SteadyMixedWorkload_LeavesNoConnectionsSubscriptionsOrMemoryBehind()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        var settings = SoakSettings.FromEnvironment();
        var plan = new SoakPlan(seed, settings.Topics);
        var claimed = new long[settings.Topics];

        await using var host = await TestHost.StartAsync(
            core: o =>
            {
                // Small enough that the warm-up fills history by count or bytes; full history is part of the baseline.
                o.History.MaxEvents = settings.HistoryEvents;
                o.History.MaxBytes = settings.HistoryBytes;
            },
            realtime: b => b.AddSnapshotProvider(SoakPlan.TopicPrefix + "*", sp => new SoakSnapshotProvider(sp.GetRequiredService<IEventBroadcaster>(), claimed)));
        // Started before any client, so the meter's up-down counters start at zero with the server.
        using var counts = new SoakServerCounts(host);
        await using var world = new SoakWorld(host, plan, claimed, seed);
        await using var control = await ControlGroup.StartAsync(host, ControlClients, settings.ControlEventsPerSecond);
        var log = host.Services.GetRequiredService<IEventLog>();
        world.StartSteadyWork(settings.EventsPerSecond);

        var lanes = BuildLanes(settings, plan, seed);
        var series = new List<Checkpoint>();
        var clock = Stopwatch.StartNew();
        using var abort = new CancellationTokenSource();
        ProcessProbe? baseline = null;
        try
        {
            for (var k = 0; k <= settings.Checkpoints; k++)
            {
                var phaseEnd = TimeProvider.System.GetUtcNow() + settings.CheckpointInterval;
                await RunWavesAsync(world, lanes, settings, phaseEnd, seed * 31 + k, abort.Token);
                var quiet = await WaitForSteadyAsync(host, counts, ControlClients);
                var stats = await ReadStatsAsync(world.Admin);
                var probe = ProcessProbe.Read();
                var point = new Checkpoint(k, clock.Elapsed, probe, quiet, stats.Connections, stats.Subscriptions,
                    Interlocked.Read(ref world.Tally.EventsPublished) + control.Published, Interlocked.Read(ref world.Tally.ConnectionsOpened));
                series.Add(point);
                output.WriteLine(point.ToString());

                Assert.True(stats.Connections == ControlClients && stats.Subscriptions == ControlClients,
                    $"seed {seed}, checkpoint {k}: after every transient client left, the server still has {stats.Connections} connections and "
                    + $"{stats.Subscriptions} subscriptions (GET stats; the control group's {ControlClients} each); "
                    + $"registry {host.Connections.Connections.Count}, broadcaster {host.Broadcaster.Subscriptions.Count}.");
                Assert.True(counts.ReservedSlots == ControlClients && counts.MeteredConnections == ControlClients && counts.MeteredSubscriptions == ControlClients,
                    $"seed {seed}, checkpoint {k}: connection slots taken {counts.ReservedSlots}, metered connections {counts.MeteredConnections}, "
                    + $"metered subscriptions {counts.MeteredSubscriptions}; only the control group's {ControlClients} should remain.");
                if (baseline is null)
                {
                    // History must be full before the baseline: the oldest events are gone, so its size no longer grows.
                    Assert.False(log.CanResumeFrom(new EventPosition(log.CurrentPosition.Epoch, 0)),
                        $"seed {seed}: history is not full after the warm-up ({settings.CheckpointInterval.TotalSeconds} s); the baseline would include its growth.");
                    baseline = probe;
                    continue;
                }

                Assert.True(probe.OpenFiles <= baseline.OpenFiles + OpenFilesSlack,
                    $"seed {seed}, checkpoint {k}: {probe.OpenFiles} open files, baseline {baseline.OpenFiles} (+{OpenFilesSlack} allowed).");
            }
        }
        finally
        {
            await abort.CancelAsync();
            PrintFigures(world.Tally, series, baseline, clock.Elapsed, control.Published);
            output.WriteLine(Invariant($"figure: server_dropped={counts.Dropped} server_conflated={counts.Conflated}"));
        }

        await world.StopSteadyWorkAsync();
        var result = await control.StopAndVerifyAsync();
        output.WriteLine($"figure: control_events_delivered={result.Delivered}");

        var failures = world.Tally.Failures;
        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} client failures:\n{string.Join('\n', failures.Take(30))}");
        Assert.True(world.Tally.SseEndedByServer <= world.Tally.SseAdminDisconnects,
            $"seed {seed}: {world.Tally.SseEndedByServer} SSE streams ended by the server, but only {world.Tally.SseAdminDisconnects} were disconnected.");
        Assert.True(world.Tally.QueueOverflows > 0, $"seed {seed}: no queue overflow; the slow readers did not fall behind, so the overflow path went unchecked.");
        Assert.True(world.Tally.Resumes > 0 && world.Tally.Snapshots > 0 && world.Tally.SseResumes > 0,
            $"seed {seed}: the workload missed a path (resumes {world.Tally.Resumes}, snapshots {world.Tally.Snapshots}, SSE resumes {world.Tally.SseResumes}).");

        // Every event a client excused as superseded by conflation must be one the server says it conflated.
        Assert.True(world.Tally.ConflatedSkips <= counts.Conflated,
            $"seed {seed}: clients excused {world.Tally.ConflatedSkips} missing events as conflated, the server conflated {counts.Conflated}.");

        var end = series[^1].Probe;
        Assert.True(end.ManagedBytes <= baseline!.ManagedBytes + HeapSlackBytes,
            $"seed {seed}: managed heap {Mib(end.ManagedBytes)} MiB at the end, baseline {Mib(baseline.ManagedBytes)} MiB (+{Mib(HeapSlackBytes)} MiB allowed).");
        var measured = series.Skip(1).Select(c => c.Probe.ManagedBytes).ToList();
        var third = Math.Max(1, measured.Count / 3);
        var firstThird = measured.Take(third).Average();
        var lastThird = measured.TakeLast(third).Average();
        Assert.True(lastThird <= firstThird + TrendSlackBytes,
            $"seed {seed}: the managed heap trends up: last third's mean {Mib((long)lastThird)} MiB, first third's {Mib((long)firstThird)} MiB (+{Mib(TrendSlackBytes)} MiB allowed).");
    }

    /// <summary>
    /// Lanes of sessions running side by side: each lane runs one session after another with its own few identities, so an
    /// identity is never in two sessions at once and often resumes where it left.
    /// </summary>
    private static List<Lane> BuildLanes(SoakSettings settings, SoakPlan plan, int seed)
    {
        var random = new Random(seed);
        var lanes = new List<Lane>();
        for (var i = 0; i < settings.WebSocketSessionsAtOnce; i++)
        {
            lanes.Add(new Lane(LaneKind.WebSocket, Identities($"ws{i}")));
        }

        for (var i = 0; i < settings.SseSessionsAtOnce; i++)
        {
            lanes.Add(new Lane(LaneKind.Sse, Identities($"sse{i}")));
        }

        for (var i = 0; i < settings.SlowReaders; i++)
        {
            lanes.Add(new Lane(LaneKind.Slow, [new SoakIdentity($"slow{i}", SoakFilter.Everything(plan.Topics), plan.Topics)]));
        }

        return lanes;

        SoakIdentity[] Identities(string name) =>
            [.. Enumerable.Range(0, IdentitiesPerLane).Select(j => new SoakIdentity($"{name}.{j}", SoakFilter.Random(random, plan.Topics), plan.Topics))];
    }

    /// <summary>Runs every lane until <paramref name="phaseEnd"/>; sessions last 1 to 4 s, slow readers the whole phase.</summary>
    private static async Task RunWavesAsync(SoakWorld world, List<Lane> lanes, SoakSettings settings, DateTimeOffset phaseEnd, int seed, CancellationToken abort)
    {
        var runs = lanes.Select((lane, index) => Task.Run(async () =>
        {
            var random = new Random(seed * 397 + index);
            while (TimeProvider.System.GetUtcNow() < phaseEnd - TimeSpan.FromMilliseconds(500) && !abort.IsCancellationRequested)
            {
                var identity = lane.Identities[random.Next(lane.Identities.Length)];
                // A slow reader stalls for all but the last 2.5 s of its session; under 30 s, so the server's heartbeat
                // timeout (HeartbeatTimeout, 30 s by default) does not take it for dead.
                var leaveAt = Min(phaseEnd, TimeProvider.System.GetUtcNow()
                    + (lane.Kind == LaneKind.Slow ? TimeSpan.FromSeconds(25) : TimeSpan.FromMilliseconds(random.Next(1000, 4000))));
                try
                {
                    if (lane.Kind == LaneKind.Sse)
                    {
                        await new SoakSseSession(world, identity, random.Next()).RunAsync(leaveAt, abort);
                    }
                    else
                    {
                        await new SoakWebSocketSession(world, identity, random.Next(), slow: lane.Kind == LaneKind.Slow).RunAsync(leaveAt, abort);
                    }
                }
                catch (Exception ex) when (!abort.IsCancellationRequested)
                {
                    world.Tally.Fail($"{identity.Name}: the session failed: {ex}");
                }
            }
        }));
        await Task.WhenAll(runs).WithTimeout(settings.CheckpointInterval + TimeSpan.FromSeconds(45));
    }

    /// <summary>
    /// Waits (bounded) until the server's registry and broadcaster hold only the control group: the cleanup of a
    /// connection that just went away runs after its socket closed. Returns how long that took.
    /// </summary>
    private static async Task<TimeSpan> WaitForSteadyAsync(TestHost host, SoakServerCounts counts, int steady)
    {
        var waited = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (waited.Elapsed < TimeSpan.FromSeconds(15)
            && (host.Connections.Connections.Count != steady || host.Broadcaster.Subscriptions.Count != steady || counts.ReservedSlots != steady
                || counts.MeteredConnections != steady || counts.MeteredSubscriptions != steady))
        {
            await timer.WaitForNextTickAsync();
        }

        return waited.Elapsed;
    }

    private static async Task<(int Connections, int Subscriptions)> ReadStatsAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync(new Uri("/realtime/admin/stats", UriKind.Relative)).WithTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WithTimeout());
        return (stats.RootElement.GetProperty("connections").GetInt32(), stats.RootElement.GetProperty("subscriptions").GetInt32());
    }

    private void PrintFigures(SoakTally tally, List<Checkpoint> series, ProcessProbe? baseline, TimeSpan elapsed, long controlPublished)
    {
        output.WriteLine(Invariant($"figure: duration_s={elapsed.TotalSeconds:F1}"));
        output.WriteLine(Invariant($"figure: events_published={tally.EventsPublished + controlPublished} (workload {tally.EventsPublished}, control {controlPublished})"));
        output.WriteLine(Invariant($"figure: connections_opened={tally.ConnectionsOpened} (websocket sessions {tally.WebSocketSessions}, sse sessions {tally.SseSessions})"));
        output.WriteLine(Invariant($"figure: subscriptions_made={tally.SubscriptionsMade} (resumes {tally.Resumes}, sse resumes {tally.SseResumes}, snapshots {tally.Snapshots}, resubscribes {tally.Resubscribes})"));
        output.WriteLine(Invariant($"figure: deliveries_checked={tally.DeliveriesChecked}"));
        output.WriteLine(Invariant($"figure: overflows_announced={tally.OverflowsAnnounced} (queue overflows {tally.QueueOverflows} with {tally.EventsDroppedAnnounced} events dropped, the rest history_truncated; conflated skips {tally.ConflatedSkips})"));
        output.WriteLine(Invariant($"figure: leaves clean={tally.CleanCloses} abort={tally.Aborts} admin_disconnects={tally.AdminDisconnects} (seen {tally.AdminDisconnectsSeen}) sse_admin_disconnects={tally.SseAdminDisconnects} pings={tally.Pings} management_calls={tally.ManagementCalls}"));
        if (baseline is not null)
        {
            output.WriteLine(Invariant($"figure: baseline {baseline}"));
        }

        if (series.Count > 0)
        {
            output.WriteLine(Invariant($"figure: end {series[^1].Probe}"));
            output.WriteLine(Invariant($"figure: series_managed_mib={string.Join(',', series.Select(c => Mib(c.Probe.ManagedBytes)))}"));
            output.WriteLine(Invariant($"figure: series_open_files={string.Join(',', series.Select(c => c.Probe.OpenFiles))}"));
            output.WriteLine(Invariant($"figure: series_threads={string.Join(',', series.Select(c => c.Probe.Threads))}"));
        }
    }

    private static string Mib(long bytes) => Invariant($"{bytes / 1024.0 / 1024.0:F1}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private enum LaneKind
    {
        WebSocket,
        Sse,
        Slow,
    }

    private sealed record Lane(LaneKind Kind, SoakIdentity[] Identities);

    private sealed record Checkpoint(int Index, TimeSpan At, ProcessProbe Probe, TimeSpan QuietAfter, int Connections, int Subscriptions, long Published, long Opened)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"checkpoint {Index} at {At.TotalSeconds:F0} s: {Probe}; connections {Connections}, subscriptions {Subscriptions} (steady after {QuietAfter.TotalMilliseconds:F0} ms); published {Published}, connections opened {Opened}");
    }
}
