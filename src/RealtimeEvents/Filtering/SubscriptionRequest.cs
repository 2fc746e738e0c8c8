using System.Diagnostics.CodeAnalysis;

namespace RealtimeEvents;

/// <summary>
/// What a subscriber asks for: the same model every transport (WebSocket, SSE, SignalR, in-process) uses.
/// </summary>
public sealed class SubscriptionRequest
{
    /// <summary>Gets the subscriber's own id for this subscription (echoed in notices); generated when omitted. At most 128 characters.</summary>
    public string? Id { get; init; }

    /// <summary>Gets exact topics and topic patterns (<c>executions/*</c>, <c>executions/exec-1/**</c>); empty means every topic.</summary>
    public IReadOnlyList<string> Topics { get; init; } = [];

    /// <summary>Gets type patterns (<c>execution.*</c>, <c>*.failed</c>); empty means every type.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>Gets the lowest priority to receive. The default value is <see cref="EventPriority.Low"/> (everything).</summary>
    public EventPriority MinimumPriority { get; init; } = EventPriority.Low;

    /// <summary>Gets meta entries an event must carry, for example <c>tenant=acme</c>.</summary>
    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    /// <summary>
    /// Gets the last position the subscriber saw: it receives every matching event after it (from history), then
    /// continues live with no gap and no duplicate. <see langword="null"/> (the default) starts with the next event published
    /// after the subscribe call. Ignored when <see cref="Snapshot"/> is set: the snapshot's position is used instead.
    /// </summary>
    public EventPosition? ResumeAfter { get; init; }

    /// <summary>
    /// Gets a value indicating whether to start with the current state from the registered snapshot providers, then every event
    /// after the snapshot's position (the oldest, when several topics have snapshots). Topics no provider serves get no
    /// snapshot; when none is served the subscription is rejected with <see cref="SubscriptionErrorCodes.SnapshotUnavailable"/>.
    /// The default value is <see langword="false"/>.
    /// </summary>
    public bool Snapshot { get; init; }

    /// <summary>Builds the filter this request describes.</summary>
    /// <returns>The filter.</returns>
    /// <exception cref="ArgumentException">A topic, type pattern, priority or meta entry is malformed.</exception>
    public EventFilter ToFilter() =>
        TryToFilter(out var filter, out var error) ? filter : throw new ArgumentException(error);

    /// <summary>Builds the filter this request describes, reporting the first problem instead of throwing.</summary>
    /// <param name="filter">The filter when the request is valid.</param>
    /// <param name="error">What is wrong otherwise.</param>
    /// <returns><see langword="true"/> when the request is valid.</returns>
    public bool TryToFilter([NotNullWhen(true)] out EventFilter? filter, [NotNullWhen(false)] out string? error)
    {
        if (Id is { Length: 0 or > 128 })
        {
            filter = null;
            error = "Subscription id must be 1 to 128 characters.";
            return false;
        }

        return EventFilter.TryCreate(Topics, Types, MinimumPriority, Meta, out filter, out error);
    }
}
