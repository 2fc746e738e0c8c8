namespace RealtimeEvents;

/// <summary>
/// Bounds of the in-memory event history, by count, bytes and age; the oldest events go first when any bound is
/// passed. The newest event is always kept so the dispatcher can read it.
/// </summary>
public sealed class EventHistoryOptions
{
    /// <summary>Gets or sets the most events kept. From 1 to 10,000,000. The default value is 10,000.</summary>
    public int MaxEvents { get; set; } = 10_000;

    /// <summary>Gets or sets the most bytes of event JSON kept. From 1 KiB to 16 GiB. The default value is 64 MiB.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Gets or sets how long an event is kept. From 1 second to 30 days. The default value is 1 hour.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(1);
}
