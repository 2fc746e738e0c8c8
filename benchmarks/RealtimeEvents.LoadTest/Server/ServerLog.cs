namespace RealtimeEvents.LoadTest.Server;

/// <summary>Which event log the RealtimeEvents scenarios run on.</summary>
internal enum ServerLog
{
    /// <summary>The library's default in-memory log.</summary>
    Memory,

    /// <summary>A fresh RabbitMQ stream on the broker named by <c>REALTIME_RABBITMQ_URI</c>.</summary>
    RabbitMq,
}
