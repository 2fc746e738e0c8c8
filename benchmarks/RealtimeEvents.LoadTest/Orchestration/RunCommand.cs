using System.Diagnostics;
using System.Runtime.InteropServices;
using RealtimeEvents.LoadTest.Report;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>The <c>run</c> command: every scenario measured in turn in one run, the results written and compared.</summary>
internal static class RunCommand
{
    public const string Usage = """
        RealtimeEvents load tool: RealtimeEvents against plain SignalR and a hand-rolled WebSocket broadcast, same machine, same run.

        usage: RealtimeEvents.LoadTest run [options]

          --mode short|full        short (default): about a minute, 20 clients, proves the tool works.
                                   full: the report's run, 1,000 clients, idle memory of 5,000 connections, capacity run.
          --scenarios a,b,...      signalr, handrolled, re-ws, re-sse, re-signalr (default: all, in that order)
          --clients N              client connections per scenario (short 20, full 1000)
          --event-bytes N          about how large one event's JSON is (200)
          --step-seconds S         publishing time of each max-rate search step (short 0.5, full 3)
          --latency-seconds S      publishing time of each latency run (short 0.5, full 5)
          --stall-seconds S        publishing time of the stalled-client run (short 1, full 20); the stalled client
                                   connects from 127.0.0.254 and its server socket gets a 16 KiB send buffer, so the
                                   kernel holds only tens of KB before a server sees the stall
          --warmup-seconds S       warm-up before the search (short 0.3, full 2)
          --start-rate R           first rate of the search, events/s (default 20,000 / clients)
          --max-steps N            doubling steps of the search (short 3, full 14)
          --bisections N           bisection steps after it (short 0, full 3)
          --latency-rates r1,r2    fixed latency rates instead of 25/50/75 % of plain SignalR's max rate (the
                                   scenario's own max when signalr is not run); the stall runs at the middle one
          --idle-connections K     idle connections for memory per connection, 0 to skip (short 50, full 5000)
          --capacity N             idle connections to try to hold, 0 to skip (short 0, full 50000)
          --capacity-scenarios a,b scenarios of the capacity run (re-ws)
          --source-addresses K     clients spread over 127.0.0.1 .. 127.0.0.K (8, at most 253)
          --log memory|rabbitmq    event log of the RealtimeEvents scenarios (memory; rabbitmq needs REALTIME_RABBITMQ_URI)
          --out DIR                where results.json, results.csv, report.md, throughput.svg and latency.svg go
                                   (loadtest-results; rewritten after every scenario, so a later crash keeps them)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        RunOptions options;
        try
        {
            options = RunOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }

        var log = Console.Out;
        var started = TimeProvider.System.GetUtcNow();
        var clock = Stopwatch.StartNew();
        var machine = Machine();
        log.WriteLine($"RealtimeEvents load tool, {options.Mode.ToString().ToLowerInvariant()} mode: {options.Clients} clients, ~{options.EventBytes}-byte events, " +
            $"log {options.Log}, {machine.ProcessorCount} cores, {machine.Os}, .NET {machine.Runtime}");

        var results = new List<ScenarioResult>();
        var capacity = new List<CapacityResult>();
        LoadRunResult Snapshot() => new(
            started, clock.Elapsed.TotalSeconds, options.Mode.ToString().ToLowerInvariant(), "RealtimeEvents.LoadTest run " + string.Join(' ', args),
            machine, options.Clients, options.EventBytes, options.Log, results.ToArray(), capacity.ToArray(), Targets.Check(results, capacity, options));

        (double Rate, string Name)? signalRMax = null;
        foreach (var scenario in options.Scenarios)
        {
            var runner = new ScenarioRunner(scenario, options, log);
            ScenarioResult result;
            try
            {
                result = await runner.RunAsync(own => signalRMax ?? (own, scenario.Name())).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log.WriteLine($"   {scenario.Name()} FAILED: {e.GetType().Name}: {e.Message}");
                result = new ScenarioResult(scenario.Name(), scenario.Description(), options.Clients, 0, 0, 0, 0, 0, 0, 0, [], [], null, null, e.Message);
            }

            results.Add(result);
            if (scenario == Scenario.PlainSignalR && result.MaxRate > 0)
            {
                signalRMax = (result.MaxRate, scenario.Name());
            }

            WriteFiles(Snapshot(), options, log, final: false);
        }

        foreach (var scenario in options.Capacity > 0 ? options.CapacityScenarios : [])
        {
            try
            {
                capacity.Add(await CapacityRun.RunAsync(scenario, options, log).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log.WriteLine($"   capacity {scenario.Name()} FAILED: {e.GetType().Name}: {e.Message}");
                capacity.Add(new CapacityResult(scenario.Name(), options.Capacity, 0, "the run failed: " + e.Message, "unknown", ServerExited: false, 0, 0));
            }

            WriteFiles(Snapshot(), options, log, final: false);
        }

        var run = Snapshot();
        ReportWriter.PrintTables(run, log);
        var files = WriteFiles(run, options, log, final: true);
        log.WriteLine($"Wrote {string.Join(", ", files)} in {clock.Elapsed.TotalSeconds:N0} s.");

        // A scenario that could not be measured fails the run; a missed target does not (the report says so).
        return results.Any(r => r.Error is not null) ? 1 : 0;
    }

    /// <summary>Writes every file of the run so far; a failure to write is reported, and fails the run only at the end.</summary>
    private static IReadOnlyList<string> WriteFiles(LoadRunResult run, RunOptions options, TextWriter log, bool final)
    {
        try
        {
            return ReportWriter.WriteFiles(run, options.OutputDirectory);
        }
        catch (Exception e) when (!final && e is IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"   writing the results so far to {options.OutputDirectory} failed: {e.Message}");
            return [];
        }
    }

    private static MachineInfo Machine()
    {
        var cpu = "unknown";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
            // Not Linux: keep "unknown".
        }

        var limit = "unknown";
        try
        {
            limit = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal)) is { } line
                ? string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3..5])
                : limit;
        }
        catch (IOException)
        {
            // Not Linux.
        }

        return new MachineInfo(cpu, Environment.ProcessorCount, RuntimeInformation.OSDescription, Environment.Version.ToString(),
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, limit);
    }
}
