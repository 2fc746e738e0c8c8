namespace RealtimeEvents;

/// <summary>
/// Decides whether a user may subscribe to what a request asks for. Every transport (WebSocket, SSE, SignalR) asks
/// every registered authorizer before subscribing; one denial refuses the subscription with the stable code
/// <see cref="SubscriptionErrorCodes.Forbidden"/> and nothing is delivered. With none registered, every valid request is allowed.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddRealtimeEvents().AddSubscriptionAuthorizer(context =>
///     context.User.FindFirst("tenant")?.Value is { } tenant &amp;&amp; context.Filter.IsConfinedTo("tenants/" + tenant)
///         ? SubscriptionAuthorizationResult.Allow
///         : SubscriptionAuthorizationResult.Deny("Subscribe to topics under tenants/{your tenant} only."));
/// </code>
/// </example>
public interface ISubscriptionAuthorizer
{
    /// <summary>Decides whether <see cref="SubscriptionAuthorizationContext.User"/> may make the subscription.</summary>
    /// <param name="context">Who asks, and for what.</param>
    /// <param name="cancellationToken">Cancelled when the connection goes away.</param>
    /// <returns>Allow, or deny with a reason the client sees.</returns>
    ValueTask<SubscriptionAuthorizationResult> AuthorizeAsync(SubscriptionAuthorizationContext context, CancellationToken cancellationToken);
}
