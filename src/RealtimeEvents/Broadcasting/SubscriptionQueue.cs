using System.Runtime.CompilerServices;
using System.Threading.Channels;
using RealtimeEvents.Internal;

namespace RealtimeEvents.Broadcasting;

/// <summary>
/// One subscription's bounded queue: drop-oldest when full, conflation by key, and an exact record of what was
/// dropped, all under one lock so the drop notice always reaches the reader before the event after the gap.
/// </summary>
/// <remarks>
/// Not a <see cref="Channel{T}"/>: a channel cannot remove a superseded item from the middle of its queue (conflation
/// must free the slot, not merely skip it on read), and its <c>itemDropped</c> callback runs after the channel's lock is
/// released, so a reader could take the event after a gap before the drop was recorded. An <see cref="AsyncSignal"/> is
/// the doorbell that wakes a waiting reader without allocating (a capacity-1 channel did that at about ten times the memory).
/// Slots are a ring of references; a conflated entry becomes a null tombstone that reads skip and that compaction
/// removes, so the ring stays within a small multiple of the capacity.
/// </remarks>
internal sealed class SubscriptionQueue
{
    private const int InitialSlots = 8;

    private readonly Lock _gate = new();
    private readonly int _capacity;
    private readonly int _maxConsecutiveOverflows;
    private readonly bool _endWhenLagging;
    private readonly AsyncSignal _doorbell = new();

    private RealtimeEvent?[] _ring = new RealtimeEvent?[InitialSlots]; // length always a power of two: indexes are masked
    private int _head;
    private int _slots;
    private int _live;
    private long _headOrdinal;
    private Dictionary<string, long>? _pendingByKey;

    private long _gapCount;
    private GapReason _gapReason; // Overflow: every drop was counted; otherwise the record includes losses of unknown count
    private EventPosition _gapFirst;
    private EventPosition _gapLast;
    private long _dropsInEpisode;
    private int _overflowStreak;
    private bool _replaying;
    private EventPosition? _skipThrough;

    private bool _readerWaiting;
    private SubscriptionEndReason? _endReason;
    private bool _endDelivered;

    private long _dropped;
    private long _conflated;

    public SubscriptionQueue(int capacity, LagPolicy lagPolicy, int maxConsecutiveOverflows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _endWhenLagging = lagPolicy == LagPolicy.EndSubscription;
        _maxConsecutiveOverflows = maxConsecutiveOverflows;
    }

    public int Count => Volatile.Read(ref _live);

