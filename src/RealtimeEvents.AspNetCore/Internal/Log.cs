using Microsoft.Extensions.Logging;

namespace RealtimeEvents.AspNetCore.Internal;

internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Debug, "Connection {ConnectionId} opened ({Transport}, from {RemoteAddress}).")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string transport, string? remoteAddress);

    [LoggerMessage(101, LogLevel.Debug, "Connection {ConnectionId} closed ({Transport}).")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, string transport);

    [LoggerMessage(102, LogLevel.Information, "Subscription {SubscriptionId} was denied for user {User}: {Filter}.")]
    public static partial void SubscriptionForbidden(ILogger logger, string? subscriptionId, string? user, EventFilter filter);

    [LoggerMessage(103, LogLevel.Debug, "Connection {ConnectionId} sent a rejected message: {Code}.")]
    public static partial void MessageRejected(ILogger logger, string connectionId, string code);

    [LoggerMessage(104, LogLevel.Information, "Connection {ConnectionId} is closed for abuse with status {Status}: {Reason}")]
    public static partial void ClosingForAbuse(ILogger logger, string connectionId, int status, string reason);

    [LoggerMessage(105, LogLevel.Warning, "Connection {ConnectionId} failed.")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(106, LogLevel.Warning, "Refused a {Transport} connection: the node already has {MaxConnections} connections.")]
    public static partial void ConnectionLimitReached(ILogger logger, string transport, int maxConnections);

    [LoggerMessage(108, LogLevel.Error, "Subscription {SubscriptionId} on connection {ConnectionId} failed and was ended.")]
    public static partial void SubscriptionFailed(ILogger logger, string connectionId, string subscriptionId, Exception exception);

    [LoggerMessage(109, LogLevel.Error, "Subscribing a {Transport} connection failed.")]
    public static partial void SubscribeFailed(ILogger logger, string transport, Exception exception);

    [LoggerMessage(110, LogLevel.Information, "Connection {ConnectionId} is aborted: a write waited on the client for {Timeout} (HeartbeatTimeout).")]
    public static partial void WriteTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

    [LoggerMessage(107, LogLevel.Information, "Connection {ConnectionId} was disconnected by an administrator.")]
    public static partial void ForceDisconnected(ILogger logger, string connectionId);
}
