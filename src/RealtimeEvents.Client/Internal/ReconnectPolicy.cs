namespace RealtimeEvents.Client.Internal;

/// <summary>Exponential backoff with full jitter: attempt n waits Random() × min(MaxDelay, BaseDelay × 2ⁿ).</summary>
internal sealed class ReconnectPolicy(ReconnectOptions options, Func<double> random)
{
    public int MaxAttempts => options.MaxAttempts;

    public TimeSpan StableAfter => options.StableAfter;

    /// <summary>The ceiling of attempt <paramref name="attempt"/>'s delay (0 for the first retry).</summary>
    public TimeSpan Ceiling(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt, 52));
        var ticks = Math.Min(options.MaxDelay.Ticks, options.BaseDelay.Ticks * factor);
        return TimeSpan.FromTicks((long)ticks);
    }

    public TimeSpan Delay(int attempt)
    {
        var r = Math.Clamp(random(), 0, 1);
        return TimeSpan.FromTicks((long)(Ceiling(attempt).Ticks * r));
    }
}
