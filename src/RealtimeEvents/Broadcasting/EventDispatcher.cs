using Microsoft.Extensions.Logging;
using RealtimeEvents.Internal;
using RealtimeEvents.Routing;

namespace RealtimeEvents.Broadcasting;

/// <summary>
/// The one loop per node that tails the event log and routes each event. It is the only writer into subscription
/// queues, so every subscriber sees the log's order.
/// </summary>
internal sealed class EventDispatcher : IAsyncDisposable
{
    private const int BatchSize = 512;

    private readonly IEventLog _log;
    private readonly SubscriptionRouter _router;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _drainRequested = new();
    private readonly CancellationTokenSource _stopOrDrain;
    private readonly Lock _gate = new();
    private Task? _loop;
    private EventPosition _position;
    private EventPosition? _drainTarget;
    private int _disposed;
    private int _failures;
    private bool _loopEnded;
    private TaskCompletionSource? _progress; // completed and cleared whenever the position moves; created only while someone waits

    public EventDispatcher(IEventLog log, SubscriptionRouter router, TimeProvider time, ILogger logger)
    {
        _log = log;
        _time = time;
        _router = router;
        _logger = logger;
        _stopOrDrain = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, _drainRequested.Token);
    }

    /// <summary>Gets the position of the last event routed.</summary>
    public EventPosition Position
    {
        get
        {
            lock (_gate)
            {
                return _position;
            }
        }
    }

    /// <summary>Gets a value indicating whether the loop is running.</summary>
    public bool IsRunning => _loop is { IsCompleted: false };

    /// <summary>Completes once every event up to <paramref name="position"/> has been routed (or the loop stopped, or the epoch moved on).</summary>
    public async Task WaitForDispatchAsync(EventPosition position, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task progress;
            lock (_gate)
            {
                if (_loop is null || _loopEnded || !string.Equals(_position.Epoch, position.Epoch, StringComparison.Ordinal)
                    || _position.Sequence >= position.Sequence)
                {
                    return;
                }

                _progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                progress = _progress.Task;
            }

            await progress.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gets how many passes in a row failed (the log threw); 0 when the last pass succeeded.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _failures);

    /// <summary>Gets the dispatcher's state for health checks.</summary>
    public DispatcherStatus GetStatus() => new(IsRunning, Position, _log.CurrentPosition, ConsecutiveFailures);

    /// <summary>Starts the loop at the log's current position, once; later calls do nothing.</summary>
    public void EnsureStarted()
    {
        if (_loop is not null)
        {
            return;
        }

        lock (_gate)
        {
            if (_loop is not null || _stopping.IsCancellationRequested)
            {
                return;
            }

            _position = _log.CurrentPosition;
            Log.DispatcherStarted(_logger, _position);
            _loop = Task.Run(RunAsync);
        }
    }

    /// <summary>Routes everything appended so far, then stops. Gives up waiting when <paramref name="cancellationToken"/> fires.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        Task? loop;
        lock (_gate)
        {
            loop = _loop;
            _drainTarget = _log.CurrentPosition;
            if (loop is null)
            {
                _stopping.Cancel();
                return;
            }
        }

        await _drainRequested.CancelAsync().ConfigureAwait(false); // wakes a loop waiting for appends to see the drain target
        using (cancellationToken.Register(_stopping.Cancel))
        {
            await loop.WaitAsync(Timeout.InfiniteTimeSpan, CancellationToken.None).ConfigureAwait(false);
        }

        Log.DispatcherStopped(_logger, Position);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stopOrDrain.Dispose();
        _drainRequested.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            await RunLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _loopEnded = true; // set with the wake-up, so a woken waiter cannot see the loop as still running
                _progress?.TrySetResult();
                _progress = null;
            }
        }
    }

    private async Task RunLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var failures = Volatile.Read(ref _failures);
                if (failures > 0)
                {
                    // A log that keeps failing (a broker that is down) is retried with backoff, not in a hot loop.
                    var delay = TimeSpan.FromMilliseconds(Math.Min(5_000, 50 * Math.Pow(2, Math.Min(failures, 10))));
                    // A drain requested during the wait cuts it short once; after that the backoff holds, not a hot loop.
                    var delayToken = _drainRequested.IsCancellationRequested ? token : _stopOrDrain.Token;
                    try
                    {
                        await Task.Delay(delay, _time, delayToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        // A drain was requested: try once more now rather than after the backoff.
                    }
                }

                if (await DispatchOnceAsync(token).ConfigureAwait(false))
                {
                    return; // drained for shutdown
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must survive anything a log or subscriber throws; the failure is logged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _failures);
                Log.DispatcherFailed(_logger, Position, ex);
            }
        }
    }

    /// <summary>
    /// Spins for a few microseconds before parking: under a steady stream the next event is usually that close, and
    /// parking costs a wake-up (a task and a thread-pool hop) per handful of events. Stops before the spin would yield.
    /// </summary>
    private bool SpinUntilAppended(EventPosition position)
    {
        var spinner = default(SpinWait);
        while (!spinner.NextSpinWillYield)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (_log.CurrentPosition.Sequence > position.Sequence)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Routes one batch, or waits for one. Returns true when a requested drain is complete.</summary>
    private async ValueTask<bool> DispatchOnceAsync(CancellationToken token)
    {
        EventPosition position;
        EventPosition? drainTarget;
        lock (_gate)
        {
            position = _position;
            drainTarget = _drainTarget;
        }

        if (drainTarget is { } target && position.Sequence >= target.Sequence)
        {
            return true;
        }

        var result = await _log.ReadAsync(position, BatchSize, token).ConfigureAwait(false);
        Volatile.Write(ref _failures, 0); // the log answers again; don't wait for the next event to say so
        if (result.Events.Count == 0)
        {
            if (result.Status == ResumeStatus.Complete)
            {
                if (drainTarget is not null)
                {
                    return true;
                }

                if (SpinUntilAppended(position))
                {
                    return false;
                }

                try
                {
                    await _log.WaitForEventsAsync(position, _stopOrDrain.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    // A drain was requested: the next pass routes what is left and stops.
                }

                return false;
            }

            // Nothing to route, but not a clean continuation: the epoch changed, or what followed was truncated away
            // (a broker-backed log that was unreachable while retention ran). Everyone is told, then the loop starts
            // over at the log's current position. From sequence 0 nothing was ever routed, so nothing can be missed.
            if (position.Sequence > 0)
            {
                Log.DispatcherGap(_logger, result.Status, position);
                RecordLossForAll(result.Status, position, result.CurrentPosition);
            }

            lock (_gate)
            {
                SetPositionLocked(result.CurrentPosition);
            }

            return false;
        }

        if (result.Status != ResumeStatus.Complete)
        {
            // Events were evicted before they could be routed (or the log was replaced): everyone is told.
            Log.DispatcherGap(_logger, result.Status, position);
            RecordLossForAll(result.Status, position,
                new EventPosition(result.Events[0].Epoch, Math.Max(0, result.Events[0].Sequence - 1)));
        }

        var routed = position;
        try
        {
            foreach (var evt in result.Events)
            {
                _router.Route(evt);
                routed = evt.Position;
            }
        }
        finally
        {
            // Progress is kept per event: after a failure only the event that failed is routed again, not the batch.
            lock (_gate)
            {
                SetPositionLocked(routed);
            }
        }

        return false;
    }

    /// <summary>Tells every subscription that the events after <paramref name="position"/> up to <paramref name="last"/> were lost.</summary>
    private void RecordLossForAll(ResumeStatus status, EventPosition position, EventPosition last)
    {
        var first = new EventPosition(position.Epoch, position.Sequence + 1);
        var reason = status == ResumeStatus.EpochChanged ? GapReason.EpochChanged : GapReason.HistoryTruncated;
        foreach (var subscription in _router.Subscriptions)
        {
            subscription.RecordLoss(first, last, reason);
        }
    }

    /// <summary>Moves the position and wakes whoever waits in <see cref="WaitForDispatchAsync"/>; called under <c>_gate</c>.</summary>
    private void SetPositionLocked(EventPosition position)
    {
        _position = position;
        if (_progress is { } progress)
        {
            _progress = null;
            progress.TrySetResult();
        }
    }
}
