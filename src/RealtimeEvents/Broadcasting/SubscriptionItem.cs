namespace RealtimeEvents;

/// <summary>One item read from a subscription: an event, a gap notice, a snapshot, or the end.</summary>
public readonly struct SubscriptionItem
{
    private readonly object? _value;

    private SubscriptionItem(SubscriptionItemKind kind, object? value, SubscriptionEndReason endReason = default)
    {
        Kind = kind;
        _value = value;
        EndReason = endReason;
    }

    /// <summary>Gets what this item carries.</summary>
    public SubscriptionItemKind Kind { get; }

    /// <summary>Gets the event when <see cref="Kind"/> is <see cref="SubscriptionItemKind.Event"/>; otherwise <see langword="null"/>.</summary>
    public RealtimeEvent? Event => _value as RealtimeEvent;

    /// <summary>Gets the notice when <see cref="Kind"/> is <see cref="SubscriptionItemKind.Gap"/>; otherwise <see langword="null"/>.</summary>
    public GapNotice? Gap => _value as GapNotice;

    /// <summary>Gets the snapshot when <see cref="Kind"/> is <see cref="SubscriptionItemKind.Snapshot"/>; otherwise <see langword="null"/>.</summary>
    public EventSnapshot? Snapshot => _value as EventSnapshot;

    /// <summary>Gets why the subscription ended when <see cref="Kind"/> is <see cref="SubscriptionItemKind.Ended"/>.</summary>
    public SubscriptionEndReason EndReason { get; }

    /// <summary>Returns a short description of the item, for logs and test output.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => Kind switch
    {
        SubscriptionItemKind.Event when Event is { } evt => $"event {evt.Position} {evt.Type} {evt.Topic}",
        SubscriptionItemKind.Event => "(empty item)",
        SubscriptionItemKind.Gap => $"gap {Gap}",
        SubscriptionItemKind.Snapshot => $"snapshot {Snapshot!.Topic} at {Snapshot.Position}",
        _ => $"ended ({EndReason})",
    };

    /// <summary>Creates an item that carries an event.</summary>
    /// <param name="evt">The event.</param>
    /// <returns>The item.</returns>
    public static SubscriptionItem ForEvent(RealtimeEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return new(SubscriptionItemKind.Event, evt);
    }

    /// <summary>Creates an item that tells the subscriber which events it missed.</summary>
    /// <param name="gap">The notice.</param>
    /// <returns>The item.</returns>
    public static SubscriptionItem ForGap(GapNotice gap)
    {
        ArgumentNullException.ThrowIfNull(gap);
        return new(SubscriptionItemKind.Gap, gap);
    }

    /// <summary>Creates an item that carries the current state of a topic.</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <returns>The item.</returns>
    public static SubscriptionItem ForSnapshot(EventSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new(SubscriptionItemKind.Snapshot, snapshot);
    }

    /// <summary>Creates the item that ends a subscription.</summary>
    /// <param name="reason">Why the subscription ended.</param>
    /// <returns>The item.</returns>
    public static SubscriptionItem ForEnd(SubscriptionEndReason reason) => new(SubscriptionItemKind.Ended, null, reason);
}
