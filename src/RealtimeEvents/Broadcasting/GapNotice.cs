using System.Globalization;

namespace RealtimeEvents;

/// <summary>
/// Tells a subscriber, in-band and before its next event, which events it missed and whether it can get them back.
/// </summary>
public sealed class GapNotice
{
    /// <summary>Creates a notice.</summary>
    /// <param name="reason">Why the events were missed.</param>
    /// <param name="missedCount">How many matching events were missed, when known.</param>
    /// <param name="firstMissed">The position of the first missed event, when known.</param>
    /// <param name="lastMissed">The position of the last missed event, when known.</param>
    /// <param name="recoverable">Whether history still holds the missed events, so a resume from just before <paramref name="firstMissed"/> gets them.</param>
    public GapNotice(GapReason reason, long? missedCount, EventPosition? firstMissed, EventPosition? lastMissed, bool recoverable)
    {
        Reason = reason;
        MissedCount = missedCount;
        FirstMissed = firstMissed;
        LastMissed = lastMissed;
        Recoverable = recoverable;
    }

    /// <summary>Gets why the events were missed.</summary>
    public GapReason Reason { get; }

    /// <summary>Gets how many matching events were missed; <see langword="null"/> when unknown (history truncated, epoch changed).</summary>
    public long? MissedCount { get; }

    /// <summary>Gets the position of the first missed event; for a truncated history, the first position no longer held.</summary>
    public EventPosition? FirstMissed { get; }

    /// <summary>Gets the position of the last missed event; for a truncated history, the last position no longer held.</summary>
    public EventPosition? LastMissed { get; }

    /// <summary>
    /// Gets a value indicating whether history still holds the missed events: resubscribing with
    /// <see cref="SubscriptionRequest.ResumeAfter"/> set to the position before <see cref="FirstMissed"/> gets them back.
    /// When <see langword="false"/>, reload state (for example with a snapshot).
    /// </summary>
    public bool Recoverable { get; }

    /// <summary>Returns a short description of the gap.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Reason}: missed {(MissedCount?.ToString(CultureInfo.InvariantCulture) ?? "unknown")} from {FirstMissed?.ToString() ?? "?"} to {LastMissed?.ToString() ?? "?"}, recoverable={Recoverable}");
}
