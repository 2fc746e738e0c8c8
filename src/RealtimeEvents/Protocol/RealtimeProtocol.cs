namespace RealtimeEvents.Protocol;

/// <summary>
/// Names of the WebSocket wire protocol (docs/protocol.md): its version, the subprotocol that selects it, and the
/// <c>op</c> of every message. Shared by the server transports and the clients.
/// </summary>
public static class RealtimeProtocol
{
    /// <summary>The protocol version this library speaks. The value is 1.</summary>
    public const int Version = 1;

    /// <summary>The WebSocket subprotocol for version 1 with JSON text frames. The value is <c>realtime-events.v1.json</c>.</summary>
    public const string SubProtocol = "realtime-events.v1.json";

    /// <summary>Client to server: subscribe.</summary>
    public const string Subscribe = "subscribe";

    /// <summary>Client to server: unsubscribe.</summary>
    public const string Unsubscribe = "unsubscribe";

    /// <summary>Client to server: ping; the server answers <see cref="Pong"/>.</summary>
    public const string Ping = "ping";

    /// <summary>Server to client: first message of a connection.</summary>
    public const string Welcome = "welcome";

    /// <summary>Server to client: a subscription is active.</summary>
    public const string Subscribed = "subscribed";

    /// <summary>Server to client: a subscription ended (asked for, lagging, or shutdown).</summary>
    public const string Unsubscribed = "unsubscribed";

    /// <summary>Server to client: one event.</summary>
    public const string Event = "event";

    /// <summary>Server to client: several events of one subscription, in order.</summary>
    public const string Events = "events";

    /// <summary>Server to client: events were missed (dropped, or out of history); says which and whether history can fill the gap.</summary>
    public const string Overflow = "overflow";

    /// <summary>Server to client: a request failed or input was rejected.</summary>
    public const string Error = "error";

    /// <summary>Server to client: the answer to <see cref="Ping"/>.</summary>
    public const string Pong = "pong";

    /// <summary>Server to client: sent when the connection was otherwise quiet for a heartbeat interval.</summary>
    public const string Heartbeat = "heartbeat";
}
