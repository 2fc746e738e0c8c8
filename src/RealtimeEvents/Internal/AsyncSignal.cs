using System.Threading.Tasks.Sources;

namespace RealtimeEvents.Internal;

/// <summary>
/// An auto-reset wake-up for one waiter: <see cref="Set"/> from any thread wakes the waiter, or is remembered (once) until
/// the next <see cref="WaitAsync"/>. It replaces a capacity-1 <c>Channel&lt;bool&gt;</c> used as a doorbell, at a fraction
/// of the memory and without the channel's lock between the dispatcher and the send loops.
/// </summary>
/// <remarks>
/// <para>
/// One state word, changed only by compare-and-swap, decides every race: <c>Idle</c>, <c>Signaled</c> (a Set with no
/// waiter, remembered) or <c>Waiting</c> (a waiter's <see cref="ManualResetValueTaskSourceCore{TResult}"/> is armed). Only
/// the thread that moves the state out of <c>Waiting</c> (a Set, or the wait's cancellation) completes the waiter, so it is
/// completed exactly once, and a Set that loses to a cancellation finds <c>Idle</c> and is remembered instead of lost.
/// </para>
/// <para>
/// A separate flag holds the single waiter's slot from <see cref="WaitAsync"/> until the returned task's result is taken.
/// Releasing it only then means the source is never reset while the previous awaiter may still read it, and disposing the
/// cancellation registration there (which waits for a callback that is running) means a late cancellation of one wait can
/// never complete the next.
/// </para>
/// <para>
/// Continuations always run asynchronously: <see cref="Set"/> is called by the dispatcher, which must never run a send
/// loop inline. The signal queues itself to the thread pool's global queue and completes the wait there, running the
/// continuation on that worker. It does not use the core's own asynchronous mode, which queues the continuation to the
/// local queue of the thread that completes it: one event to a thousand subscribers would put a thousand send loops on
/// the dispatcher's worker, to be run by it or stolen one by one, which showed as latency under load.
/// </para>
/// </remarks>
internal sealed class AsyncSignal : IValueTaskSource, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Signaled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core; // continuations run inline in Execute, on a pool worker
    private CancellationTokenRegistration _registration;
    private CancellationToken _canceledBy; // set by Cancel before it queues the completion
    private int _state;
    private int _waiterActive; // 1 from WaitAsync until the returned task's result is taken

    /// <summary>Gets whether a Set is remembered that no wait has consumed yet.</summary>
    public bool IsSet => Volatile.Read(ref _state) == Signaled;

    /// <summary>Wakes the waiter, or remembers the wake-up for the next wait; repeated calls before a wait count once.</summary>
    public void Set()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signaled:
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle)
                    {
                        return;
                    }

                    break;
                default:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        _canceledBy = default;
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false); // completes the wait there, never on this thread
                        return;
                    }

                    break; // the wait was canceled meanwhile: go round and remember the wake-up
            }
        }
    }

    /// <summary>
    /// Waits for a Set, consuming it: completes at once when one is remembered. Only one wait may be outstanding: the
    /// previous one's task must have been awaited before the next starts.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (with <see cref="OperationCanceledException"/>); the signal stays usable.</param>
    /// <returns>A task that completes on the wake-up; await it exactly once.</returns>
    /// <exception cref="InvalidOperationException">Another wait is outstanding.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _waiterActive, 1, 0) != 0)
        {
            throw new InvalidOperationException("AsyncSignal has a single waiter: the previous wait has not completed and been awaited.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _waiterActive, 0);
            return ValueTask.FromCanceled(cancellationToken); // a remembered Set stays for the next wait
        }

        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled)
        {
            Volatile.Write(ref _waiterActive, 0);
            return default;
        }

        // No one else touches the source now: the previous waiter has taken its result, and no Set or cancellation
        // completes it until the state says Waiting.
        _core.Reset();
        var version = _core.Version;
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            // A Set arrived since the check above; the state is Signaled and only a waiter moves it back.
            Volatile.Write(ref _state, Idle);
            Volatile.Write(ref _waiterActive, 0);
            return default;
        }

        if (cancellationToken.CanBeCanceled)
        {
            // May run the callback right here if the token was canceled just now; the task is then already canceled.
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((AsyncSignal)state!).Cancel(token), this);
        }

        return new ValueTask(this, version);
    }

    void IValueTaskSource.GetResult(short token)
    {
        // Throws for a stale or premature token before anything is released: a stale task cannot free a newer wait's slot.
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            throw new InvalidOperationException("The wait has not completed.");
        }

        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _registration.Dispose(); // waits for a cancellation callback that is running, so it cannot touch the next wait
            _registration = default;
            Volatile.Write(ref _waiterActive, 0);
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Completes the wait that <see cref="Set"/> or a cancellation took out of <c>Waiting</c>; runs on a pool worker.</summary>
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

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
        {
            _canceledBy = token;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false); // the canceling thread never runs the waiter either
        }

        // Otherwise a Set completed the wait first: it succeeds, and the cancellation is moot.
    }
}
