namespace RealtimeEvents;

/// <summary>How urgent an event is; subscriptions can ask for a minimum priority.</summary>
public enum EventPriority
{
    /// <summary>Background detail, such as fine-grained progress.</summary>
    Low = 0,

    /// <summary>The default for ordinary events.</summary>
    Normal = 1,

    /// <summary>Something a person watching should notice, such as a failure.</summary>
    High = 2,

    /// <summary>Something that needs attention now, such as a system-wide outage.</summary>
    Critical = 3,
}
