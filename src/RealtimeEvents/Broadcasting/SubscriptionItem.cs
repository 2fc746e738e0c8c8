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

    internal static SubscriptionItem ForEvent(RealtimeEvent evt) => new(SubscriptionItemKind.Event, evt);

    internal static SubscriptionItem ForGap(GapNotice gap) => new(SubscriptionItemKind.Gap, gap);

    internal static SubscriptionItem ForSnapshot(EventSnapshot snapshot) => new(SubscriptionItemKind.Snapshot, snapshot);

    internal static SubscriptionItem ForEnd(SubscriptionEndReason reason) => new(SubscriptionItemKind.Ended, null, reason);
}
