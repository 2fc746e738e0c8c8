namespace RealtimeEvents;

/// <summary>An <see cref="ISubscriptionAuthorizer"/>'s decision.</summary>
public sealed class SubscriptionAuthorizationResult
{
    private SubscriptionAuthorizationResult(bool allowed, string? reason)
    {
        Allowed = allowed;
        Reason = reason;
    }

    /// <summary>Gets the decision that allows the subscription.</summary>
    public static SubscriptionAuthorizationResult Allow { get; } = new(allowed: true, reason: null);

    /// <summary>Gets a value indicating whether the subscription is allowed.</summary>
    public bool Allowed { get; }

    /// <summary>Gets why the subscription was denied, as the client sees it; <see langword="null"/> when allowed.</summary>
    public string? Reason { get; }

    /// <summary>Denies the subscription.</summary>
    /// <param name="reason">Why, for the client: say what it may subscribe to instead. Do not reveal other users' topics.</param>
    /// <returns>The decision.</returns>
    public static SubscriptionAuthorizationResult Deny(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new SubscriptionAuthorizationResult(allowed: false, reason);
    }
}
