using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>
/// Measures one scenario with one server process: idle memory per connection first (on the fresh server), then, with
/// the load clients, the max-rate search, the latency runs and last the stalled-client run (it spoils one client).
/// </summary>
internal sealed class ScenarioRunner
{
    /// <summary>The queue capacity RealtimeEvents subscriptions have by default (RealtimeEventsOptions.SubscriptionQueueCapacity).</summary>
    private const int DefaultQueueCapacity = 1024;

    /// <summary>
    /// A step keeps up only if the publisher finished this close to its schedule and every reading client had the last
    /// event this soon after: a larger backlog at the end means the rate could not be held for long.
    /// </summary>
    private const double DrainBudgetMilliseconds = 250;

    /// <summary>The rate of the one-event run after a step that timed out.</summary>
    private const double ResyncRate = 100;

    private static readonly double[] LatencyFractions = [0.25, 0.5, 0.75];

    private readonly Scenario _scenario;
    private readonly RunOptions _options;
    private readonly TextWriter _log;
    private long _rssPeak;

    public ScenarioRunner(Scenario scenario, RunOptions options, TextWriter log)
    {
        _scenario = scenario;
        _options = options;
        _log = log;
    }

    /// <summary>
    /// Runs every phase; <paramref name="referenceMaxRate"/> maps this scenario's max rate to the rate the latency runs
    /// take their fractions of, and whose it is (plain SignalR's max once it was measured, else the scenario's own).
    /// </summary>
    public async Task<ScenarioResult> RunAsync(Func<double, (double Rate, string Name)> referenceMaxRate)
    {
        var maxConnections = Math.Max(_options.Clients, _options.IdleConnections) + 100;
        await using var server = await ServerProcess.StartAsync(_scenario, _options, maxConnections).ConfigureAwait(false);
        _log.WriteLine($"== {_scenario.Name()}: {_scenario.Description()} (server pid {server.Process.Id}, {server.BaseAddress})");

        var idle = _options.IdleConnections > 0 ? await MeasureIdleAsync(server).ConfigureAwait(false) : null;

        await using var clients = await ClientsProcess.StartAsync(_scenario, server.BaseAddress, _options.Clients, idle: false, _options, $"clients {_scenario.Name()}")
            .ConfigureAwait(false);
        var connected = clients.Ready.Connected;
        _log.WriteLine($"   {connected} of {_options.Clients} clients connected{(clients.Ready.Failed > 0 ? $"; {clients.Ready.Failed} failed: {clients.Ready.FirstError}" : "")}");
        if (connected == 0)
        {
            return Failed(idle, connected, $"no client connected: {clients.Ready.FirstError}");
        }

        var startRate = _options.StartRate > 0 ? _options.StartRate : Math.Max(10, 20_000.0 / connected);
        if (_options.WarmupSeconds > 0)
        {
            await StepAsync(server, clients, startRate, _options.WarmupSeconds, connected).ConfigureAwait(false);
        }

        var (search, best) = await SearchMaxAsync(server, clients, startRate, connected).ConfigureAwait(false);
        var maxRate = best?.Rate ?? 0;
        _log.WriteLine($"   max rate kept up: {maxRate:N0} events/s = {best?.DeliveredPerSecond ?? 0:N0} deliveries/s");

        var (reference, referenceName) = referenceMaxRate(maxRate);
        var latency = new List<LatencyPoint>();
        var rates = _options.LatencyRates.Count > 0
            ? _options.LatencyRates.Select((r, i) => (Fraction: reference > 0 ? r / reference : 0, Rate: r)).ToArray()
            : LatencyFractions.Select(f => (Fraction: f, Rate: f * reference)).ToArray();
        foreach (var (fraction, rate) in rates)
        {
            if (rate <= 0)
            {
                continue;
            }

            var step = await StepAsync(server, clients, rate, _options.LatencySeconds, ReadersOf(connected, 0)).ConfigureAwait(false);
            latency.Add(new LatencyPoint(fraction, step));
            _log.WriteLine($"   latency at {rate:N0} events/s ({fraction:P0}): p50 {Ms(step.Latency?.P50Us)} p99 {Ms(step.Latency?.P99Us)} p99.9 {Ms(step.Latency?.P999Us)} ms{(step.KeptUp ? "" : " (did not keep up)")}");
        }

        var stall = await MeasureStallAsync(server, clients, latency, connected).ConfigureAwait(false);
        return new ScenarioResult(
            _scenario.Name(), _scenario.Description(), _options.Clients, connected, _eventJsonBytes, maxRate, best?.DeliveredPerSecond ?? 0,
            best?.ServerCpuCores ?? 0, best?.ClientCpuCores ?? 0, _rssPeak, search, latency, stall, idle, Error: null, referenceName, reference);
    }

