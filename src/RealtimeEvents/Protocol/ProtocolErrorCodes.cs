namespace RealtimeEvents.Protocol;

/// <summary>
/// The stable codes of <c>error</c> messages (WebSocket), error responses (SSE, management) and SignalR errors. Clients
/// branch on these, never on the human message. The subscription codes of <see cref="SubscriptionErrorCodes"/> are used as-is.
/// </summary>
public static class ProtocolErrorCodes
{
    /// <summary>The message is not a JSON object (malformed JSON, invalid UTF-8, nested more than 8 levels), or has more than 64 fragments.</summary>
    public const string MalformedMessage = "malformed_message";

    /// <summary>The message's <c>op</c> is not one the server knows.</summary>
    public const string UnknownOp = "unknown_op";

    /// <summary>A required field is missing.</summary>
    public const string MissingField = "missing_field";

    /// <summary>A field has the wrong JSON type or an invalid value (for example a malformed position).</summary>
    public const string InvalidField = "invalid_field";

    /// <summary>
    /// The subscription request breaks a rule of the core (topic or type pattern, meta, limits); the message says which.
    /// Fields of the wrong JSON type or with unparseable values (priority, position) get <see cref="InvalidField"/> first.
    /// </summary>
    public const string InvalidSubscription = SubscriptionErrorCodes.InvalidSubscription;

    /// <summary>The connection already has a subscription with this id.</summary>
    public const string DuplicateSubscription = "duplicate_subscription";

    /// <summary>The connection has no subscription with this id.</summary>
    public const string UnknownSubscription = "unknown_subscription";

    /// <summary>The connection already has the most subscriptions allowed.</summary>
    public const string TooManySubscriptions = "too_many_subscriptions";

    /// <summary>The connection sent more messages per second than allowed; the message was ignored.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The message is larger than allowed; the connection is closed with status 1009.</summary>
    public const string MessageTooLarge = "message_too_large";

    /// <summary>A binary frame was sent; the protocol uses text frames only.</summary>
    public const string BinaryNotSupported = "binary_not_supported";

    /// <summary>The subscription authorizer denied the subscription.</summary>
    public const string Forbidden = SubscriptionErrorCodes.Forbidden;

    /// <summary>A snapshot was asked for but no snapshot provider covers the requested topics.</summary>
    public const string SnapshotUnavailable = SubscriptionErrorCodes.SnapshotUnavailable;

    /// <summary>A snapshot provider failed.</summary>
    public const string SnapshotFailed = SubscriptionErrorCodes.SnapshotFailed;

    /// <summary>The server is shutting down and takes no new subscriptions.</summary>
    public const string ShuttingDown = SubscriptionErrorCodes.ShuttingDown;

    /// <summary>The server could not complete the request because of a fault on its side.</summary>
    public const string InternalError = "internal_error";

    /// <summary>The server has as many connections as it allows (HTTP 503 before the upgrade).</summary>
    public const string TooManyConnections = "too_many_connections";

    /// <summary>The client asked only for WebSocket subprotocols this server does not speak, or sent a plain HTTP request to the WebSocket endpoint.</summary>
    public const string UnsupportedProtocol = "unsupported_protocol";

    /// <summary>A management request named a connection that does not exist.</summary>
    public const string UnknownConnection = "unknown_connection";

    /// <summary>An event published over HTTP is invalid (type, topic, priority, data or meta) or its body is over 1 MiB (HTTP 413).</summary>
    public const string InvalidEvent = "invalid_event";
}
