namespace RealtimeEvents;

/// <summary>Runs the registered <see cref="ISubscriptionAuthorizer"/>s, for transports.</summary>
public static class SubscriptionAuthorizerExtensions
{
    /// <summary>Asks every authorizer in turn; the first denial wins. No authorizers means allowed.</summary>
    /// <param name="authorizers">The registered authorizers.</param>
    /// <param name="context">Who asks, and for what.</param>
    /// <param name="cancellationToken">Cancelled when the connection goes away.</param>
    /// <returns>The first denial, or <see cref="SubscriptionAuthorizationResult.Allow"/>.</returns>
    public static async ValueTask<SubscriptionAuthorizationResult> AuthorizeAllAsync(this IEnumerable<ISubscriptionAuthorizer> authorizers,
        SubscriptionAuthorizationContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorizers);
        ArgumentNullException.ThrowIfNull(context);
        foreach (var authorizer in authorizers)
        {
            var result = await authorizer.AuthorizeAsync(context, cancellationToken).ConfigureAwait(false);
            if (!result.Allowed)
            {
                return result;
            }
        }

        return SubscriptionAuthorizationResult.Allow;
    }
}
