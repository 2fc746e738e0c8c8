namespace RealtimeEvents;

/// <summary>
/// Options of the core package, bound from the <c>RealtimeEvents</c> configuration section and validated when the host
/// starts.
/// </summary>
public sealed class RealtimeEventsOptions
{
    /// <summary>The configuration section the options are bound from: <c>RealtimeEvents</c>.</summary>
    public const string SectionName = "RealtimeEvents";

    /// <summary>
    /// Gets or sets how many events may wait in one subscription's queue before the oldest is dropped (and the
    /// subscriber told). From 1 to 1,000,000. The default value is 1024.
    /// </summary>
    public int SubscriptionQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// Gets or sets what happens to a subscriber that keeps overflowing. The default value is <see cref="RealtimeEvents.LagPolicy.KeepDropping"/>.
    /// </summary>
    public LagPolicy LagPolicy { get; set; } = LagPolicy.KeepDropping;

    /// <summary>
    /// Gets or sets, with <see cref="LagPolicy.EndSubscription"/>, how many overflows in a row end a subscription. An
    /// overflow is counted when events are first dropped after the subscriber was last told of a gap, and again for
    /// every further full queue of drops; the count restarts when the subscriber empties its queue. From 1 to 1000.
    /// The default value is 3.
    /// </summary>
    public int MaxConsecutiveOverflows { get; set; } = 3;

    /// <summary>Gets or sets how many events one history page read during a resume holds. From 1 to 10,000. The default value is 256.</summary>
    public int ReplayPageSize { get; set; } = 256;

    /// <summary>Gets the bounds of the in-memory event history that resumes read from.</summary>
    public EventHistoryOptions History { get; init; } = new();
}
