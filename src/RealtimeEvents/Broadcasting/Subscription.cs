using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using RealtimeEvents.Internal;

namespace RealtimeEvents.Broadcasting;

/// <summary>
/// A subscription: its bounded queue, and the resume that replays history before going live.
/// </summary>
/// <remarks>
/// Resume handoff: the subscription is added to the router <em>before</em> history is read, so every event dispatched
/// from then on lands in its queue. The reader then pages through history (at its own pace, so a long resume never
/// overflows the queue) and goes live once history has been read up to the event just before the oldest one queued;
/// queued events that history already delivered are removed by sequence inside the queue, so they are neither
/// delivered twice nor reported as lost when pushed out. Drops from the queue during the replay are of events history
/// covers, so they are not reported.
/// </remarks>
internal sealed class Subscription : ISubscription
{
    private readonly EventBroadcaster _owner;
    private readonly IEventLog _log;
    private readonly SubscriptionQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _pageSize;
    private readonly Queue<SubscriptionItem> _preface = new();
    private IReadOnlyList<RealtimeEvent> _page = [];
    private int _pageIndex;
    private bool _replaying; // written by the reader; read by others through IsReplaying
    private EventPosition _cursor;
    private bool _logDrained;
    private long _delivered;
    private int _disposed;

    public Subscription(EventBroadcaster owner, string id, EventFilter filter, SubscriptionQueue queue, IEventLog log,
        TimeProvider time, ILogger logger, int pageSize, IReadOnlyList<EventSnapshot> snapshots, EventPosition startPosition)
    {
        StartPosition = startPosition;
        _owner = owner;
        Id = id;
        Filter = filter;
        _queue = queue;
        _log = log;
        _time = time;
        _logger = logger;
        _pageSize = pageSize;
        Snapshots = snapshots;
        CreatedAt = time.GetUtcNow();
        foreach (var snapshot in snapshots)
        {
            _preface.Enqueue(SubscriptionItem.ForSnapshot(snapshot));
        }
    }

    public string Id { get; }

    public EventFilter Filter { get; }

    public ResumeStatus? Resume { get; private set; }

    public EventPosition StartPosition { get; }

    public bool IsReplaying => Volatile.Read(ref _replaying);

    public bool HasPending => Volatile.Read(ref _replaying) || _preface.Count > 0 || _queue.HasReadable;

    public IReadOnlyList<EventSnapshot> Snapshots { get; }

    public DateTimeOffset CreatedAt { get; }

    public int QueueDepth => _queue.Count;

    public long DroppedCount => _queue.Dropped;

    public long ConflatedCount => _queue.Conflated;

    public long DeliveredCount => Volatile.Read(ref _delivered);

    public TimeSpan OldestPendingAge =>
        _queue.PeekOldest() is { } oldest ? TimeSpan.FromTicks(Math.Max(0, (_time.GetUtcNow() - oldest.Time).Ticks)) : TimeSpan.Zero;

    public SubscriptionEndReason? EndReason => _queue.EndReason;

    /// <summary>Gets or sets the last event the dispatcher routed here; lets the router skip an event indexed twice.</summary>
    internal RealtimeEvent? LastRouted { get; set; }

    /// <summary>Starts replaying history after <paramref name="after"/>; reads the first page to learn whether the resume is complete.</summary>
    /// <remarks>The queue must already be in replay mode (<see cref="SubscriptionQueue.BeginReplay"/>) before the subscription is routed to.</remarks>
    internal async ValueTask StartReplayAsync(EventPosition after, CancellationToken cancellationToken)
    {
        _replaying = true;
        _cursor = after;
        await LoadPageAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Called by the dispatcher (one thread) for every matching event.</summary>
    internal void Enqueue(RealtimeEvent evt)
    {
        var outcome = _queue.Enqueue(evt);
        if (outcome.Dropped is { } dropped)
        {
            _owner.Metrics.Dropped.Add(1);
            Log.EventDropped(_logger, Id, dropped.Position);
        }

        if (outcome.Conflated)
        {
            _owner.Metrics.Conflated.Add(1);
        }

        if (outcome.EndedForLag)
        {
            Log.SubscriptionLagging(_logger, Id);
            _owner.Remove(this);
        }
    }

    /// <summary>Tells the subscriber that the dispatcher itself lost events (it fell behind the log's retention).</summary>
    internal void RecordLoss(EventPosition first, EventPosition last, GapReason reason) => _queue.RecordLoss(first, last, reason);

    /// <summary>Ends the subscription with <paramref name="reason"/>; returns false when it had already ended.</summary>
    internal bool End(SubscriptionEndReason reason, bool keepQueued) => _queue.End(reason, keepQueued);

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (_preface.Count > 0)
        {
            return new ValueTask<bool>(true);
        }

        return _replaying ? WaitWhileReplayingAsync(cancellationToken) : _queue.WaitToReadAsync(cancellationToken);
    }

