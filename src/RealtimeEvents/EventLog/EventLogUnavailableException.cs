namespace RealtimeEvents;

/// <summary>
/// Thrown when the event log cannot take or return events now, for example because the broker behind a distributed log
/// is unreachable or did not answer in time. The message says whether the event may still have been stored.
/// </summary>
public sealed class EventLogUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventLogUnavailableException()
        : base("The event log is unavailable.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed and what to do.</param>
    public EventLogUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What failed and what to do.</param>
    /// <param name="innerException">The underlying failure.</param>
    public EventLogUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
