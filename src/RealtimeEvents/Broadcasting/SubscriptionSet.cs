using System.Diagnostics.CodeAnalysis;
using RealtimeEvents.Internal;

namespace RealtimeEvents;

/// <summary>
/// The subscriptions of one connection, read by one loop: <see cref="WaitToReadAsync"/> waits once for any of them, and
/// <see cref="TryRead"/> takes the next item from whichever is ready. Transports use it so a connection with several
/// subscriptions still has a single send loop.
/// </summary>
/// <remarks>
/// Items of one subscription keep their order; subscriptions are served in turns, up to <see cref="TurnSize"/> items each,
/// so a busy subscription cannot starve a quiet one. Adding, removing and <see cref="Wake"/> are thread-safe; waiting and
/// reading belong to one reader at a time. A subscription whose end was read leaves the set by itself.
/// </remarks>
public sealed class SubscriptionSet : IAsyncDisposable, IDisposable
{
    /// <summary>The most items taken from one subscription before the next ready one gets its turn. The value is 64.</summary>
    public const int TurnSize = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly Queue<Member> _ready = new();
    private readonly AsyncSignal _doorbell = new();

    private readonly Action<ISubscription, Exception>? _onFault;
    private Member? _current;
    private int _takenThisTurn;
    private bool _woken;
    private bool _disposed;

    /// <summary>Creates an empty set.</summary>
    public SubscriptionSet()
    {
    }

    /// <summary>Creates an empty set that reports subscriptions whose reading failed.</summary>
    /// <param name="onFault">Called (on the reader's thread) with a subscription that failed and why, for example to log it.</param>
    public SubscriptionSet(Action<ISubscription, Exception> onFault)
    {
        ArgumentNullException.ThrowIfNull(onFault);
        _onFault = onFault;
    }

    /// <summary>Gets how many subscriptions the set holds.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>Gets the subscriptions in the set now.</summary>
    public IReadOnlyCollection<ISubscription> Subscriptions
    {
        get
        {
            lock (_gate)
            {
                return [.. _members.Values.Select(m => m.Subscription)];
            }
        }
    }

