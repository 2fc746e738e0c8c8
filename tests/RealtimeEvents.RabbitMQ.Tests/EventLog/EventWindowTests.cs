using RealtimeEvents.RabbitMQ.EventLog;

namespace RealtimeEvents.RabbitMQ.Tests.EventLog;

public sealed class EventWindowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static RealtimeEvent Event(long seq, DateTimeOffset? time = null, int payload = 0) =>
        RealtimeEvent.Create(new EventDraft(EventTypes.Task.Progress, "t") { Data = EventData.FromJson($"\"{new string('x', payload)}\"") },
            "id-" + seq, time ?? T0, new EventPosition("ep", seq));

    [Fact]
    public void Add_KeepsAtMostMaxEvents_AndMovesFromToTheLastEvicted()
    {
        var window = new EventWindow(new EventHistoryOptions { MaxEvents = 3 });
        window.Reset(0);
        foreach (var seq in new long[] { 1, 2, 4, 5, 7 })
        {
            window.Add(Event(seq), T0);
        }

        Assert.Equal(3, window.Count);
        Assert.Equal(2, window.From); // 1 and 2 evicted
        Assert.Equal([4L, 5, 7], window.ReadAfter(window.From, 10).Select(e => e.Sequence));
    }

    [Fact]
    public void ReadAfter_FindsTheFirstLaterEvent_AcrossSkippedSequences()
    {
        var window = new EventWindow(new EventHistoryOptions());
        window.Reset(-1);
        foreach (var seq in new long[] { 1, 3, 4, 8, 9 })
        {
            window.Add(Event(seq), T0);
        }

        Assert.Equal([4L, 8, 9], window.ReadAfter(3, 10).Select(e => e.Sequence));
        Assert.Equal([3L, 4], window.ReadAfter(2, 2).Select(e => e.Sequence));
        Assert.Equal([8L, 9], window.ReadAfter(5, 10).Select(e => e.Sequence));
        Assert.Empty(window.ReadAfter(9, 10));
        Assert.Equal([1L, 3], window.ReadAfter(-1, 2).Select(e => e.Sequence));
    }

    [Fact]
    public void Evict_ByBytes_KeepsTheNewestEvent()
    {
        var window = new EventWindow(new EventHistoryOptions { MaxBytes = 1024 });
        window.Reset(0);
        for (var seq = 1; seq <= 5; seq++)
        {
            window.Add(Event(seq, payload: 600), T0);
        }

        Assert.Equal(1, window.Count);
        Assert.Equal(4, window.From);
        Assert.Equal([5L], window.ReadAfter(window.From, 10).Select(e => e.Sequence));
    }

    [Fact]
    public void Evict_ByAge_MarksEverythingBeforeFromAsExpired()
    {
        var window = new EventWindow(new EventHistoryOptions { MaxAge = TimeSpan.FromMinutes(1) });
        window.Reset(0);
        window.Add(Event(1, T0), T0);
        window.Add(Event(2, T0), T0);
        Assert.False(window.IsBeforeFromExpired(T0));

        var later = T0.AddMinutes(2);
        window.Add(Event(3, later), later);

        Assert.Equal(2, window.From);
        Assert.True(window.IsBeforeFromExpired(later));
        Assert.Equal([3L], window.ReadAfter(window.From, 10).Select(e => e.Sequence));
    }

    [Fact]
    public void Reset_EmptiesTheWindow_AndForgetsEvictions()
    {
        var window = new EventWindow(new EventHistoryOptions { MaxEvents = 1 });
        window.Reset(0);
        window.Add(Event(1), T0);
        window.Add(Event(2), T0);

        window.Reset(41);

        Assert.Equal(0, window.Count);
        Assert.Equal(41, window.From);
        Assert.False(window.IsBeforeFromExpired(T0.AddDays(1)));
        Assert.Empty(window.ReadAfter(41, 10));
    }
}
