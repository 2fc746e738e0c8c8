namespace RealtimeEvents;

/// <summary>Why a subscriber missed events.</summary>
public enum GapReason
{
    /// <summary>The subscription's queue was full and its oldest events were dropped.</summary>
    Overflow = 0,

    /// <summary>The events after the resume position are no longer in history (bounded by count, bytes and age).</summary>
    HistoryTruncated = 1,

    /// <summary>The resume position came from another log instance; what was missed cannot be known, so reload state.</summary>
    EpochChanged = 2,
}
