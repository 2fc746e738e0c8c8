using Microsoft.Extensions.Logging;

namespace RealtimeEvents.SignalR.Internal;

internal static partial class SignalRLog
{
    [LoggerMessage(200, LogLevel.Warning, "Refused a SignalR connection ({Code}): the node has {MaxConnections} connections or is shutting down.")]
    public static partial void ConnectionRefused(ILogger logger, string code, int maxConnections);

    [LoggerMessage(201, LogLevel.Warning, "{Count} SignalR connections had not closed {Limit} after shutdown began; SignalR aborts them.")]
    public static partial void ShutdownFlushTimedOut(ILogger logger, int count, TimeSpan limit);
}