    private int _eventJsonBytes;
    private int _disconnected;

    private ScenarioResult Failed(IdleResult? idle, int connected, string error) =>
        new(_scenario.Name(), _scenario.Description(), _options.Clients, connected, _eventJsonBytes, 0, 0, 0, 0, _rssPeak, [], [], null, idle, error);

    private int ReadersOf(int connected, int stalled) => Math.Max(0, connected - stalled - _disconnected);

    /// <summary>Doubles the rate until a step fails to keep up, then bisects between the last good and the first bad rate.</summary>
    private async Task<(List<StepResult> Steps, StepResult? Best)> SearchMaxAsync(ServerProcess server, ClientsProcess clients, double startRate, int connected)
    {
        var steps = new List<StepResult>();
        StepResult? best = null;
        double? bad = null;
        var rate = startRate;
        for (var i = 0; i < _options.MaxSteps; i++)
        {
            var step = await StepAsync(server, clients, rate, _options.StepSeconds, ReadersOf(connected, 0)).ConfigureAwait(false);
            steps.Add(step);
            LogStep("search", step);
            if (step.KeptUp)
            {
                best = step;
                rate *= 2;
            }
            else if (best is null && rate > 1)
            {
                // Even the first rate failed: go down instead.
                bad = rate;
                rate /= 4;
            }
            else
            {
                bad = rate;
                break;
            }
        }

        for (var i = 0; i < _options.Bisections && best is not null && bad is not null; i++)
        {
            var middle = (best.Rate + bad.Value) / 2;
            var step = await StepAsync(server, clients, middle, _options.StepSeconds, ReadersOf(connected, 0)).ConfigureAwait(false);
            steps.Add(step);
            LogStep("bisect", step);
            if (step.KeptUp)
            {
                best = step;
            }
            else
            {
                bad = middle;
            }
        }

        return (steps, best);
    }

    private void LogStep(string phase, StepResult step) =>
        _log.WriteLine(
            $"   {phase,-6} {step.Rate,10:N0} events/s: {(step.KeptUp ? "kept up" : "behind ")} delivered {step.DeliveredPerSecond,12:N0}/s " +
            $"published {step.Published:N0}{(step.TimedOut ? " TIMED OUT" : "")} missing {step.Missing} overflow {step.OverflowNotices} " +
            $"drain {step.DrainMilliseconds:N0} ms p99 {Ms(step.Latency?.P99Us)} ms cpu {step.ServerCpuCores:0.00}+{step.ClientCpuCores:0.00}");

    private static string Ms(double? us) => us is { } v ? (v / 1000).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "-";

