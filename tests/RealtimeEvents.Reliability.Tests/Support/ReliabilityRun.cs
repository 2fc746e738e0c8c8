using System.Globalization;

namespace RealtimeEvents.Reliability.Tests.Support;

/// <summary>
/// How a reliability run is set: CI mode by default, the report's long mode with <c>REALTIME_RELIABILITY_MODE=long</c>,
/// and a replayed seed with <c>REALTIME_RELIABILITY_SEED</c> (every suite prints the seed it used).
/// </summary>
internal static class ReliabilityRun
{
    public const string ModeVariable = "REALTIME_RELIABILITY_MODE";

    public const string SeedVariable = "REALTIME_RELIABILITY_SEED";

    /// <summary>Whether this is the long mode, for the figures in docs/reliability.md.</summary>
    public static bool IsLong => Environment.GetEnvironmentVariable(ModeVariable) == "long";

    /// <summary>The seed to replay when <c>REALTIME_RELIABILITY_SEED</c> is set, otherwise a new random one.</summary>
    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : Random.Shared.Next();

    /// <summary>The line each suite prints first, so a failure can be replayed.</summary>
    public static string Describe(int seed) =>
        string.Create(CultureInfo.InvariantCulture, $"{ModeVariable}={(IsLong ? "long" : "ci")} {SeedVariable}={seed}");
}
