using System.Diagnostics;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>Polls the host's API until a condition holds, for states that change in the background.</summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Reads until <paramref name="done"/> holds and returns that value; fails with the last value after the timeout.</summary>
    public static async Task<T> ReadUntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TaskTimeoutExtensions.DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read().WithTimeout();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"{what} did not happen within {limit.TotalSeconds:0} s; the last value read: {value}");
            }

            await Task.Delay(PollInterval);
        }
    }
}
