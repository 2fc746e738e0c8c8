namespace RealtimeEvents.AspNetCore;

/// <summary>
/// Limits and timings of the WebSocket and SSE endpoints (and of the SignalR hub of RealtimeEvents.SignalR). They are bound from the <c>RealtimeEvents:Transport</c>
/// configuration section, then <c>builder.Services.Configure&lt;RealtimeEventsTransportOptions&gt;(...)</c> calls apply.
/// Invalid values fail when the endpoints are mapped.
/// </summary>
public sealed class RealtimeEventsTransportOptions
{
    /// <summary>The configuration section these options are usually bound from.</summary>
    public const string SectionName = "RealtimeEvents:Transport";

    /// <summary>Gets or sets the most WebSocket, SSE and SignalR connections this node serves; more are refused with HTTP 503 before the upgrade. The default value is 10000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Gets or sets the most subscriptions one WebSocket or SignalR connection may hold. The default value is 100.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 100;

    /// <summary>Gets or sets the largest client message, in bytes; a larger one closes the connection with status 1009. The default value is 16384 (16 KiB).</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024;

    /// <summary>Gets or sets how many messages per second a client may send on average; messages over the limit get <c>rate_limited</c> and are ignored. The default value is 20.</summary>
    public int MessagesPerSecond { get; set; } = 20;

    /// <summary>
    /// Gets or sets how many messages a client may send at once: the size of the token bucket that refills at
    /// <see cref="MessagesPerSecond"/>. The default value is 40.
    /// </summary>
    public int MessageBurst { get; set; } = 40;

    /// <summary>
    /// Gets or sets how many protocol violations a connection may commit before it is closed (status 1003 when the last
    /// was a binary frame, 1008 otherwise). Violations are messages that are not valid protocol (<c>malformed_message</c>,
    /// <c>unknown_op</c>, <c>missing_field</c>, <c>invalid_field</c>), messages over the rate (<c>rate_limited</c>) and binary
    /// frames; refused requests (<c>forbidden</c>, <c>invalid_subscription</c>, <c>duplicate_subscription</c>...) are not.
    /// The default value is 10.
    /// </summary>
    public int MaxProtocolViolations { get; set; } = 10;

    /// <summary>
    /// Gets or sets how often the server pings: a WebSocket ping frame, plus a <c>heartbeat</c> message (an SSE comment)
    /// when nothing else was sent for that long, so clients can tell a quiet connection from a dead one. The default value is 15 seconds.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets how long a WebSocket client may leave a ping unanswered, and how long a write to an SSE client may wait on
    /// a client that does not read, before the connection is aborted and cleaned up. The default value is 30 seconds.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the byte budget of one batch: events waiting for a subscription are sent together, as one frame and one flush, up to this size. The default value is 65536 (64 KiB).</summary>
    public int SendBatchBytes { get; set; } = 64 * 1024;

    /// <summary>Gets or sets how long, on host shutdown, queued events may take to flush before every client gets close status 1001. The default value is 5 seconds.</summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long a closing connection waits for the client's close frame before it is aborted. The default value is 5 seconds.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets the origins (for example <c>https://app.example.com</c>) whose pages may open WebSocket connections; empty (the
    /// default) allows every origin. Browsers send cookies with cross-site WebSocket requests and apply no CORS check to
    /// them, so a host that authenticates with cookies should list its own origins here. Other origins get HTTP 403.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Checks every value; the endpoints call this when they are mapped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it and says what is allowed.</exception>
    public void Validate()
    {
        Positive(MaxConnections, nameof(MaxConnections));
        Positive(MaxSubscriptionsPerConnection, nameof(MaxSubscriptionsPerConnection));
        if (MaxMessageBytes < 256)
        {
            throw Invalid(nameof(MaxMessageBytes), MaxMessageBytes, "must be at least 256 bytes");
        }

        Positive(MessagesPerSecond, nameof(MessagesPerSecond));
        if (MessageBurst < MessagesPerSecond)
        {
            throw Invalid(nameof(MessageBurst), MessageBurst, $"must be at least {nameof(MessagesPerSecond)} ({MessagesPerSecond})");
        }

        Positive(MaxProtocolViolations, nameof(MaxProtocolViolations));
        PositiveTime(HeartbeatInterval, nameof(HeartbeatInterval));
        if (HeartbeatTimeout < HeartbeatInterval)
        {
            throw Invalid(nameof(HeartbeatTimeout), HeartbeatTimeout, $"must be at least {nameof(HeartbeatInterval)} ({HeartbeatInterval})");
        }

        if (SendBatchBytes < 1024)
        {
            throw Invalid(nameof(SendBatchBytes), SendBatchBytes, "must be at least 1024 bytes");
        }

        PositiveTime(ShutdownFlushTimeout, nameof(ShutdownFlushTimeout));
        PositiveTime(CloseTimeout, nameof(CloseTimeout));
    }

    private static void Positive(int value, string name)
    {
        if (value < 1)
        {
            throw Invalid(name, value, "must be at least 1");
        }
    }

    private static void PositiveTime(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw Invalid(name, value, "must be greater than zero");
        }
    }

    private static ArgumentOutOfRangeException Invalid(string name, object value, string rule) =>
        new($"{nameof(RealtimeEventsTransportOptions)}.{name}", value, $"RealtimeEventsTransportOptions.{name} {rule}; it is {value}.");
}
