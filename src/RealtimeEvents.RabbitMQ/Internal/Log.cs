using Microsoft.Extensions.Logging;

namespace RealtimeEvents.RabbitMQ.Internal;

/// <summary>Source-generated log messages of the RabbitMQ package, with stable event ids (400 and up).</summary>
internal static partial class Log
{
    [LoggerMessage(400, LogLevel.Information, "Attached to stream '{Stream}' at {Endpoint}: epoch {Epoch}, position {Position}.")]
    public static partial void Attached(ILogger logger, string stream, string endpoint, string epoch, EventPosition position);

    [LoggerMessage(401, LogLevel.Warning, "Connecting to RabbitMQ stream '{Stream}' failed (attempt {Attempt}); retrying in {Delay}: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string stream, int attempt, TimeSpan delay, string reason, Exception? exception);

    [LoggerMessage(402, LogLevel.Warning, "Lost the RabbitMQ connection for stream '{Stream}' at position {Position}: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string stream, EventPosition position, string reason);

    [LoggerMessage(403, LogLevel.Warning, "Stream '{Stream}' has a new epoch {Epoch} (was {PreviousEpoch}): it was deleted and created again. Positions of the old epoch cannot be resumed.")]
    public static partial void EpochChanged(ILogger logger, string stream, string epoch, string previousEpoch);

    [LoggerMessage(404, LogLevel.Information, "Created stream '{Stream}' (max {MaxLengthBytes} bytes, max age {MaxAge}, segments of {SegmentBytes} bytes).")]
    public static partial void StreamCreated(ILogger logger, string stream, long maxLengthBytes, TimeSpan maxAge, long segmentBytes);

    [LoggerMessage(405, LogLevel.Warning, "Skipped the message at offset {Offset} of stream '{Stream}': {Reason}")]
    public static partial void UndecodableMessage(ILogger logger, string stream, long offset, string reason);

    [LoggerMessage(406, LogLevel.Warning, "Stream '{Stream}' no longer holds offsets {From} to {To} (retention ran while this node was away); subscribers are told of the gap.")]
    public static partial void TruncatedWhileAway(ILogger logger, string stream, long from, long to);

    [LoggerMessage(407, LogLevel.Warning, "TryPublish of event {EventId} returned false: {Reason}")]
    public static partial void TryPublishFailed(ILogger logger, string eventId, string reason);

    [LoggerMessage(408, LogLevel.Warning, "The event at offset {Offset} of stream '{Stream}' names epoch {EnvelopeEpoch}, but the stream's epoch is {Epoch}; it was published by a node that had not yet seen the stream recreated.")]
    public static partial void ForeignEpoch(ILogger logger, string stream, long offset, string envelopeEpoch, string epoch);
}
