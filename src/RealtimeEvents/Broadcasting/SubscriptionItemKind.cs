namespace RealtimeEvents;

/// <summary>What a <see cref="SubscriptionItem"/> carries.</summary>
public enum SubscriptionItemKind
{
    /// <summary>A matching event, in log order.</summary>
    Event = 0,

    /// <summary>Events the subscriber missed (dropped, no longer in history, or from another epoch), told before the next event.</summary>
    Gap = 1,

    /// <summary>The current state of a topic, delivered before the events after it.</summary>
    Snapshot = 2,

    /// <summary>The subscription ended; <see cref="SubscriptionItem.EndReason"/> says why. Nothing follows.</summary>
    Ended = 3,
}
