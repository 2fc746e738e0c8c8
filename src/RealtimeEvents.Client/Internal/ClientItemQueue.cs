using System.Threading.Channels;

namespace RealtimeEvents.Client.Internal;

/// <summary>
/// A subscription's bounded queue. The receive loop is the only writer. In <see cref="ClientQueueFullMode.DropOldest"/> mode a full
/// queue drops its oldest item and remembers what was dropped; the reader gets one <see cref="GapNotice"/> for a run of drops
/// before the items that follow them. The notice is not counted against the capacity, so the queue never holds more than
/// <c>capacity</c> events, snapshots and server notices.
/// </summary>
internal sealed class ClientItemQueue : ChannelReader<SubscriptionItem>
{
    private readonly Lock _gate = new();
    private readonly Queue<SubscriptionItem> _items = new();
    private readonly int _capacity;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool>? _readWaiter;
    private TaskCompletionSource? _spaceWaiter;
    private bool _completed;

    // The drops not yet reported, merged into one notice.
    private bool _hasGap;
    private GapReason _gapReason;
    private long? _gapCount;
    private EventPosition? _gapFirst;
    private EventPosition? _gapLast;
    private bool _gapRecoverable;

    public ClientItemQueue(int capacity) => _capacity = capacity;

    public override Task Completion => _completion.Task;

    public override bool CanCount => true;

    public override int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count + (_hasGap ? 1 : 0);
            }
        }
    }

    /// <summary>Gets how many items wait in the queue, without the pending drop notice; never more than the capacity.</summary>
    public int Buffered
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Gets how many items the queue dropped because it was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Adds an item; when the queue is full, drops the oldest first. Returns whether an item was dropped.</summary>
    public bool Write(SubscriptionItem item)
    {
        TaskCompletionSource<bool>? reader;
        var dropped = false;
        lock (_gate)
        {
            if (_completed)
            {
                return false;
            }

            if (_items.Count >= _capacity)
            {
                DropOldest(_items.Dequeue());
                dropped = true;
            }

            _items.Enqueue(item);
            reader = _readWaiter;
            _readWaiter = null;
        }

        reader?.TrySetResult(true);
        return dropped;
    }

    /// <summary>Completes when the queue has room for one more item (for <see cref="ClientQueueFullMode.Wait"/>).</summary>
    public Task WaitForSpaceAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_items.Count < _capacity || _completed)
            {
                return Task.CompletedTask;
            }

            _spaceWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _spaceWaiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Adds the end item (always, even when full) and completes the queue: nothing is written after it.</summary>
    public void Complete(SubscriptionEndReason reason)
    {
        TaskCompletionSource<bool>? reader;
        TaskCompletionSource? space;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _items.Enqueue(SubscriptionItem.ForEnd(reason));
            reader = _readWaiter;
            _readWaiter = null;
            space = _spaceWaiter;
            _spaceWaiter = null;
        }

        reader?.TrySetResult(true);
        space?.TrySetResult();
    }

    public override bool TryRead(out SubscriptionItem item)
    {
        TaskCompletionSource? space = null;
        var drained = false;
        lock (_gate)
        {
            if (_hasGap)
            {
                _hasGap = false;
                item = SubscriptionItem.ForGap(new GapNotice(_gapReason, _gapCount, _gapFirst, _gapLast, _gapRecoverable));
                return true;
            }

            if (!_items.TryDequeue(out item))
            {
                return false;
            }

            if (_items.Count < _capacity)
            {
                space = _spaceWaiter;
                _spaceWaiter = null;
            }

            drained = _completed && _items.Count == 0;
        }

        space?.TrySetResult();
        if (drained)
        {
            _completion.TrySetResult();
        }

        return true;
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_hasGap || _items.Count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _readWaiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask<bool>(_readWaiter.Task.WaitAsync(cancellationToken));
        }
    }

    private void DropOldest(SubscriptionItem item)
    {
        Dropped++;
        switch (item.Kind)
        {
            case SubscriptionItemKind.Event:
                var position = item.Event!.Position;
                Merge(GapReason.Overflow, 1, position, position, recoverable: true);
                break;
            case SubscriptionItemKind.Gap:
                var gap = item.Gap!;
                Merge(gap.Reason, gap.MissedCount, gap.FirstMissed, gap.LastMissed, gap.Recoverable);
                break;
            default:
                // A dropped snapshot cannot be fetched again by a resume: say so.
                Merge(GapReason.Overflow, null, null, null, recoverable: false);
                break;
        }
    }

    private void Merge(GapReason reason, long? count, EventPosition? first, EventPosition? last, bool recoverable)
    {
        if (!_hasGap)
        {
            _hasGap = true;
            (_gapReason, _gapCount, _gapFirst, _gapLast, _gapRecoverable) = (reason, count, first, last, recoverable);
            return;
        }

        // Dropped items are older than everything still queued and newer than the pending notice: first stays, last moves on.
        _gapReason = (GapReason)Math.Max((int)_gapReason, (int)reason);
        _gapCount = _gapCount is { } a && count is { } b ? a + b : null;
        _gapFirst ??= first;
        _gapLast = last ?? _gapLast;
        _gapRecoverable &= recoverable;
    }
}
