namespace RealtimeEvents;

/// <summary>Convenience overloads for <see cref="IEventPublisher"/>.</summary>
public static class EventPublisherExtensions
{
    /// <summary>Publishes an event without waiting; returns <see langword="false"/> instead of blocking.</summary>
    /// <param name="publisher">The publisher.</param>
    /// <param name="draft">The event to publish.</param>
    /// <returns><see langword="true"/> when the event was published.</returns>
    public static bool TryPublish(this IEventPublisher publisher, EventDraft draft)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        return publisher.TryPublish(draft, out _);
    }
}
