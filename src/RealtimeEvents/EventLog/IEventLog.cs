using System.Diagnostics.CodeAnalysis;

namespace RealtimeEvents;

/// <summary>
/// The ordered, bounded record of published events. It stamps every event with a position (epoch + sequence),
/// keeps recent events so subscribers can resume, and is tailed by the dispatcher. The in-memory log is the
/// default; a broker-backed log shares one order between several nodes.
/// </summary>
/// <remarks>
/// Every implementation must pass the shared conformance suite (<c>EventLogConformanceTests</c>): sequences strictly
/// increase from 1 within an epoch, reads return events in order, and a read that cannot return everything after the
/// requested position says so through <see cref="EventLogReadResult.Status"/> instead of returning a silent partial answer.
/// </remarks>
public interface IEventLog
{
    /// <summary>Gets the position of the newest event; its sequence is 0 when nothing has been appended yet.</summary>
    EventPosition CurrentPosition { get; }

    /// <summary>Appends an event and returns it stamped with its id, time and position.</summary>
    /// <param name="draft">The event to append.</param>
    /// <param name="cancellationToken">Cancels waiting for the log to accept the event.</param>
    /// <returns>The stamped event.</returns>
    /// <exception cref="ObjectDisposedException">The log has been disposed.</exception>
    /// <exception cref="EventLogUnavailableException">A broker-backed log could not store the event (broker unreachable, refused, or no answer in time).</exception>
    ValueTask<RealtimeEvent> AppendAsync(EventDraft draft, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends an event without waiting on subscribers; returns <see langword="false"/> when the log cannot take it now. A
    /// broker-backed log assigns positions on the broker, so it waits (bounded) for the broker's answer, and returns
    /// <see langword="false"/> at once while the broker is unreachable.
    /// </summary>
    /// <param name="draft">The event to append.</param>
    /// <param name="appended">The stamped event when it was appended.</param>
    /// <returns><see langword="true"/> when the event was appended.</returns>
    bool TryAppend(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? appended);

    /// <summary>
    /// Reads up to <paramref name="maxCount"/> events after <paramref name="after"/>, oldest first. When events after that
    /// position are no longer retained, or the position belongs to another epoch, the result's status says so and its
    /// events start at the oldest retained one.
    /// </summary>
    /// <param name="after">The last position the reader has; sequence 0 of the current epoch reads from the start.</param>
    /// <param name="maxCount">The most events to return; at least 1.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events and whether they follow <paramref name="after"/> without a gap.</returns>
    ValueTask<EventLogReadResult> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>Completes when the log holds an event after <paramref name="after"/> (or its epoch changed).</summary>
    /// <param name="after">The last position the caller has seen.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when there is something new to read.</returns>
    ValueTask WaitForEventsAsync(EventPosition after, CancellationToken cancellationToken);

    /// <summary>Returns whether every event after <paramref name="position"/> is still retained, so a resume from it is complete.</summary>
    /// <param name="position">The position a subscriber would resume after.</param>
    /// <returns><see langword="true"/> when the resume would be complete.</returns>
    bool CanResumeFrom(EventPosition position);
}
