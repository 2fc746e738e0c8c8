namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>A parsed client message, or why it was rejected.</summary>
internal readonly record struct ClientMessage(string? Op, string? Id, SubscriptionRequest? Request, string? ErrorCode, string? ErrorMessage)
{
    public bool IsValid => ErrorCode is null;

    public static ClientMessage Invalid(string code, string message, string? id = null) => new(null, id, null, code, message);
}
