using RealtimeEvents.Reliability.Tests.Support;

namespace RealtimeEvents.Reliability.Tests.ResumeUnderChurn;

/// <summary>
/// The figures of the churn run. CI mode is the default; <c>REALTIME_RELIABILITY_MODE=long</c> selects the long mode for the
/// report, and <c>REALTIME_RELIABILITY_SEED</c> replays a seed printed by a failed run.
/// </summary>
internal sealed record ChurnSettings(bool Long, int Seed, int Clients, int Topics, int Events, int EventsPerSecond, int Kills, int MinimumKills,
    TimeSpan Deadline)
{
    public static ChurnSettings FromEnvironment()
    {
        var seed = ReliabilityRun.Seed;
        return ReliabilityRun.IsLong
            ? new ChurnSettings(true, seed, Clients: 200, Topics: 20, Events: 600_000, EventsPerSecond: 3_000, Kills: 20_000, MinimumKills: 20_000,
                Deadline: TimeSpan.FromMinutes(6))
            : new ChurnSettings(false, seed, Clients: 200, Topics: 20, Events: 20_000, EventsPerSecond: 2_500, Kills: 400, MinimumKills: 300,
                Deadline: TimeSpan.FromSeconds(25));
    }
}
