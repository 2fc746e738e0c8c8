namespace RealtimeEvents.RabbitMQ;

/// <summary>
/// Options of the RabbitMQ stream event log, bound from the <c>RealtimeEvents:RabbitMq</c> configuration section. How far
/// back a client can resume is still set by <see cref="RealtimeEventsOptions.History"/> (count and age); the stream's own
/// retention below bounds the broker's disk.
/// </summary>
public sealed class RabbitMqEventLogOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "RealtimeEvents:RabbitMq";

    /// <summary>
    /// Gets or sets the broker's address as an AMQP URI, for example <c>amqp://user:password@rabbit.internal:5672/vhost</c>.
    /// Required; there is no default, so a host without it fails at startup instead of talking to the wrong broker.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Gets or sets the name of the stream queue every node appends to and tails. Nodes that share it share one log.
    /// Created as a durable stream when missing. The default value is <c>realtime-events</c>.
    /// </summary>
    public string StreamName { get; set; } = "realtime-events";

    /// <summary>
    /// Gets or sets the most bytes the stream keeps on the broker (<c>x-max-length-bytes</c>); older segments are deleted.
    /// Applied when this node creates the stream. From 1 MiB. The default value is 1 GiB.
    /// </summary>
    public long MaxLengthBytes { get; set; } = 1L << 30;

    /// <summary>
    /// Gets or sets how long the stream keeps events on the broker (<c>x-max-age</c>, whole segments at a time). Applied
    /// when this node creates the stream. From 1 second. The default value is 1 day.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Gets or sets the size of one stream segment file (<c>x-stream-max-segment-size-bytes</c>); retention deletes whole
    /// segments, so this is its granularity. Applied when this node creates the stream. From 4 KiB up to
    /// <see cref="MaxLengthBytes"/>. The default value is 64 MiB.
    /// </summary>
    public long MaxSegmentSizeBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Gets or sets the largest event this log publishes, measured as its envelope (the event's JSON plus about 100 bytes).
    /// A larger event is refused with an <see cref="ArgumentException"/> before anything is sent. From 1 KiB to 64 MiB. The
    /// default value is 1 MiB.
    /// </summary>
    public int MaxEventBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Gets or sets how long a publish may take in all: waiting for the connection while the node first connects, for a
    /// free slot, for the broker's confirm, and for this node to read the event back with its position. From 100
    /// milliseconds to 5 minutes. The default value is 10 seconds.
    /// </summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how long a read may take when it needs the broker: older events from the stream, a position this node
    /// has not read yet, or a read while the node is still connecting. From 100 milliseconds to 5 minutes. The default
    /// value is 10 seconds.
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the most publishes waiting for the broker's confirm at once; <c>TryPublish</c> returns
    /// <see langword="false"/> and <c>PublishAsync</c> waits (up to <see cref="PublishTimeout"/>) beyond it. From 1 to
    /// 65,536. The default value is 1024.
    /// </summary>
    public int MaxPendingPublishes { get; set; } = 1024;

    /// <summary>
    /// Gets or sets how many stream messages the broker sends this node ahead of its acknowledgements (the consumer
    /// prefetch). From 10 to 65,535. The default value is 2000.
    /// </summary>
    public int Prefetch { get; set; } = 2000;

    /// <summary>Gets or sets the first delay before reconnecting after the broker was lost. From 10 milliseconds. The default value is 500 milliseconds.</summary>
    public TimeSpan MinReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Gets or sets the longest delay between reconnect attempts; delays double from <see cref="MinReconnectDelay"/> up to
    /// this, with jitter. The default value is 30 seconds.
    /// </summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the name this node's connection shows in the broker's management tools. The default value is
    /// <c>RealtimeEvents on {machine name}</c>.
    /// </summary>
    public string? ConnectionName { get; set; }
}
