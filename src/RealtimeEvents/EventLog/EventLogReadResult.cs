namespace RealtimeEvents;

/// <summary>The answer to <see cref="IEventLog.ReadAsync"/>: events in order and whether they follow the requested position without a gap.</summary>
public sealed class EventLogReadResult
{
    /// <summary>Creates a read result.</summary>
    /// <param name="events">The events, oldest first.</param>
    /// <param name="status">Whether the events follow the requested position without a gap.</param>
    /// <param name="currentPosition">The log's newest position when the read was made.</param>
    public EventLogReadResult(IReadOnlyList<RealtimeEvent> events, ResumeStatus status, EventPosition currentPosition)
    {
        ArgumentNullException.ThrowIfNull(events);
        Events = events;
        Status = status;
        CurrentPosition = currentPosition;
    }

    /// <summary>Gets the events, oldest first.</summary>
    public IReadOnlyList<RealtimeEvent> Events { get; }

    /// <summary>Gets whether the events follow the requested position without a gap.</summary>
    public ResumeStatus Status { get; }

    /// <summary>Gets a value indicating whether the events follow the requested position without a gap.</summary>
    public bool IsComplete => Status == ResumeStatus.Complete;

    /// <summary>Gets the log's newest position when the read was made.</summary>
    public EventPosition CurrentPosition { get; }
}