    /// <summary>Gets whether the reader would read something now: an event, a drop record, or the end.</summary>
    public bool HasReadable
    {
        get
        {
            lock (_gate)
            {
                return HasItemLocked();
            }
        }
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Conflated => Interlocked.Read(ref _conflated);

    public SubscriptionEndReason? EndReason
    {
        get
        {
            lock (_gate)
            {
                return _endReason;
            }
        }
    }

    /// <summary>Gets the oldest waiting event, for the oldest-pending-age statistic.</summary>
    public RealtimeEvent? PeekOldest()
    {
        lock (_gate)
        {
            return _live == 0 ? null : FirstLiveLocked();
        }
    }

    /// <summary>Adds an event; reports what was dropped or conflated so the caller can count and log it outside the lock.</summary>
    public EnqueueOutcome Enqueue(RealtimeEvent evt)
    {
        var outcome = default(EnqueueOutcome);
        bool wake;
        lock (_gate)
        {
            if (_endReason is not null)
            {
                return outcome;
            }

            if (_skipThrough is { } skip)
            {
                if (evt.Sequence <= skip.Sequence && string.Equals(evt.Epoch, skip.Epoch, StringComparison.Ordinal))
                {
                    return outcome; // history already delivered it (the dispatcher trails the resume)
                }

                _skipThrough = null; // the dispatcher routes in order: nothing older comes after this
            }

            var key = evt.ConflationKey;
            if (key is not null && _pendingByKey is not null && _pendingByKey.Remove(key, out var ordinal) && ordinal >= _headOrdinal)
            {
                var index = Physical(ordinal);
                if (_ring[index] is not null)
                {
                    _ring[index] = null;
                    _live--;
                    _conflated++;
                    outcome.Conflated = true;
                }
            }

            if (_live == _capacity)
            {
                outcome.Dropped = DropOldestLocked();
                if (_endWhenLagging && !_replaying && _overflowStreak >= _maxConsecutiveOverflows)
                {
                    EndLocked(SubscriptionEndReason.Lagging, keepQueued: false);
                    outcome.EndedForLag = true;
                    wake = TakeWakeLocked();
                    goto Signal;
                }
            }

            if (_slots == _ring.Length)
            {
                MakeRoomLocked();
            }

            var tailOrdinal = _headOrdinal + _slots;
            _ring[Physical(tailOrdinal)] = evt;
            _slots++;
            _live++;
            if (key is not null)
            {
                (_pendingByKey ??= new Dictionary<string, long>(StringComparer.Ordinal))[key] = tailOrdinal;
            }

            wake = TakeWakeLocked();
        }

    Signal:
        if (wake)
        {
            _doorbell.Set();
        }

        return outcome;
    }

    /// <summary>Reads the next item: a pending drop record first, then the oldest event, then the end.</summary>
    public bool TryDequeue(out QueueItem item)
    {
        lock (_gate)
        {
            if (_gapCount > 0 && !_replaying)
            {
                item = new QueueItem(null, new DropRecord(_gapReason == GapReason.Overflow ? _gapCount : null, _gapFirst, _gapLast, _gapReason), null);
                _gapCount = 0;
                _gapReason = GapReason.Overflow;
                _dropsInEpisode = 0;
                return true;
            }

            if (_live > 0 && !_replaying)
            {
                var evt = PopLiveLocked();
                if (_live == 0)
                {
                    _overflowStreak = 0; // the subscriber caught up
                }

                item = new QueueItem(evt, null, null);
                return true;
            }

            if (_endReason is { } reason && !_endDelivered && _live == 0 && _gapCount == 0)
            {
                _endDelivered = true;
                item = new QueueItem(null, null, reason);
                return true;
            }
        }

        item = default;
        return false;
    }

    /// <summary>
    /// Records events this subscription never received because the dispatcher fell behind the log's retention; the
    /// reader is told with the next drop record (count unknown, as the lost events were never matched).
    /// </summary>
    public void RecordLoss(EventPosition first, EventPosition last, GapReason reason)
    {
        bool wake;
        lock (_gate)
        {
            if (_endReason is not null)
            {
                return;
            }

            if (_gapCount == 0)
            {
                _gapFirst = first;
            }

            _gapLast = last;
            _gapCount++;
            _gapReason = reason;
            wake = TakeWakeLocked();
        }

        if (wake)
        {
            _doorbell.Set();
        }
    }

    /// <summary>Ignores events at or before <paramref name="position"/>: a new subscription starts with the next event published.</summary>
    public void StartAfter(EventPosition position)
    {
        lock (_gate)
        {
            _skipThrough = position;
        }
    }

    /// <summary>Marks the start of a resume: drops while replaying are covered by history and don't count as lag.</summary>
    public void BeginReplay()
    {
        lock (_gate)
        {
            _replaying = true;
        }
    }

    /// <summary>
    /// Ends a resume when history has been read through <paramref name="replayedThrough"/> and nothing after it can have
    /// been lost: the oldest queued event follows it directly, or the queue is empty and the log had nothing newer.
    /// Queued events that history already delivered are removed, and ones the dispatcher routes later are ignored, so they
    /// are neither delivered twice nor, when pushed out, reported as lost. Drops so far were all of events history covered.
    /// </summary>
    public bool TryGoLive(EventPosition replayedThrough, bool logDrained)
    {
        lock (_gate)
        {
            if (_gapCount > 0 && _gapLast.Sequence > replayedThrough.Sequence)
            {
                return false;
            }

            while (_live > 0 && FirstLiveLocked().Sequence <= replayedThrough.Sequence)
            {
                PopLiveLocked();
            }

            if (_live > 0 ? FirstLiveLocked().Sequence > replayedThrough.Sequence + 1 : !logDrained)
            {
                return false;
            }

            _replaying = false;
            _skipThrough = replayedThrough;
            _gapCount = 0;
            _gapReason = GapReason.Overflow;
            _dropsInEpisode = 0;
            _overflowStreak = 0;
            return true;
        }
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (HasItemLocked())
            {
                return new ValueTask<bool>(true);
            }

            if (_endDelivered)
            {
                return new ValueTask<bool>(false);
            }

            _readerWaiting = true;
        }

        return WaitForDoorbellAsync(cancellationToken);
    }