    public bool TryRead(out SubscriptionItem item)
    {
        if (_preface.Count > 0)
        {
            item = _preface.Dequeue();
            return true;
        }

        item = default;

        if (_replaying)
        {
            if (_pageIndex < _page.Count)
            {
                item = Deliver(_page[_pageIndex++], live: false);
                return true;
            }

            return false;
        }

        if (_queue.TryDequeue(out var queued))
        {
            if (queued.Event is { } evt)
            {
                item = Deliver(evt, live: true);
                return true;
            }

            if (queued.Drop is { } drop)
            {
                var before = new EventPosition(drop.First.Epoch, drop.First.Sequence - 1);
                var recoverable = drop.Reason != GapReason.EpochChanged && _log.CanResumeFrom(before);
                item = SubscriptionItem.ForGap(new GapNotice(drop.Reason, drop.Count, drop.First, drop.Last, recoverable));
                return true;
            }

            Log.SubscriptionEnded(_logger, Id, queued.End!.Value);
            item = SubscriptionItem.ForEnd(queued.End.Value);
            return true;
        }

        return false;
    }

    public async IAsyncEnumerable<SubscriptionItem> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryRead(out var item))
            {
                yield return item;
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _queue.End(SubscriptionEndReason.Unsubscribed, keepQueued: false);
            _owner.Remove(this);
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private SubscriptionItem Deliver(RealtimeEvent evt, bool live)
    {
        Volatile.Write(ref _delivered, _delivered + 1);
        var metrics = _owner.Metrics;
        metrics.Delivered.Add(1);
        if (live && metrics.DeliveryLatency.Enabled && evt.Timestamp != 0) // replayed history would skew publish-to-read latency
        {
            metrics.DeliveryLatency.Record(_time.GetElapsedTime(evt.Timestamp).TotalMilliseconds);
        }

        return SubscriptionItem.ForEvent(evt);
    }

    private async ValueTask<bool> WaitWhileReplayingAsync(CancellationToken cancellationToken)
    {
        while (_replaying)
        {
            if (_preface.Count > 0 || _pageIndex < _page.Count)
            {
                return true;
            }

            if (_queue.EndReason is not null)
            {
                _replaying = false; // ended mid-resume: the queue now holds only the end notice
                break;
            }

            if (_queue.TryGoLive(_cursor, _logDrained))
            {
                _replaying = false;
                break;
            }

            await LoadPageAsync(cancellationToken).ConfigureAwait(false);
        }

        return _preface.Count > 0 || await _queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask LoadPageAsync(CancellationToken cancellationToken)
    {
        var result = await _log.ReadAsync(_cursor, _pageSize, cancellationToken).ConfigureAwait(false);
        var events = result.Events;
        Resume ??= result.Status;
        if (result.Status != ResumeStatus.Complete)
        {
            _preface.Enqueue(SubscriptionItem.ForGap(HistoryGap(result)));
        }

        var matching = new List<RealtimeEvent>(events.Count);
        foreach (var evt in events)
        {
            if (Filter.Matches(evt))
            {
                matching.Add(evt);
            }
        }

        _page = matching;
        _pageIndex = 0;
        if (events.Count > 0)
        {
            _cursor = events[^1].Position;
            _logDrained = _cursor.Sequence >= result.CurrentPosition.Sequence;
        }
        else
        {
            _cursor = result.Status == ResumeStatus.Complete ? _cursor : result.CurrentPosition;
            _logDrained = true;
        }
    }

    private GapNotice HistoryGap(EventLogReadResult result)
    {
        if (result.Status == ResumeStatus.EpochChanged)
        {
            return new GapNotice(GapReason.EpochChanged, null, null, null, recoverable: false);
        }

        var firstAvailable = result.Events.Count > 0 ? result.Events[0].Sequence : result.CurrentPosition.Sequence + 1;
        return new GapNotice(GapReason.HistoryTruncated, null,
            new EventPosition(_cursor.Epoch, _cursor.Sequence + 1),
            new EventPosition(_cursor.Epoch, firstAvailable - 1),
            recoverable: false);
    }
}
