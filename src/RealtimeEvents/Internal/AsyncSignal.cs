using System.Threading.Tasks.Sources;

namespace RealtimeEvents.Internal;

/// <summary>
/// An auto-reset wake-up for one waiter: <see cref="Set"/> from any thread wakes the waiter, or is remembered (once) until
/// the next <see cref="WaitAsync"/>. It replaces a capacity-1 <c>Channel&lt;bool&gt;</c> used as a doorbell, at a fraction
/// of the memory and without the channel's lock between the dispatcher and the send loops.
/// </summary>
/// <remarks>
/// <para>
/// One field, changed only by compare-and-swap, decides every race: <see langword="null"/> (idle), a marker (a Set with
/// no waiter, remembered), or the armed <see cref="Waiter"/>. Whoever swaps a waiter out of it (a Set, or that waiter's
/// own cancellation) completes that waiter, so each wait completes exactly once, a late cancellation of an earlier wait
/// can never touch a later one, and a Set that loses to a cancellation finds the field idle and is remembered.
/// </para>
/// <para>
/// A waiter is reused once its result has been taken. A wait that completed but was never awaited (a caller that
/// cancelled a wait and moved on) does not hold up the next wait: that one gets a new waiter.
/// </para>
/// <para>
/// Continuations always run on a thread-pool worker, never inline in <see cref="Set"/> (called by the dispatcher, which
/// must not run a send loop) or in a cancellation. A waiter queues itself to the pool's global queue and completes the
/// wait there. It does not use <see cref="ManualResetValueTaskSourceCore{TResult}"/>'s asynchronous mode, which queues to
/// the local queue of the completing thread: one event to a thousand subscribers would put a thousand send loops on the
/// dispatcher's worker, to be run by it or stolen one by one, which showed as latency under load.
/// </para>
/// </remarks>
internal sealed class AsyncSignal
{
    private static readonly object Signaled = new();

    private object? _state; // null: idle; Signaled: remembered; a Waiter: armed
    private Waiter? _last;  // the most recent waiter, reused once its result was taken

    /// <summary>Gets whether a Set is remembered that no wait has consumed yet.</summary>
    public bool IsSet => Volatile.Read(ref _state) == Signaled;

    /// <summary>Wakes the waiter, or remembers the wake-up for the next wait; repeated calls before a wait count once.</summary>
    public void Set()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Signaled)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, state is Waiter ? null : Signaled, state) == state)
            {
                (state as Waiter)?.Complete(default);
                return;
            }
        }
    }

    /// <summary>
    /// Waits for a Set, consuming it: completes at once when one is remembered. One wait may be armed at a time; a wait
    /// that was cancelled or completed need not be awaited before the next one starts.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (with <see cref="OperationCanceledException"/>); the signal stays usable.</param>
    /// <returns>A task that completes on the wake-up; await it at most once.</returns>
    /// <exception cref="InvalidOperationException">Another wait is armed and has not completed.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _state) is Waiter)
        {
            throw new InvalidOperationException("AsyncSignal has a single waiter: another wait is still waiting.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken); // a remembered Set stays for the next wait
        }

        if (Interlocked.CompareExchange(ref _state, null, Signaled) == Signaled)
        {
            return default;
        }

        // Claimed by compare-and-swap: two racing calls never arm (and reset) the same waiter.
        var waiter = _last is { } last && last.TryClaim() ? last : _last = new Waiter(this);
        var version = waiter.Arm();
        var state = Interlocked.CompareExchange(ref _state, waiter, null);
        if (state is not null)
        {
            waiter.Disarm();
            if (state is Waiter)
            {
                throw new InvalidOperationException("AsyncSignal has a single waiter: another wait is still waiting.");
            }

            // A Set arrived since the check above: consume it instead of waiting. Swapped, not written: a racing wait
            // may have consumed it and armed its own waiter, which a plain write would orphan.
            if (Interlocked.CompareExchange(ref _state, null, Signaled) != Signaled)
            {
                throw new InvalidOperationException("AsyncSignal has a single waiter: another wait is still waiting.");
            }

            return default;
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Register(cancellationToken);
        }

        return new ValueTask(waiter, version);
    }

    /// <summary>Cancels <paramref name="waiter"/> if it is still the armed one; a Set that took it first wins.</summary>
    private void Cancel(Waiter waiter, CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, null, waiter) == waiter)
        {
            waiter.Complete(token);
        }
    }

    /// <summary>One wait: the value-task source its caller awaits, completed from a thread-pool work item.</summary>
    private sealed class Waiter(AsyncSignal owner) : IValueTaskSource, IThreadPoolWorkItem
    {
        private ManualResetValueTaskSourceCore<bool> _core; // continuations run inline in Execute, on a pool worker
        private CancellationTokenRegistration _registration;
        private CancellationToken _canceledBy;
        private const int Free = int.MinValue;      // reusable: the last wait's result was taken (or the arming undone)
        private const int Busy = int.MinValue + 1;  // claimed by a WaitAsync that is arming it, or a GetResult releasing it
        private int _outstanding = Busy;            // else the version of the wait whose result is not taken yet

        public bool TryClaim() => Interlocked.CompareExchange(ref _outstanding, Busy, Free) == Free;

        /// <summary>Prepares a claimed waiter for a new wait.</summary>
        public short Arm()
        {
            _core.Reset();
            _canceledBy = default;
            var version = _core.Version;
            Volatile.Write(ref _outstanding, version);
            return version;
        }

        public void Disarm() => Volatile.Write(ref _outstanding, Free);

        public void Register(CancellationToken token) =>
            // May run the callback right here if the token was canceled just now; the wait is then completed as canceled.
            _registration = token.UnsafeRegister(static (state, token) => { var w = (Waiter)state!; w.CancelFromToken(token); }, this);

        /// <summary>Completes the wait on a pool worker: canceled when <paramref name="canceledBy"/> is set, else woken.</summary>
        public void Complete(CancellationToken canceledBy)
        {
            _canceledBy = canceledBy;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        void IThreadPoolWorkItem.Execute()
        {
            if (_canceledBy.IsCancellationRequested)
            {
                _core.SetException(new OperationCanceledException(_canceledBy));
            }
            else
            {
                _core.SetResult(true);
            }
        }

        void IValueTaskSource.GetResult(short token)
        {
            // Throws for a stale or premature token before anything is released: a stale task cannot free a newer wait.
            if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
            {
                throw new InvalidOperationException("The wait has not completed.");
            }

            // Exactly one GetResult per wait takes it: a second await of the same task, or a stale one racing with the
            // next arming, throws here without releasing anything.
            if (Interlocked.CompareExchange(ref _outstanding, Busy, token) != token)
            {
                throw new InvalidOperationException("The wait's result was already taken.");
            }

            try
            {
                _core.GetResult(token);
            }
            finally
            {
                _registration.Dispose(); // waits for a cancellation callback that is running
                _registration = default;
                Volatile.Write(ref _outstanding, Free);
            }
        }

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        private void CancelFromToken(CancellationToken token) => owner.Cancel(this, token);
    }
}