    /// <summary>Ends the queue. With <paramref name="keepQueued"/>, the reader still gets what is queued before the end.</summary>
    public bool End(SubscriptionEndReason reason, bool keepQueued)
    {
        bool wake;
        lock (_gate)
        {
            if (_endReason is not null)
            {
                return false;
            }

            EndLocked(reason, keepQueued);
            wake = TakeWakeLocked();
        }

        if (wake)
        {
            _doorbell.Set();
        }

        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitForDoorbellAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _doorbell.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (HasItemLocked())
                {
                    _readerWaiting = false;
                    return true;
                }

                if (_endDelivered)
                {
                    _readerWaiting = false;
                    return false;
                }

                _readerWaiting = true; // a stale ring from an earlier wake: wait again
            }
        }
    }

    private bool HasItemLocked() =>
        (!_replaying && (_gapCount > 0 || _live > 0)) || (_endReason is not null && !_endDelivered);

    private bool TakeWakeLocked()
    {
        var wake = _readerWaiting;
        _readerWaiting = false;
        return wake;
    }

    private void EndLocked(SubscriptionEndReason reason, bool keepQueued)
    {
        _endReason = reason;
        if (!keepQueued || _replaying)
        {
            // A subscription ended mid-resume gets the end right away: queued live events would follow a gap in the
            // replay, and the end notice already tells the subscriber to resume from its last position.
            _replaying = false;
            Array.Clear(_ring);
            _head = 0;
            _slots = 0;
            _live = 0;
            _gapCount = 0;
            _pendingByKey = null;
        }
    }

    private RealtimeEvent DropOldestLocked()
    {
        var evt = PopLiveLocked();
        if (_gapCount == 0)
        {
            _gapFirst = evt.Position;
        }

        _gapLast = evt.Position;
        _gapCount++;
        _dropped++;
        if (!_replaying && _dropsInEpisode++ % _capacity == 0)
        {
            _overflowStreak++; // a new overflow, or another full queue lost without the subscriber reading
        }

        return evt;
    }

    private RealtimeEvent PopLiveLocked()
    {
        while (true)
        {
            var evt = _ring[_head];
            _ring[_head] = null;
            _head = (_head + 1) & (_ring.Length - 1);
            _headOrdinal++;
            _slots--;
            if (evt is null)
            {
                continue; // tombstone left by conflation
            }

            _live--;
            if (evt.ConflationKey is { } key && _pendingByKey is not null
                && _pendingByKey.TryGetValue(key, out var ordinal) && ordinal == _headOrdinal - 1)
            {
                _pendingByKey.Remove(key);
            }

            return evt;
        }
    }

    private RealtimeEvent FirstLiveLocked()
    {
        for (var i = 0; i < _slots; i++)
        {
            if (_ring[(_head + i) & (_ring.Length - 1)] is { } evt)
            {
                return evt;
            }
        }

        throw new InvalidOperationException("Queue bookkeeping is inconsistent: no live event although the count is positive.");
    }

    private void MakeRoomLocked()
    {
        // Compact when at least half the slots are tombstones; otherwise grow. Live entries never exceed the capacity,
        // so the ring stays within four times the capacity.
        var compact = _slots - _live >= _slots / 2;
        var next = new RealtimeEvent?[compact ? _ring.Length : _ring.Length * 2];
        var count = 0;
        for (var i = 0; i < _slots; i++)
        {
            var evt = _ring[(_head + i) & (_ring.Length - 1)];
            if (evt is not null || !compact)
            {
                next[count++] = evt;
            }
        }

        _ring = next;
        _head = 0;
        _slots = count;
        if (compact && _pendingByKey is { Count: > 0 })
        {
            // Ordinals shift when tombstones go; renumber from the new head.
            _pendingByKey.Clear();
            for (var i = 0; i < count; i++)
            {
                if (next[i]!.ConflationKey is { } key)
                {
                    _pendingByKey[key] = _headOrdinal + i;
                }
            }
        }
    }

    private int Physical(long ordinal) => (int)((_head + (ordinal - _headOrdinal)) & (_ring.Length - 1));

    internal struct EnqueueOutcome
    {
        public RealtimeEvent? Dropped;
        public bool Conflated;
        public bool EndedForLag;
    }

    /// <summary>A class, not a struct: it exists only when events were lost, and keeps <see cref="QueueItem"/> small on the hot path.</summary>
    internal sealed record DropRecord(long? Count, EventPosition First, EventPosition Last, GapReason Reason = GapReason.Overflow);

    internal readonly record struct QueueItem(RealtimeEvent? Event, DropRecord? Drop, SubscriptionEndReason? End);
}
