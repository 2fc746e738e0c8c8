namespace RealtimeEvents;

/// <summary>Whether a read or a resume from a position could return everything after it.</summary>
public enum ResumeStatus
{
    /// <summary>Every event after the position was available: nothing was missed.</summary>
    Complete = 0,

    /// <summary>Some events after the position are no longer retained (history is bounded by count, bytes and age).</summary>
    Truncated = 1,

    /// <summary>
    /// The position belongs to another log instance (for example the host restarted with an in-memory log) or to a
    /// sequence this log never issued; which events were missed cannot be known, so state should be reloaded.
    /// </summary>
    EpochChanged = 2,
}
