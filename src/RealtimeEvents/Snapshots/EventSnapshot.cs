namespace RealtimeEvents;

/// <summary>
/// The current state of a topic and the log position it reflects. A subscriber that asks for a snapshot gets it first,
/// then every matching event after <see cref="Position"/>.
/// </summary>
public sealed class EventSnapshot
{
    /// <summary>Creates a snapshot.</summary>
    /// <param name="topic">The topic or topic pattern the state describes.</param>
    /// <param name="state">The state as JSON.</param>
    /// <param name="position">
    /// The log position the state reflects. Read it (for example from <see cref="IEventBroadcaster.CurrentPosition"/>)
    /// <em>before</em> reading the state: events after it may already be in the state, but none can be missing.
    /// </param>
    public EventSnapshot(string topic, EventData state, EventPosition position)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        Topic = topic;
        State = state;
        Position = position;
    }

    /// <summary>Gets the topic or topic pattern the state describes.</summary>
    public string Topic { get; }

    /// <summary>Gets the state as JSON.</summary>
    public EventData State { get; }

    /// <summary>Gets the log position the state reflects.</summary>
    public EventPosition Position { get; }
}
