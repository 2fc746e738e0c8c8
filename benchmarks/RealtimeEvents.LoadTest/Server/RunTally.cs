using System.Diagnostics;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>What one run of <see cref="LoadRunner"/> counted so far.</summary>
internal sealed class RunTally
{
    private static readonly long SlowCallTicks = Stopwatch.Frequency / 100; // 10 ms

    public long Published { get; set; }

    public long Failed { get; set; }

    public long FirstN { get; set; }

    /// <summary>Gets the <c>n</c> of the last event whose publish call returned.</summary>
    public long LastN { get; private set; }

    public long FirstCallStart { get; set; }

    /// <summary>Gets or sets when the last publish call returned (or the last pending publish completed).</summary>
    public long LastCallEnd { get; set; }

    /// <summary>Gets the due time of the last event whose call returned.</summary>
    public long LastDue { get; private set; }

    public long MaxCallTicks { get; private set; }

    public long SlowCalls { get; private set; }

    public bool TimedOut { get; set; }

    /// <summary>Counts one publish call from <paramref name="start"/> to <paramref name="end"/>, of the event due at <paramref name="due"/>.</summary>
    public void EndCall(long start, long end, long due, long lastN)
    {
        var ticks = end - start;
        MaxCallTicks = Math.Max(MaxCallTicks, ticks);
        if (ticks > SlowCallTicks)
        {
            SlowCalls++;
        }

        LastCallEnd = end;
        LastDue = due;
        LastN = lastN;
    }
}
