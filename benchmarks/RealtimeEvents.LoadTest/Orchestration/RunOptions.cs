using System.Globalization;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>How a run is sized: <c>short</c> (about a minute, the smoke test's) or <c>full</c> (the report's).</summary>
internal enum RunMode
{
    /// <summary>Few clients, half-second steps, a coarse search: proves every part works, not a figure to quote.</summary>
    Short,

    /// <summary>The report's run: 1,000 clients, longer steps, a finer search, idle memory and connection capacity.</summary>
    Full,
}

/// <summary>The options of <c>run</c>, with each mode's defaults; every one can be set on the command line.</summary>
internal sealed class RunOptions
{
    public RunMode Mode { get; private set; } = RunMode.Short;

    public IReadOnlyList<Scenario> Scenarios { get; private set; } = Shared.Scenarios.All;

    /// <summary>Client connections per scenario, all subscribed to the load topic.</summary>
    public int Clients { get; private set; }

    /// <summary>About how large one event's JSON is.</summary>
    public int EventBytes { get; private set; } = 200;

    /// <summary>How long each step of the max-rate search publishes.</summary>
    public double StepSeconds { get; private set; }

    /// <summary>How long each latency run publishes.</summary>
    public double LatencySeconds { get; private set; }

    /// <summary>How long the stalled-client run publishes.</summary>
    public double StallSeconds { get; private set; }

    /// <summary>How long the warm-up publishes before the search (JIT, pools, TCP windows).</summary>
    public double WarmupSeconds { get; private set; }

    /// <summary>The first rate the search tries, events/s; 0 picks one from the number of clients.</summary>
    public double StartRate { get; private set; }

    /// <summary>Bisection steps after the doubling search found a rate that fails.</summary>
    public int Bisections { get; private set; }

    /// <summary>The most doubling steps.</summary>
    public int MaxSteps { get; private set; }

    /// <summary>Fixed latency rates (events/s); empty: 25, 50 and 75 % of plain SignalR's max rate (of the scenario's own when plain SignalR is not run).</summary>
    public IReadOnlyList<double> LatencyRates { get; private set; } = [];

    /// <summary>Idle connections for the memory-per-connection measurement; 0 skips it.</summary>
    public int IdleConnections { get; private set; }

    /// <summary>Idle WebSocket connections the capacity run tries to hold (RealtimeEvents WebSocket endpoint); 0 skips it.</summary>
    public int Capacity { get; private set; }

    /// <summary>The scenarios of the capacity run (RealtimeEvents' WebSocket endpoint by default).</summary>
    public IReadOnlyList<Scenario> CapacityScenarios { get; private set; } = [Scenario.RealtimeWebSocket];

    /// <summary>Source addresses 127.0.0.1 .. 127.0.0.K the clients spread over (the stall candidates use 127.0.0.254).</summary>
    public int SourceAddresses { get; private set; } = 8;

    /// <summary>The event log of the RealtimeEvents scenarios: <c>memory</c> or <c>rabbitmq</c>.</summary>
    public string Log { get; private set; } = "memory";

    /// <summary>Where results.json, results.csv and the SVG charts go.</summary>
    public string OutputDirectory { get; private set; } = "loadtest-results";

    public static RunOptions Parse(IReadOnlyList<string> args)
    {
        var options = new RunOptions();
        var mode = Value(args, "--mode");
        if (mode is not null)
        {
            options.Mode = mode.ToUpperInvariant() switch
            {
                "SHORT" => RunMode.Short,
                "FULL" => RunMode.Full,
                _ => throw new ArgumentException($"--mode must be short or full; it is '{mode}'."),
            };
        }

        var full = options.Mode == RunMode.Full;
        options.Clients = Int(args, "--clients", full ? 1000 : 20, 1, 19_000);
        options.EventBytes = Int(args, "--event-bytes", 200, 1, 1_000_000);
        options.StepSeconds = Double(args, "--step-seconds", full ? 3 : 0.5, 0.2, 600);
        options.LatencySeconds = Double(args, "--latency-seconds", full ? 5 : 0.5, 0.2, 3600);
        options.StallSeconds = Double(args, "--stall-seconds", full ? 20 : 1, 0.2, 3600);
        options.WarmupSeconds = Double(args, "--warmup-seconds", full ? 2 : 0.3, 0, 600);
        options.StartRate = Double(args, "--start-rate", 0, 0, 10_000_000);
        options.Bisections = Int(args, "--bisections", full ? 3 : 0, 0, 10);
        options.MaxSteps = Int(args, "--max-steps", full ? 14 : 3, 1, 30);
        options.IdleConnections = Int(args, "--idle-connections", full ? 5000 : 50, 0, 19_000);
        options.Capacity = Int(args, "--capacity", full ? 50_000 : 0, 0, 1_000_000);
        options.SourceAddresses = Int(args, "--source-addresses", 8, 1, StallSource.MaxSourceAddresses);
        options.OutputDirectory = Value(args, "--out") ?? options.OutputDirectory;
        options.Log = (Value(args, "--log") ?? "memory").ToLowerInvariant();
        if (options.Log is not ("memory" or "rabbitmq"))
        {
            throw new ArgumentException($"--log must be memory or rabbitmq; it is '{options.Log}'.");
        }

        if (Value(args, "--scenarios") is { } names)
        {
            options.Scenarios = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(Shared.Scenarios.Parse).Distinct().OrderBy(s => Array.IndexOf(Shared.Scenarios.All, s)).ToArray();
        }

        if (Value(args, "--capacity-scenarios") is { } capacityNames)
        {
            options.CapacityScenarios = capacityNames.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(Shared.Scenarios.Parse).Distinct().ToArray();
        }

        if (Value(args, "--latency-rates") is { } rates)
        {
            options.LatencyRates = rates.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(r => ParseDouble("--latency-rates", r, 1, 10_000_000)).ToArray();
        }

        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && !Known.Contains(args[i]))
            {
                throw new ArgumentException($"Unknown option '{args[i]}'.\n{RunCommand.Usage}");
            }
        }

        return options;
    }

    private static readonly HashSet<string> Known =
    [
        "--mode", "--clients", "--event-bytes", "--step-seconds", "--latency-seconds", "--stall-seconds", "--warmup-seconds",
        "--start-rate", "--bisections", "--max-steps", "--idle-connections", "--capacity", "--source-addresses", "--out", "--log",
        "--scenarios", "--latency-rates", "--capacity-scenarios",
    ];

    internal static string? Value(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == name)
            {
                return i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{name} needs a value.");
            }
        }

        return null;
    }

    private static int Int(IReadOnlyList<string> args, string name, int fallback, int min, int max)
    {
        var text = Value(args, name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}; it is '{text}'.");
    }

    private static double Double(IReadOnlyList<string> args, string name, double fallback, double min, double max) =>
        Value(args, name) is { } text ? ParseDouble(name, text, min, max) : fallback;

    private static double ParseDouble(string name, string text, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} must be a number from {min} to {max}; it is '{text}'.");
}
