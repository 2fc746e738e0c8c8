using RealtimeEvents.Reliability.Tests.Support;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// The soak's figures: CI mode by default (60 s, a checkpoint every 10 s), the report's long mode (30 min, a checkpoint
/// every minute) with <c>REALTIME_RELIABILITY_MODE=long</c>. The warm-up is the first interval: it fills history before the
/// baseline is read.
/// </summary>
internal sealed record SoakSettings(
    bool Long,
    TimeSpan Duration,
    TimeSpan CheckpointInterval,
    int EventsPerSecond,
    int ControlEventsPerSecond,
    int Topics,
    int HistoryEvents,
    long HistoryBytes,
    int WebSocketSessionsAtOnce,
    int SseSessionsAtOnce,
    int SlowReaders)
{
    public static SoakSettings FromEnvironment() => ReliabilityRun.IsLong
        ? new SoakSettings(true, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(1), EventsPerSecond: 800, ControlEventsPerSecond: 200, Topics: 16,
            HistoryEvents: 6000, HistoryBytes: 3L << 20, WebSocketSessionsAtOnce: 12, SseSessionsAtOnce: 4, SlowReaders: 2)
        : new SoakSettings(false, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(10), EventsPerSecond: 800, ControlEventsPerSecond: 200, Topics: 16,
            HistoryEvents: 6000, HistoryBytes: 3L << 20, WebSocketSessionsAtOnce: 12, SseSessionsAtOnce: 4, SlowReaders: 2);

    /// <summary>Gets how many checkpoints follow the baseline.</summary>
    public int Checkpoints => (int)(Duration / CheckpointInterval) - 1;
}
