namespace RealtimeEvents.Tests.Support;

/// <summary>Stamped events for tests that drive queues and routers directly.</summary>
internal static class TestEvents
{
    public const string Epoch = "test-epoch";

    public static RealtimeEvent Stamped(long sequence, string topic = "executions/exec-1", string type = EventTypes.Task.Progress,
        string? conflationKey = null) =>
        RealtimeEvent.Create(
            new EventDraft(type, topic) { ConflationKey = conflationKey, Data = EventData.FromJson("{\"seq\":" + sequence + "}") },
            "id-" + sequence,
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new EventPosition(Epoch, sequence));

    public static EventPosition At(long sequence) => new(Epoch, sequence);
}
