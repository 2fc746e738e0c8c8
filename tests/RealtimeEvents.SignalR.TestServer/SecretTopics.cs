namespace RealtimeEvents.SignalR.TestServer;

/// <summary>The test server's subscription rule: nothing under <c>secret/</c>.</summary>
internal static class SecretTopics
{
    /// <summary>
    /// Denies a subscription that could receive an event under <c>secret/</c>: one naming no topic (every topic), or a
    /// topic or pattern whose first segment is <c>secret</c> or a wildcard.
    /// </summary>
    public static SubscriptionAuthorizationResult Authorize(SubscriptionAuthorizationContext context)
    {
        var filter = context.Filter;
        var topics = filter.Topics.Concat(filter.TopicPatterns).ToList();
        return topics.Count == 0 || topics.Exists(CouldMatchSecret)
            ? SubscriptionAuthorizationResult.Deny("Topics under secret/ are not for you: name other topics.")
            : SubscriptionAuthorizationResult.Allow;
    }

    private static bool CouldMatchSecret(string topic)
    {
        var slash = topic.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? topic : topic[..slash];
        return first is "secret" or "*" or "**";
    }
}
