using System.Diagnostics;

namespace RealtimeEvents.Reliability.Tests.FloodsAndSlowAttackers;

/// <summary>Waits for a condition on the server that raises no event of its own, polling every few milliseconds, bounded in time.</summary>
internal static class Until
{
    /// <summary>Completes when <paramref name="condition"/> holds; fails with <paramref name="what"/> when it still does not after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan> TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Not within {timeout.TotalSeconds:0.#} s: {what()}");
            }

            await timer.WaitForNextTickAsync();
        }

        return clock.Elapsed;
    }
}