    /// <summary>Finds a subscription by its id.</summary>
    /// <param name="id">The subscription id.</param>
    /// <param name="subscription">The subscription when found.</param>
    /// <returns><see langword="true"/> when the set holds a subscription with that id.</returns>
    public bool TryGet(string id, [NotNullWhen(true)] out ISubscription? subscription)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            subscription = _members.TryGetValue(id, out var member) ? member.Subscription : null;
            return subscription is not null;
        }
    }

    /// <summary>Adds a subscription; from now on only this set reads it.</summary>
    /// <param name="subscription">The subscription, which nothing else may read.</param>
    /// <returns><see langword="false"/> when the set already holds a subscription with the same id, or was disposed.</returns>
    public bool TryAdd(ISubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var member = new Member(this, subscription);
        lock (_gate)
        {
            if (_disposed || !_members.TryAdd(subscription.Id, member))
            {
                return false;
            }

            _ready.Enqueue(member); // the reader arms it; only the reader ever waits on a subscription
        }

        _doorbell.Set();
        return true;
    }

    /// <summary>Removes a subscription and disposes it (unsubscribes); items it still held are discarded.</summary>
    /// <param name="id">The subscription id.</param>
    /// <returns><see langword="true"/> when the set held a subscription with that id.</returns>
    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        Member? member;
        lock (_gate)
        {
            if (!_members.Remove(id, out member))
            {
                return false;
            }

            member.Removed = true;
        }

        member.Subscription.Dispose();
        return true;
    }

    /// <summary>Makes the pending (or next) <see cref="WaitToReadAsync"/> return, so the reader can do other work, such as sending its own messages.</summary>
    public void Wake()
    {
        lock (_gate)
        {
            _woken = true;
        }

        _doorbell.Set();
    }

    /// <summary>
    /// Waits until <see cref="TryRead"/> may return an item or <see cref="Wake"/> was called. Items may arrive from any
    /// subscription, so call <see cref="TryRead"/> until it returns <see langword="false"/> before waiting again.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when there is something to do.</returns>
    /// <exception cref="InvalidOperationException">Another wait of this set is still waiting: the set has one reader.</exception>
    public async ValueTask WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_woken || _ready.Count > 0 || _current is not null)
                {
                    _woken = false;
                    return;
                }
            }

            await _doorbell.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the next item from a ready subscription without waiting.</summary>
    /// <param name="subscription">The subscription the item belongs to.</param>
    /// <param name="item">The item.</param>
    /// <returns><see langword="true"/> when an item was read.</returns>
    /// <remarks>
    /// When reading a subscription fails (for example its history cannot be read from the event log), the subscription is
    /// removed and disposed, the failure goes to the callback given to the constructor, and the item is its end with
    /// <see cref="SubscriptionEndReason.Failed"/>.
    /// </remarks>
    public bool TryRead([NotNullWhen(true)] out ISubscription? subscription, out SubscriptionItem item)
    {
        // A subscription that says "ready" yet yields nothing is re-armed; the bound keeps that from spinning here.
        for (var attempts = 0; attempts < 1024; attempts++)
        {
            var member = _current ?? NextReady();
            if (member is null)
            {
                subscription = null;
                item = default;
                return false;
            }

            if (member.Removed)
            {
                _current = null;
                continue;
            }

            if (member.Fault is { } fault)
            {
                item = EndFaulted(member, fault);
                subscription = member.Subscription;
                return true;
            }

            bool read;
            item = default;
            try
            {
                read = _takenThisTurn < TurnSize && member.Subscription.TryRead(out item);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                item = EndFaulted(member, ex);
                subscription = member.Subscription;
                return true;
            }

            if (read)
            {
                _takenThisTurn++;
                subscription = member.Subscription;
                if (item.Kind == SubscriptionItemKind.Ended)
                {
                    _current = null;
                    Forget(member);
                }
                else
                {
                    _current = member;
                }

                return true;
            }

            _current = null;
            if (_takenThisTurn >= TurnSize)
            {
                Requeue(member); // still has items: back of the line
            }
            else
            {
                Arm(member);
            }
        }

        subscription = null;
        item = default;
        return false;
    }

    /// <summary>Disposes every subscription in the set; the set takes no more.</summary>
    public void Dispose()
    {
        Member[] members;
        lock (_gate)
        {
            _disposed = true;
            members = [.. _members.Values];
            _members.Clear();
            foreach (var member in members)
            {
                member.Removed = true;
            }
        }

        foreach (var member in members)
        {
            member.Subscription.Dispose();
        }

        Wake();
    }

    /// <summary>Disposes every subscription in the set; the set takes no more.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private SubscriptionItem EndFaulted(Member member, Exception fault)
    {
        _current = null;
        Forget(member);
        member.Subscription.Dispose();
        _onFault?.Invoke(member.Subscription, fault);
        return SubscriptionItem.ForEnd(SubscriptionEndReason.Failed);
    }

    private Member? NextReady()
    {
        _takenThisTurn = 0;
        lock (_gate)
        {
            return _ready.TryDequeue(out var member) ? member : null;
        }
    }

    private void Requeue(Member member)
    {
        lock (_gate)
        {
            if (!member.Removed)
            {
                _ready.Enqueue(member);
            }
        }
    }

    private void Forget(Member member)
    {
        lock (_gate)
        {
            if (_members.TryGetValue(member.Subscription.Id, out var existing) && ReferenceEquals(existing, member))
            {
                _members.Remove(member.Subscription.Id);
            }

            member.Removed = true;
        }
    }

    /// <summary>Waits on the subscription in the background; when it has items, it goes back on the ready queue.</summary>
    private void Arm(Member member)
    {
        ValueTask<bool> wait;
        try
        {
            wait = member.Subscription.WaitToReadAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            member.Fault = ex;
            Requeue(member);
            return;
        }

        if (wait.IsCompleted)
        {
            member.Complete(wait);
            return;
        }

        member.Pending = wait;
        wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(member.OnWaitCompleted);
    }

    private void OnMemberReady(Member member, bool hasItems)
    {
        if (!hasItems)
        {
            Forget(member); // ended and everything read
            return;
        }

        lock (_gate)
        {
            if (member.Removed)
            {
                return;
            }

            _ready.Enqueue(member);
        }

        _doorbell.Set();
    }

    private sealed class Member
    {
        private readonly SubscriptionSet _owner;
        private bool _removed;

        public Member(SubscriptionSet owner, ISubscription subscription)
        {
            _owner = owner;
            Subscription = subscription;
            OnWaitCompleted = () => Complete(Pending);
        }

        public ISubscription Subscription { get; }

        public Action OnWaitCompleted { get; }

        public ValueTask<bool> Pending { get; set; }

        public bool Removed
        {
            get => Volatile.Read(ref _removed);
            set => Volatile.Write(ref _removed, value);
        }

        public Exception? Fault { get; set; }

        public void Complete(ValueTask<bool> wait)
        {
            bool hasItems;
            try
            {
                hasItems = wait.GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fault = ex;
                hasItems = true; // surface the fault to the reader
            }

            _owner.OnMemberReady(this, hasItems);
        }
    }
}
