namespace RealtimeEvents;

/// <summary>What happens to a subscriber that keeps overflowing its queue.</summary>
public enum LagPolicy
{
    /// <summary>Keep the subscription: drop the oldest events and tell the subscriber each time.</summary>
    KeepDropping = 0,

    /// <summary>
    /// End the subscription after <see cref="RealtimeEventsOptions.MaxConsecutiveOverflows"/> overflows in a row,
    /// telling it why (<see cref="SubscriptionEndReason.Lagging"/>), so it can reload state and subscribe again.
    /// </summary>
    EndSubscription = 1,
}