    /// <summary>
    /// One step: reset the clients, publish, wait for the clients to drain, read both sides' accounts. With
    /// <paramref name="perSecond"/>, the readers' received total is also sampled about once a second while the publisher
    /// runs (Stopwatch ticks, total).
    /// </summary>
    private async Task<StepResult> StepAsync(
        ServerProcess server, ClientsProcess clients, double rate, double seconds, int readers, List<(long Ticks, long Received)>? perSecond = null)
    {
        await clients.ResetAsync().ConfigureAwait(false);
        var serverCpu0 = server.Process.CpuTime();
        var clientCpu0 = clients.Process.CpuTime();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        RunResult run;
        using (var stopSampling = new CancellationTokenSource())
        {
            var sampling = perSecond is null ? Task.CompletedTask : SampleEverySecondAsync(clients, perSecond, stopSampling.Token);
            try
            {
                run = await server.RunAsync(rate, seconds).ConfigureAwait(false);
            }
            finally
            {
                await stopSampling.CancelAsync().ConfigureAwait(false);
                await sampling.ConfigureAwait(false);
            }
        }

        _eventJsonBytes = run.EventJsonBytes;
        var drainTimeout = TimeSpan.FromSeconds(Math.Max(2, seconds));
        var waited = await clients.WaitAsync(run.LastN, drainTimeout).ConfigureAwait(false);

        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        var serverCpu = (server.Process.CpuTime() - serverCpu0).TotalSeconds / wall;
        var clientCpu = (clients.Process.CpuTime() - clientCpu0).TotalSeconds / wall;
        var report = await clients.ReportAsync().ConfigureAwait(false);
        var rss = server.Process.ResidentBytes();
        _rssPeak = Math.Max(_rssPeak, rss);
        _disconnected = report.Disconnected;

        if (!waited.Ok)
        {
            // Let a backlog from a step that fell behind clear before the next step, so steps don't spill into each other.
            await clients.WaitAsync(run.LastN, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        if (run.TimedOut)
        {
            // The publish call the deadline interrupted reached some clients and not others (a broadcast cut short), and
            // its n is used up: one more event now makes that gap land here, in a step nobody counts, not in the next.
            var resync = await server.RunAsync(ResyncRate, 1 / ResyncRate).ConfigureAwait(false);
            await clients.WaitAsync(resync.LastN, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        var expected = run.Published * readers;
        var scheduled = (long)Math.Round(rate * seconds);
        var keptUp = !run.TimedOut && run.Published == scheduled && run.Failed == 0 && run.BehindMilliseconds <= DrainBudgetMilliseconds
            && waited.Ok && waited.ElapsedMs <= DrainBudgetMilliseconds && report.Missing == 0 && report.OverflowNotices == 0 && report.Duplicates == 0 && report.Received >= expected && expected > 0;
        var delivered = report.Received / Math.Max(1e-3, run.ElapsedSeconds + (waited.ElapsedMs / 1000));
        return new StepResult(
            rate, seconds, readers, run.Published, expected, report.Received, report.Missing, report.Duplicates, report.OverflowNotices,
            report.DroppedAnnounced, waited.Ok, waited.ElapsedMs, run.TimedOut, run.MaxPublishMilliseconds, run.BehindMilliseconds, delivered,
            serverCpu, clientCpu, rss, report.Disconnected, report.Latency, keptUp);
    }

    /// <summary>Samples the readers' received total now and then every second until <paramref name="stop"/>; an in-flight sample completes.</summary>
    private static async Task SampleEverySecondAsync(ClientsProcess clients, List<(long Ticks, long Received)> samples, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                var count = await clients.CountAsync().ConfigureAwait(false);
                samples.Add((System.Diagnostics.Stopwatch.GetTimestamp(), count.Received));
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The publisher finished.
        }
    }

    /// <summary>The rates between consecutive samples at least 0.9 s apart (deliveries/s), in order.</summary>
    private static List<double> PerSecond(List<(long Ticks, long Received)> samples)
    {
        var rates = new List<double>();
        for (var i = 1; i < samples.Count; i++)
        {
            var seconds = (samples[i].Ticks - samples[i - 1].Ticks) / (double)System.Diagnostics.Stopwatch.Frequency;
            if (seconds >= 0.9)
            {
                rates.Add((samples[i].Received - samples[i - 1].Received) / seconds);
            }
        }

        return rates;
    }

    /// <summary>
    /// The stalled-client run at the middle latency rate: memory and connections before (full GC), one client stops
    /// reading, publish (the others' received total sampled every second), memory and connections after (full GC, the
    /// client still stalled). The others' rate and the publisher's timing are compared with the latency run at the same
    /// rate without a stall; if that run did not keep up, the rate overloads the scenario anyway and the result is marked
    /// not comparable.
    /// </summary>
    private async Task<StallResult?> MeasureStallAsync(ServerProcess server, ClientsProcess clients, List<LatencyPoint> latency, int connected)
    {
        var reference = latency.FirstOrDefault(p => Math.Abs(p.Fraction - 0.5) < 1e-9)?.Step ?? latency.LastOrDefault()?.Step;
        if (reference is null || connected < 1)
        {
            return null;
        }

        // Stall first (one more client connects and stops reading; the measured clients all keep reading), then the server's account of it.
        var stalledAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var stall = await clients.StallAsync(1).ConfigureAwait(false);
        _disconnected = stall.Disconnected;
        if (stall.Stalled < 1 || stall.Message is not null)
        {
            _log.WriteLine($"   stall: {stall.Stalled} client stalled{(stall.Message is null ? "" : ": " + stall.Message)}");
        }

        if (stall.Stalled < 1)
        {
            return null;
        }

        var before = await server.StatsAsync(collect: true).ConfigureAwait(false);
        var samples = new List<(long Ticks, long Received)>();
        var step = await StepAsync(server, clients, reference.Rate, _options.StallSeconds, ReadersOf(connected, 0), samples).ConfigureAwait(false);
        var after = await server.StatsAsync(collect: true).ConfigureAwait(false);
        var report = await clients.ReportAsync().ConfigureAwait(false);

        var notComparable = !reference.KeptUp;
        var perClient = step.DeliveredPerSecond / Math.Max(1, step.Readers);
        var referencePerClient = reference.DeliveredPerSecond / Math.Max(1, reference.Readers);
        double? othersRatio = notComparable || referencePerClient <= 0 ? null : perClient / referencePerClient;
        var perSecond = PerSecond(samples);
        double? lowest = perSecond.Count > 0 ? perSecond.Min() : null;
        var due = reference.Rate * Math.Max(1, step.Readers);
        double? lowestRatio = lowest is { } low && due > 0 ? low / due : null;
        var blocked = step.TimedOut
            || step.BehindMilliseconds > reference.BehindMilliseconds + 100
            || (step.MaxPublishMilliseconds >= 100 && step.MaxPublishMilliseconds >= reference.MaxPublishMilliseconds + 100);
        var dropped = after.StallSourceConnections < before.StallSourceConnections;
        double? droppedAfter = dropped && after.StallSourceLastEndedTimestamp > stalledAt
            ? (after.StallSourceLastEndedTimestamp - stalledAt) / (double)System.Diagnostics.Stopwatch.Frequency
            : null;
        var bound = _scenario.IsRealtimeEvents() ? (long)DefaultQueueCapacity * _eventJsonBytes : 0;
        var result = new StallResult(
            reference.Rate, step, notComparable, othersRatio, lowest, lowestRatio, perSecond, blocked, reference.MaxPublishMilliseconds, reference.BehindMilliseconds,
            P99LowerBound(step), before.Connections, after.Connections, dropped, droppedAfter,
            after.ManagedBytes - before.ManagedBytes, after.RssBytes - before.RssBytes, bound, report.StalledReceived);
        _log.WriteLine(
            $"   stall  {reference.Rate,10:N0} events/s{(notComparable ? " (NOT COMPARABLE: the no-stall run at this rate did not keep up)" : "")}: " +
            $"publisher {(blocked ? "BLOCKED" : "not blocked")}{(step.TimedOut ? " (timed out)" : "")} (longest call {step.MaxPublishMilliseconds:N1} ms, " +
            $"{reference.MaxPublishMilliseconds:N1} ms without the stall), others at {(othersRatio is { } r ? r.ToString("P0", System.Globalization.CultureInfo.InvariantCulture) : "-")} of their rate, " +
            $"lowest second {(lowestRatio is { } lr ? lr.ToString("P0", System.Globalization.CultureInfo.InvariantCulture) : "-")} of due, " +
            $"p99 {(result.P99LowerBoundUs is { } lb ? $"> {Ms(lb)}" : Ms(step.Latency?.P99Us))} ms; server connections {before.Connections} -> {after.Connections}, " +
            $"stalled one {(dropped ? $"dropped{(droppedAfter is { } d ? $" after {d:N1} s" : "")}" : "kept")}; held {result.HeldManagedBytes / 1024.0:N0} KiB managed (noisy) " +
            $"{result.HeldRssBytes / 1024.0:N0} KiB RSS{(bound > 0 ? $" (queue bound {bound / 1024.0:N0} KiB)" : "")}");
        if (due > 0 && perSecond.Count > 0)
        {
            _log.WriteLine($"          others each second, % of due: {string.Join(' ', perSecond.Select(r => (100 * r / due).ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}");
        }

        return result;
    }

    /// <summary>
    /// A lower bound of the p99 when the publisher timed out: events never published have no sample, but each would have
    /// waited at least from its due time to the publisher's deadline (1.5 × seconds + 2 s, LoadRunner's). If they are
    /// 1 % of the schedule or more, the p99 is at least the wait of the unpublished event 1 % of the schedule in.
    /// </summary>
    private static double? P99LowerBound(StepResult step)
    {
        if (!step.TimedOut)
        {
            return null;
        }

        var scheduled = Math.Round(step.Rate * step.Seconds);
        var unpublished = scheduled - step.Published;
        var deadline = (1.5 * step.Seconds) + 2;
        var onePercent = 0.01 * scheduled;
        var forced = unpublished >= onePercent && step.Rate > 0
            ? (deadline - ((step.Published + Math.Max(0, onePercent - 1)) / step.Rate)) * 1_000_000
            : 0;
        return Math.Max(step.Latency?.P99Us ?? 0, forced);
    }

    /// <summary>
    /// Server memory per idle connection: a few connections first so the connection path is warm, then K idle ones;
    /// resident set and managed heap (after a full GC) before and after, divided by the connections the server holds.
    /// </summary>
    private async Task<IdleResult> MeasureIdleAsync(ServerProcess server)
    {
        await using (await ClientsProcess.StartAsync(_scenario, server.BaseAddress, 20, idle: true, _options, $"warm {_scenario.Name()}").ConfigureAwait(false))
        {
        }

        await WaitForConnectionsAsync(server, 0).ConfigureAwait(false);
        var before = await server.StatsAsync(collect: true).ConfigureAwait(false);
        var k = _options.IdleConnections;
        await using var idle = await ClientsProcess.StartAsync(_scenario, server.BaseAddress, k, idle: true, _options, $"idle {_scenario.Name()}").ConfigureAwait(false);
        var held = await WaitForConnectionsAsync(server, idle.Ready.Connected).ConfigureAwait(false);
        var after = await server.StatsAsync(collect: true).ConfigureAwait(false);
        _rssPeak = Math.Max(_rssPeak, after.RssBytes);
        var n = Math.Max(1, held);
        var result = new IdleResult(
            k, held, before.RssBytes, after.RssBytes, before.ManagedBytes, after.ManagedBytes,
            (after.RssBytes - before.RssBytes) / (double)n, (after.ManagedBytes - before.ManagedBytes) / (double)n);
        _log.WriteLine(
            $"   idle: {held} connections, {result.RssPerConnectionBytes / 1024:N1} KiB RSS and {result.ManagedPerConnectionBytes / 1024:N1} KiB managed each" +
            $"{(idle.Ready.Failed > 0 ? $" ({idle.Ready.Failed} failed: {idle.Ready.FirstError})" : "")}");
        return result;
    }

    /// <summary>Polls the server's connection count (bounded) until it reaches <paramref name="count"/>; returns the last count.</summary>
    private static async Task<int> WaitForConnectionsAsync(ServerProcess server, int count)
    {
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (System.Diagnostics.Stopwatch.Frequency * 15);
        while (true)
        {
            var stats = await server.StatsAsync(collect: false).ConfigureAwait(false);
            if (stats.Connections == count || System.Diagnostics.Stopwatch.GetTimestamp() > deadline)
            {
                return stats.Connections;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}
