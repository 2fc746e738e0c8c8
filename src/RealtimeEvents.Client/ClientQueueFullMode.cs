namespace RealtimeEvents.Client;

/// <summary>What a <see cref="ClientSubscription"/> does when its queue is full because the application reads too slowly.</summary>
public enum ClientQueueFullMode
{
    /// <summary>
    /// Drop the oldest item and put a <see cref="GapNotice"/> (<see cref="GapReason.Overflow"/>, recoverable) in front of the next
    /// item, so the application is told what it missed. The connection keeps reading; other subscriptions are not held up.
    /// </summary>
    DropOldest = 0,

    /// <summary>
    /// Stop reading the connection until there is room. The server's queue for the subscription overflows instead, and the
    /// server's own overflow notice arrives. Every subscription of the client waits while one queue is full.
    /// </summary>
    Wait = 1,
}
