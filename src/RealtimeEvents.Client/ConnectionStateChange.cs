namespace RealtimeEvents.Client;

/// <summary>Describes a change of <see cref="RealtimeEventsClient.State"/>.</summary>
public sealed class ConnectionStateChange : EventArgs
{
    /// <summary>Creates a description of a state change.</summary>
    /// <param name="state">The new state.</param>
    /// <param name="previous">The state before.</param>
    /// <param name="attempt">The reconnect attempts made since the last stable connection.</param>
    /// <param name="delay">The wait before the next attempt, when <paramref name="state"/> is <see cref="ConnectionState.Reconnecting"/>.</param>
    /// <param name="reason">Why the state changed, for people; <see langword="null"/> when there is nothing to say.</param>
    /// <param name="lastPosition">The position of the last event the client received.</param>
    public ConnectionStateChange(ConnectionState state, ConnectionState previous, int attempt, TimeSpan? delay, string? reason, EventPosition? lastPosition)
    {
        State = state;
        Previous = previous;
        Attempt = attempt;
        Delay = delay;
        Reason = reason;
        LastPosition = lastPosition;
    }

    /// <summary>Gets the new state.</summary>
    public ConnectionState State { get; }

    /// <summary>Gets the state before the change.</summary>
    public ConnectionState Previous { get; }

    /// <summary>Gets how many reconnect attempts were made since the last connection that stayed open <see cref="ReconnectOptions.StableAfter"/>.</summary>
    public int Attempt { get; }

    /// <summary>Gets the wait before the next attempt when <see cref="State"/> is <see cref="ConnectionState.Reconnecting"/>; otherwise <see langword="null"/>.</summary>
    public TimeSpan? Delay { get; }

    /// <summary>Gets why the state changed, for people (for example the close status or the connect error); <see langword="null"/> when none.</summary>
    public string? Reason { get; }

    /// <summary>Gets the position of the last event the client received, on any subscription.</summary>
    public EventPosition? LastPosition { get; }

    /// <summary>Returns a short description, for logs and test output.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{Previous} -> {State} (attempt {Attempt}, delay {Delay?.ToString() ?? "none"}): {Reason}";
}
