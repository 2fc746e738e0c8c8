using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace RealtimeEvents.Reliability.Tests.FloodsAndSlowAttackers;

/// <summary>
/// Keeps the RealtimeEvents log entries (Information and above) of a test host, so a test can tell why the server ended
/// something it cannot see from the client: a subscription ended for lagging, a connection closed for abuse.
/// </summary>
internal sealed class LogCapture : ILoggerProvider
{
    /// <summary>The core's "Subscription {SubscriptionId} ended because it kept overflowing its queue" (LagPolicy.EndSubscription).</summary>
    public const int SubscriptionLagging = 13;

    /// <summary>The transport's "Connection {ConnectionId} is closed for abuse with status {Status}: {Reason}".</summary>
    public const int ClosingForAbuse = 104;

    private readonly ConcurrentQueue<(int EventId, string Message)> _entries = new();

    /// <summary>Adds the capture to a <see cref="WebApplicationBuilder"/>; pass it as the test host's <c>configure:</c>.</summary>
    public void AddTo(WebApplicationBuilder builder)
    {
        builder.Logging.AddProvider(this);
        builder.Logging.AddFilter<LogCapture>((category, level) =>
            category is not null && category.StartsWith("RealtimeEvents", StringComparison.Ordinal) && level >= LogLevel.Information);
    }

    public int Count(int eventId, string? containing = null) =>
        _entries.Count(e => e.EventId == eventId && (containing is null || e.Message.Contains(containing, StringComparison.Ordinal)));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((eventId.Id, formatter(state, exception)));
    }
}
