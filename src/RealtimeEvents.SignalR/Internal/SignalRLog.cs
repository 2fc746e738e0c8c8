using Microsoft.Extensions.Logging;

namespace RealtimeEvents.SignalR.Internal;

internal static partial class SignalRLog
{
    [LoggerMessage(200, LogLevel.Warning, "Refused a SignalR connection ({Code}): the node has {MaxConnections} connections or is shutting down.")]
    public static partial void ConnectionRefused(ILogger logger, string code, int maxConnections);

    [LoggerMessage(201, LogLevel.Warning, "Waiting for SignalR connections to flush at shutdown failed.")]
    public static partial void ShutdownFlushFailed(ILogger logger, Exception exception);
}
