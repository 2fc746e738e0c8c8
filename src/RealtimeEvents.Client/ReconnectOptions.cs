namespace RealtimeEvents.Client;

/// <summary>
/// How <see cref="RealtimeEventsClient"/> reconnects: attempt <c>n</c> (0 for the first retry) waits a random time between 0 and
/// <c>min(MaxDelay, BaseDelay × 2ⁿ)</c> (exponential backoff with full jitter), so clients dropped together do not return together.
/// </summary>
public sealed class ReconnectOptions
{
    /// <summary>Gets or sets the ceiling of the first retry's delay. The default value is 500 milliseconds.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets or sets the largest ceiling of a retry's delay. The default value is 15 seconds.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets how many reconnect attempts in a row may fail before the client goes <see cref="ConnectionState.Offline"/>.
    /// The default value is <see cref="int.MaxValue"/> (never give up).
    /// </summary>
    public int MaxAttempts { get; set; } = int.MaxValue;

    /// <summary>Gets or sets how long a connection must stay open for the attempt count to start again. The default value is 10 seconds.</summary>
    public TimeSpan StableAfter { get; set; } = TimeSpan.FromSeconds(10);
}
