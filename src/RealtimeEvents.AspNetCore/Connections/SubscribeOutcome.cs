namespace RealtimeEvents.AspNetCore.Connections;

/// <summary>The result of asking to subscribe: the subscription, or a stable error code and a message for the client.</summary>
internal readonly record struct SubscribeOutcome(ISubscription? Subscription, string? ErrorCode, string? ErrorMessage)
{
    public static SubscribeOutcome Failed(string code, string message) => new(null, code, message);
}
