using Microsoft.Extensions.Logging;

namespace RealtimeEvents.Internal;

/// <summary>Source-generated log messages of the core package, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Dispatcher started at position {Position}.")]
    public static partial void DispatcherStarted(ILogger logger, EventPosition position);

    [LoggerMessage(2, LogLevel.Information, "Dispatcher stopped at position {Position}.")]
    public static partial void DispatcherStopped(ILogger logger, EventPosition position);

    [LoggerMessage(3, LogLevel.Error, "Dispatcher failed; restarting from position {Position}.")]
    public static partial void DispatcherFailed(ILogger logger, EventPosition position, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Dispatcher fell behind the event log ({Status}) after {Position}; every subscription is told of the gap.")]
    public static partial void DispatcherGap(ILogger logger, ResumeStatus status, EventPosition position);

    [LoggerMessage(10, LogLevel.Debug, "Subscription {SubscriptionId} created: {Filter}, resume {Resume}.")]
    public static partial void SubscriptionCreated(ILogger logger, string subscriptionId, EventFilter filter, ResumeStatus? resume);

    [LoggerMessage(11, LogLevel.Debug, "Subscription {SubscriptionId} ended: {Reason}.")]
    public static partial void SubscriptionEnded(ILogger logger, string subscriptionId, SubscriptionEndReason reason);

    [LoggerMessage(12, LogLevel.Debug, "Subscription {SubscriptionId} dropped event {Position} because its queue is full.")]
    public static partial void EventDropped(ILogger logger, string subscriptionId, EventPosition position);

    [LoggerMessage(13, LogLevel.Warning, "Subscription {SubscriptionId} ended because it kept overflowing its queue (lag policy EndSubscription).")]
    public static partial void SubscriptionLagging(ILogger logger, string subscriptionId);
}
