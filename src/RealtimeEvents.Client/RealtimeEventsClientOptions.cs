using System.Net.WebSockets;

namespace RealtimeEvents.Client;

/// <summary>Options of <see cref="RealtimeEventsClient"/>. Bound from the <c>RealtimeEventsClient</c> configuration section by <c>AddRealtimeEventsClient</c>.</summary>
public sealed class RealtimeEventsClientOptions
{
    /// <summary>The configuration section the options are bound from. The value is <c>RealtimeEventsClient</c>.</summary>
    public const string SectionName = "RealtimeEventsClient";

    /// <summary>
    /// Gets or sets the prefix the server mapped with <c>MapRealtimeEvents</c>, as an absolute <c>http</c>, <c>https</c>, <c>ws</c>
    /// or <c>wss</c> URI, for example <c>https://example.com/realtime</c>. The client connects to <c>{prefix}/ws</c>. Required.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Gets or sets a function that returns an access token, called before every connect and reconnect; the token is sent as the
    /// <c>access_token</c> query parameter. The default value is <see langword="null"/> (no token).
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>Gets or sets the backoff of reconnects.</summary>
    public ReconnectOptions Reconnect { get; set; } = new();

    /// <summary>
    /// Gets or sets how long the connection may stay silent (no message, heartbeats included) before the client treats it as dead
    /// and reconnects. The default value is <see langword="null"/>: 2.5 × the <c>heartbeatMs</c> of the server's welcome.
    /// </summary>
    public TimeSpan? HeartbeatTimeout { get; set; }

    /// <summary>Gets or sets how long connecting, up to the server's welcome, may take. The default value is 15 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets how many items each subscription's queue holds. The default value is 1024.</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Gets or sets what a full subscription queue does. The default value is <see cref="ClientQueueFullMode.DropOldest"/>.</summary>
    public ClientQueueFullMode QueueFullMode { get; set; } = ClientQueueFullMode.DropOldest;

    /// <summary>Gets or sets the clock of delays and timeouts. The default value is <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets the source of random numbers in [0, 1) for the backoff's jitter. The default value is <see langword="null"/>
    /// (<see cref="System.Random.Shared"/>).
    /// </summary>
    public Func<double>? Random { get; set; }

    /// <summary>Gets or sets a callback that adjusts each <see cref="ClientWebSocket"/>'s options (headers, proxy, certificates).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }
}
