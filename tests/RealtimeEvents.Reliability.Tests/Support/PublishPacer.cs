using System.Diagnostics;

namespace RealtimeEvents.Reliability.Tests.Support;

/// <summary>
/// Paces a test's publisher by elapsed time without catching up in bursts: after a pause (a full collection, a starved
/// machine) it allows at most 50 ms' worth ahead and starts counting again. A burst published faster than the dispatcher
/// routes it could leave history first, and every subscriber would be told of a <c>history_truncated</c> gap that the
/// test, not the server, caused.
/// </summary>
/// <param name="eventsPerSecond">The rate.</param>
/// <param name="head">Events due at once when the pacer starts (1: the first event goes out without waiting).</param>
internal sealed class PublishPacer(int eventsPerSecond, int head = 0)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _catchUpLimit = Math.Max(1, eventsPerSecond / 20);
    private long _counted = head; // due when the clock last started

    /// <summary>How many events should have been published by now, given <paramref name="published"/> so far.</summary>
    public long Due(long published)
    {
        var due = _counted + (long)(_clock.Elapsed.TotalSeconds * eventsPerSecond);
        if (due - published > _catchUpLimit)
        {
            due = published + _catchUpLimit;
            _counted = due;
            _clock.Restart();
        }

        return due;
    }
}
