using System.Diagnostics;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>
/// Runs the publisher at a fixed rate: event k of a run is due at start + k / rate, and carries its due time, so a
/// publisher that blocks shows up as latency at the clients (no coordinated omission) and here as slow publish calls.
/// One run at a time.
/// </summary>
internal sealed class LoadRunner(ILoadPublisher publisher, int referenceEventJsonBytes)
{
    /// <summary>The most publishes a pipelined publisher keeps waiting for their log at once.</summary>
    private const int MaxInFlight = 256;

    private long _lastN;
    private int _running;

    /// <summary>Starts a run unless one is in progress.</summary>
    /// <returns>The run's result, or <see langword="null"/> when another run is in progress.</returns>
    public async Task<RunResult?> TryRunAsync(double rate, double seconds, CancellationToken stopping)
    {
        if (Interlocked.CompareExchange(ref _running, 1, 0) != 0)
        {
            return null;
        }

        try
        {
            return await RunAsync(rate, seconds, stopping).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task<RunResult> RunAsync(double rate, double seconds, CancellationToken stopping)
    {
        var count = (long)Math.Round(rate * seconds, MidpointRounding.AwayFromZero);
        var ticksPerEvent = Stopwatch.Frequency / rate;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(TimeSpan.FromSeconds((1.5 * seconds) + 2));
        var token = deadline.Token;

        var inFlight = publisher.Pipelined ? new Queue<ValueTask>() : null;
        var run = new RunTally();
        var start = Stopwatch.GetTimestamp();
        long callStart = 0, due = 0;
        var queued = false; // whether the event of the call in progress waits in the window, to be counted when it ends
        try
        {
            for (long k = 0; k < count; k++)
            {
                token.ThrowIfCancellationRequested(); // a publisher that is slow but never waits still stops at the deadline
                due = start + (long)(k * ticksPerEvent);
                for (var ahead = due - Stopwatch.GetTimestamp(); ahead > 0; ahead = due - Stopwatch.GetTimestamp())
                {
                    // Ahead of schedule: sleep to about a millisecond before the due time (timers fire late, not early),
                    // then in 1 ms steps, so a low rate costs few wake-ups and the CPU figures stay the scenario's.
                    var milliseconds = (int)Math.Min(ahead * 1000 / Stopwatch.Frequency, int.MaxValue);
                    await Task.Delay(Math.Max(1, milliseconds - 1), token).ConfigureAwait(false);
                }

                var n = Interlocked.Increment(ref _lastN);
                callStart = Stopwatch.GetTimestamp();
                if (k == 0)
                {
                    run.FirstCallStart = callStart;
                    run.FirstN = n;
                }

                try
                {
                    var publish = publisher.PublishAsync(n, due, token);
                    if (inFlight is not null && !publish.IsCompleted)
                    {
                        // A broker-backed log confirms later: keep publishing, and wait only when the window is full.
                        inFlight.Enqueue(publish);
                        queued = true;
                        if (inFlight.Count >= MaxInFlight)
                        {
                            await CompleteOldestAsync(inFlight, run, token).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        await publish.ConfigureAwait(false);
                        run.Published++;
                    }
                }
                catch (Exception) when (!token.IsCancellationRequested)
                {
                    run.Failed++;
                }

                run.EndCall(callStart, Stopwatch.GetTimestamp(), due, n);
                callStart = 0;
                queued = false;
            }

            while (inFlight is { Count: > 0 })
            {
                await CompleteOldestAsync(inFlight, run, token).ConfigureAwait(false);
            }

            run.LastCallEnd = Math.Max(run.LastCallEnd, Stopwatch.GetTimestamp());
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            run.TimedOut = true;
            var now = Stopwatch.GetTimestamp();
            if (callStart != 0)
            {
                // The call the deadline interrupted: the publisher was blocked in it until now. Its n is used up.
                run.EndCall(callStart, now, due, lastN: run.LastN);
                if (!queued)
                {
                    run.Failed++;
                }
            }

            while (inFlight is { Count: > 0 })
            {
                // Given the cancelled token, these end promptly; they count as published or failed as they end.
                await CompleteOldestAsync(inFlight, run, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return new RunResult(
            Published: run.Published,
            FirstN: run.FirstN,
            LastN: run.LastN,
            TargetRate: rate,
            ElapsedSeconds: run.FirstCallStart == 0 ? 0 : Stopwatch.GetElapsedTime(run.FirstCallStart, run.LastCallEnd).TotalSeconds,
            MaxPublishMilliseconds: ToMilliseconds(run.MaxCallTicks),
            PublishCallsOver10Ms: run.SlowCalls,
            BehindMilliseconds: run.FirstCallStart == 0 ? 0 : Math.Max(0, ToMilliseconds(run.LastCallEnd - run.LastDue)),
            Failed: run.Failed,
            TimedOut: run.TimedOut,
            EventJsonBytes: publisher.LastEventJsonBytes is > 0 and var bytes ? bytes : referenceEventJsonBytes);
    }

    /// <summary>Awaits the oldest publish in flight and counts it; a cancellation by the deadline ends the run.</summary>
    private static async Task CompleteOldestAsync(Queue<ValueTask> inFlight, RunTally run, CancellationToken token)
    {
        var publish = inFlight.Dequeue();
        try
        {
            await publish.ConfigureAwait(false);
            run.Published++;
        }
        catch (Exception) when (!token.IsCancellationRequested)
        {
            run.Failed++;
        }
        catch (Exception)
        {
            run.Failed++;
            throw;
        }
    }

    private static double ToMilliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
