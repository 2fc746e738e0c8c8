using System.Diagnostics.CodeAnalysis;

namespace RealtimeEvents;

/// <summary>
/// Publishes events from anywhere in the process. Publishing appends to the event log and never waits on a subscriber.
/// </summary>
public interface IEventPublisher
{
    /// <summary>Publishes an event and returns it stamped with its id, time and position.</summary>
    /// <param name="draft">The event to publish.</param>
    /// <param name="cancellationToken">Cancels waiting for the event log to accept the event.</param>
    /// <returns>The published event.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="draft"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The broadcaster has shut down.</exception>
    /// <exception cref="EventLogUnavailableException">
    /// The event log could not store the event, for example a distributed log whose broker is down or did not confirm in time.
    /// </exception>
    ValueTask<RealtimeEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes an event from synchronous code such as worker callbacks, never waiting on a subscriber; returns
    /// <see langword="false"/> instead of blocking when the event log cannot take it now or the broadcaster has shut down.
    /// With the in-memory log it never waits. A broker-backed log (RabbitMQ) must wait, bounded, for the broker to assign
    /// the position, so prefer <see cref="PublishAsync"/> there.
    /// </summary>
    /// <param name="draft">The event to publish.</param>
    /// <param name="published">The published event when this returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> when the event was published.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="draft"/> is <see langword="null"/>.</exception>
    bool TryPublish(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? published);
}
