using Microsoft.Extensions.Logging;

namespace RealtimeEvents.Client.Internal;

/// <summary>Source-generated log messages of the client package, with stable event ids (300 and up).</summary>
internal static partial class Log
{
    [LoggerMessage(300, LogLevel.Information, "Connected to {Endpoint} as {ConnectionId} (server position {Position}).")]
    public static partial void Connected(ILogger logger, Uri endpoint, string connectionId, EventPosition? position);

    [LoggerMessage(301, LogLevel.Warning, "Connecting to {Endpoint} failed: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, Uri endpoint, string reason, Exception? exception);

    [LoggerMessage(302, LogLevel.Information, "Connection {ConnectionId} ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string connectionId, string reason);

    [LoggerMessage(303, LogLevel.Information, "Reconnect attempt {Attempt} in {Delay}.")]
    public static partial void Reconnecting(ILogger logger, int attempt, TimeSpan delay);

    [LoggerMessage(304, LogLevel.Warning, "Offline: {Reason}")]
    public static partial void Offline(ILogger logger, string reason);

    [LoggerMessage(305, LogLevel.Warning, "Skipped a server message on connection {ConnectionId}: {Reason}")]
    public static partial void MalformedMessage(ILogger logger, string connectionId, string reason);

    [LoggerMessage(306, LogLevel.Warning, "Skipped a binary frame on connection {ConnectionId}: the protocol uses text frames.")]
    public static partial void BinaryFrame(ILogger logger, string connectionId);

    [LoggerMessage(307, LogLevel.Warning, "The server reported an error {Code} for '{Id}': {Message}")]
    public static partial void ServerError(ILogger logger, string code, string? id, string message);

    [LoggerMessage(308, LogLevel.Debug, "Subscription {SubscriptionId} subscribed (resume {Resume}, position {Position}).")]
    public static partial void Subscribed(ILogger logger, string subscriptionId, ResumeStatus? resume, EventPosition? position);

    [LoggerMessage(309, LogLevel.Debug, "Subscription {SubscriptionId} ended: {Reason}.")]
    public static partial void SubscriptionEnded(ILogger logger, string subscriptionId, SubscriptionEndReason reason);

    [LoggerMessage(310, LogLevel.Warning, "Subscription {SubscriptionId} missed events: {Gap}.")]
    public static partial void Gap(ILogger logger, string subscriptionId, GapNotice gap);

    [LoggerMessage(311, LogLevel.Debug, "Subscription {SubscriptionId} dropped its oldest item because its queue is full.")]
    public static partial void ItemDropped(ILogger logger, string subscriptionId);

    [LoggerMessage(312, LogLevel.Debug, "Subscription {SubscriptionId} skipped event {Position}: at or before its last position {Last}.")]
    public static partial void DuplicateSkipped(ILogger logger, string subscriptionId, EventPosition position, EventPosition last);

    [LoggerMessage(313, LogLevel.Debug, "A message for unknown subscription '{SubscriptionId}' ({Op}) was ignored.")]
    public static partial void UnknownSubscription(ILogger logger, string subscriptionId, string op);

    [LoggerMessage(314, LogLevel.Warning, "The server speaks protocol version {Version}; this client speaks version 1.")]
    public static partial void UnsupportedProtocol(ILogger logger, int version);
}
