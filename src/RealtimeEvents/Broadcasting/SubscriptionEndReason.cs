namespace RealtimeEvents;

/// <summary>Why a subscription ended.</summary>
public enum SubscriptionEndReason
{
    /// <summary>The subscription was disposed (unsubscribed).</summary>
    Unsubscribed = 0,

    /// <summary>The subscriber kept overflowing and <see cref="LagPolicy.EndSubscription"/> is configured; reload state and subscribe again.</summary>
    Lagging = 1,

    /// <summary>The host is shutting down; events queued before shutdown were delivered first.</summary>
    Shutdown = 2,

    /// <summary>Reading the subscription failed (for example its history could not be read from the event log); subscribe again.</summary>
    Failed = 3,
}
