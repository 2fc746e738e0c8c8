namespace RealtimeEvents.Client;

/// <summary>The state of a <see cref="RealtimeEventsClient"/>'s connection.</summary>
public enum ConnectionState
{
    /// <summary>Connecting for the first time, or again after <see cref="RealtimeEventsClient.ReconnectAsync"/>.</summary>
    Connecting = 0,

    /// <summary>Connected: the server sent its welcome.</summary>
    Open = 1,

    /// <summary>The connection was lost or an attempt failed; waiting for the backoff delay before the next attempt.</summary>
    Reconnecting = 2,

    /// <summary>
    /// Not trying: every reconnect attempt failed (<see cref="ReconnectOptions.MaxAttempts"/>) or the server speaks another protocol.
    /// A later <see cref="RealtimeEventsClient.SubscribeAsync"/> or <see cref="RealtimeEventsClient.ReconnectAsync"/> tries again.
    /// </summary>
    Offline = 3,

    /// <summary>The client was disposed. Nothing follows.</summary>
    Closed = 4,
}
