using System.Globalization;

namespace RealtimeEvents.Benchmarks.Support;

/// <summary>The event every benchmark publishes or routes: a task progress update with a small JSON payload.</summary>
internal static class BenchmarkEvents
{
    public const string Topic = "executions/exec-1";

    public static EventDraft Draft(string topic = Topic) =>
        new(EventTypes.Task.Progress, topic)
        {
            Data = EventData.FromJson("""{"taskId":"task-7","percent":42,"message":"step 3 of 7"}"""),
        };

    /// <summary>
    /// Stamps the draft the way the in-memory log does (a version 7 GUID id, the current time, the next position), so a
    /// hand-written baseline does exactly the per-event work the library does at publish: one object and one JSON
    /// serialization shared by every subscriber.
    /// </summary>
    public static RealtimeEvent Stamp(EventDraft draft, string epoch, long sequence)
    {
        var now = TimeProvider.System.GetUtcNow();
        return RealtimeEvent.Create(draft, Guid.CreateVersion7(now).ToString("N"), now, new EventPosition(epoch, sequence));
    }

    /// <summary>Pre-stamped events with sequences 1..<paramref name="count"/>, for benchmarks that start after publishing.</summary>
    public static RealtimeEvent[] StampMany(EventDraft draft, int count)
    {
        var events = new RealtimeEvent[count];
        var time = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < count; i++)
        {
            events[i] = RealtimeEvent.Create(draft, "evt-" + (i + 1).ToString(CultureInfo.InvariantCulture), time.AddMilliseconds(i),
                new EventPosition("bench", i + 1));
        }

        return events;
    }
}
