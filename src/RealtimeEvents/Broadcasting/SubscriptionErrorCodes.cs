namespace RealtimeEvents;

/// <summary>Stable codes carried by <see cref="SubscriptionRejectedException"/>; transports send them to clients as-is.</summary>
public static class SubscriptionErrorCodes
{
    /// <summary>The request is malformed (topic, pattern, priority, meta or id); the message says which part.</summary>
    public const string InvalidSubscription = "invalid_subscription";

    /// <summary>A snapshot was asked for but no snapshot provider covers the requested topics.</summary>
    public const string SnapshotUnavailable = "snapshot_unavailable";

    /// <summary>A snapshot provider failed.</summary>
    public const string SnapshotFailed = "snapshot_failed";

    /// <summary>An <see cref="ISubscriptionAuthorizer"/> denied the subscription; nothing was delivered.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The broadcaster is shutting down and takes no new subscriptions.</summary>
    public const string ShuttingDown = "shutting_down";
}
