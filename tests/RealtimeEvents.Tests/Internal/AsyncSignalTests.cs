using RealtimeEvents.Internal;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Tests.Internal;

public sealed class AsyncSignalTests
{
    [Fact]
    public async Task SetBeforeWait_CompletesTheWaitAtOnce()
    {
        var signal = new AsyncSignal();
        signal.Set();
        Assert.True(signal.IsSet);

        var wait = signal.WaitAsync();

        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
        Assert.False(signal.IsSet);
    }

    [Fact]
    public async Task WaitThenSet_CompletesTheWait()
    {
        var signal = new AsyncSignal();
        var wait = signal.WaitAsync().AsTask();
        Assert.False(wait.IsCompleted);

        signal.Set();

        await wait.WithTimeout();
        Assert.False(signal.IsSet); // the waiter consumed it
    }

    [Fact]
    public async Task ManySets_WithoutAWaiter_WakeOnce()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();
        signal.Set();

        await signal.WaitAsync().AsTask().WithTimeout();
        var second = signal.WaitAsync().AsTask();

        Assert.False(second.IsCompleted);
        signal.Set();
        await second.WithTimeout();
    }

    [Fact]
    public async Task SetAfterTheWaiterWoke_IsRememberedForTheNextWait()
    {
        var signal = new AsyncSignal();
        var wait = signal.WaitAsync().AsTask();
        signal.Set();
        signal.Set(); // the first completed the wait; this one has no waiter yet
        await wait.WithTimeout();

        Assert.True(signal.IsSet);
        Assert.True(signal.WaitAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task CanceledBeforeWaiting_ThrowsAndKeepsARememberedSet()
    {
        var signal = new AsyncSignal();
        signal.Set();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var canceled = signal.WaitAsync(cts.Token).AsTask();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canceled.WithTimeout());
        Assert.True(signal.IsSet);
        await signal.WaitAsync().AsTask().WithTimeout();
    }

    [Fact]
    public async Task CanceledWhileWaiting_ThrowsAndALaterWaitStillWorks()
    {
        var signal = new AsyncSignal();
        using var cts = new CancellationTokenSource();
        var wait = signal.WaitAsync(cts.Token).AsTask();
        Assert.False(wait.IsCompleted);

        await cts.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WithTimeout());
        Assert.Equal(cts.Token, ex.CancellationToken);

        signal.Set(); // no waiter now: remembered
        await signal.WaitAsync().AsTask().WithTimeout();

        var next = signal.WaitAsync().AsTask();
        Assert.False(next.IsCompleted);
        signal.Set();
        await next.WithTimeout();
    }

    [Fact]
    public async Task CancellationAfterTheWaitCompleted_DoesNotDisturbTheNextWait()
    {
        var signal = new AsyncSignal();
        using var cts = new CancellationTokenSource();
        var wait = signal.WaitAsync(cts.Token).AsTask();
        signal.Set();
        await wait.WithTimeout();

        await cts.CancelAsync(); // its registration was released when the wait's result was taken

        var next = signal.WaitAsync().AsTask();
        Assert.False(next.IsCompleted);
        signal.Set();
        await next.WithTimeout();
    }

    [Fact]
    public async Task SecondConcurrentWaiter_Throws()
    {
        var signal = new AsyncSignal();
        var first = signal.WaitAsync().AsTask();

        Assert.Throws<InvalidOperationException>(() => signal.WaitAsync());

        signal.Set();
        await first.WithTimeout(); // the first wait is unharmed
    }

    [Fact]
    public async Task AWaitThatCompletedButWasNotAwaited_DoesNotHoldUpTheNext()
    {
        var signal = new AsyncSignal();
        var first = signal.WaitAsync();
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.GetAwaiter().OnCompleted(completed.SetResult); // observes the completion without taking the result
        signal.Set();
        await completed.Task.WithTimeout(); // Set completes the wait on a pool worker

        var second = signal.WaitAsync(); // a new waiter: the first one's source is left alone for its awaiter
        Assert.False(second.IsCompleted);

        await first; // its result is intact
        signal.Set();
        await second.AsTask().WithTimeout();
    }

    [Fact]
    public async Task ACancelledWaitThatIsNeverAwaited_DoesNotHoldUpTheNext()
    {
        // The retry loop of a caller that gives up on a wait (Task.WhenAny with a timeout) and waits again at once.
        var signal = new AsyncSignal();
        for (var round = 0; round < 100; round++)
        {
            using var cts = new CancellationTokenSource();
            var abandoned = signal.WaitAsync(cts.Token).AsTask();
            await cts.CancelAsync();

            var next = signal.WaitAsync().AsTask();
            Assert.False(next.IsCompleted);
            signal.Set();
            await next.WithTimeout();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned).WithTimeout();
        }
    }

    [Fact]
    public async Task ALateCancellationOfAnAbandonedWait_DoesNotTouchTheNext()
    {
        var signal = new AsyncSignal();
        using var cts = new CancellationTokenSource();
        var first = signal.WaitAsync(cts.Token).AsTask();
        signal.Set();
        await first.WithTimeout();

        var second = signal.WaitAsync().AsTask();
        await cts.CancelAsync(); // the first wait's registration is gone; nothing may cancel or wake the second

        Assert.False(second.IsCompleted);
        signal.Set();
        await second.WithTimeout();
    }

    [Fact]
    public async Task AStaleWait_CannotBeAwaitedAgain()
    {
        var signal = new AsyncSignal();
        var first = signal.WaitAsync();
        signal.Set();
        await first.AsTask().WithTimeout();
        var second = signal.WaitAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await first);

        signal.Set();
        await second.AsTask().WithTimeout(); // the stale await did not free or complete the current wait
    }

    [Fact]
    public async Task Continuations_NeverRunInlineInSet()
    {
        var signal = new AsyncSignal();
        var inSet = 0;
        for (var i = 0; i < 100; i++)
        {
            var observed = new TaskCompletionSource<(int Thread, bool InSet)>(TaskCreationOptions.RunContinuationsAsynchronously);
            var waiter = WaitAndObserveAsync(signal, observed);

            var setterThread = Environment.CurrentManagedThreadId;
            Volatile.Write(ref inSet, 1);
            signal.Set();
            Volatile.Write(ref inSet, 0);

            var (thread, duringSet) = await observed.Task.WithTimeout();
            Assert.False(thread == setterThread && duringSet, "The waiter's continuation ran inline in Set.");
            await waiter.WithTimeout();
        }

        async Task WaitAndObserveAsync(AsyncSignal signal, TaskCompletionSource<(int, bool)> observed)
        {
            await signal.WaitAsync().ConfigureAwait(false);
            observed.SetResult((Environment.CurrentManagedThreadId, Volatile.Read(ref inSet) == 1));
        }
    }

    [Fact]
    public async Task Continuations_NeverRunInlineInCancel()
    {
        var signal = new AsyncSignal();
        using var cts = new CancellationTokenSource();
        var inCancel = 0;
        var observed = new TaskCompletionSource<(int Thread, bool InCancel)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = WaitAndObserveAsync(signal, cts.Token, observed);

        var cancelerThread = Environment.CurrentManagedThreadId;
        Volatile.Write(ref inCancel, 1);
        await cts.CancelAsync();
        Volatile.Write(ref inCancel, 0);

        var (thread, duringCancel) = await observed.Task.WithTimeout();
        Assert.False(thread == cancelerThread && duringCancel, "The waiter's continuation ran inline in the cancellation.");
        await waiter.WithTimeout();

        async Task WaitAndObserveAsync(AsyncSignal signal, CancellationToken token, TaskCompletionSource<(int, bool)> observed)
        {
            try
            {
                await signal.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                observed.SetResult((Environment.CurrentManagedThreadId, Volatile.Read(ref inCancel) == 1));
            }
        }
    }

    /// <summary>
    /// A producer sets as fast as it can while the consumer waits; every item the producer publishes before a Set is seen
    /// by the consumer after some wake-up (none is lost), and the run ends in bounded time.
    /// </summary>
    [Fact]
    public async Task Stress_ProducerSets_ConsumerWaits_NoWakeUpIsLost()
    {
        const int Items = 200_000;
        var signal = new AsyncSignal();
        long published = 0;
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);

        var producer = Task.Factory.StartNew(() =>
        {
            for (var i = 1; i <= Items; i++)
            {
                Volatile.Write(ref published, i);
                signal.Set();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var wakes = 0;
        long seen = 0;
        while (seen < Items)
        {
            await signal.WaitAsync(timeout.Token);
            wakes++;
            seen = Volatile.Read(ref published);
        }

        await producer.WithTimeout();
        Assert.InRange(wakes, 1, Items);
        Assert.False(timeout.IsCancellationRequested);
    }

    /// <summary>Cancellations racing with Sets: each wait either wakes or is canceled, and no Set is ever lost.</summary>
    [Fact]
    public async Task Stress_SetsRacingWithCancellation_LoseNoWakeUp()
    {
        var signal = new AsyncSignal();
        for (var i = 0; i < 2_000; i++)
        {
            using var cts = new CancellationTokenSource();
            var wait = signal.WaitAsync(cts.Token).AsTask();
            var setter = Task.Run(signal.Set);
            var canceler = Task.Run(cts.Cancel);
            await Task.WhenAll(setter, canceler).WithTimeout();

            var woke = true;
            try
            {
                await wait.WithTimeout();
            }
            catch (OperationCanceledException)
            {
                woke = false;
            }

            // Woken: the Set was consumed. Canceled: the Set lost the race to the cancellation and must be remembered.
            Assert.Equal(!woke, signal.IsSet);
            if (!woke)
            {
                await signal.WaitAsync().AsTask().WithTimeout();
            }
        }
    }

    [Fact]
    public async Task AConsumedWait_CannotBeAwaitedAgain_EvenBeforeTheNextWait()
    {
        // Found in review: GetResult released the waiter without checking that this wait's result was still untaken.
        var signal = new AsyncSignal();
        var first = signal.WaitAsync();
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.GetAwaiter().OnCompleted(completed.SetResult);
        signal.Set();
        await completed.Task.WithTimeout();

#pragma warning disable xUnit1031 // taking the result synchronously, twice, is what is under test
        first.GetAwaiter().GetResult(); // takes the result: the waiter may now be reused
        Assert.Throws<InvalidOperationException>(() => first.GetAwaiter().GetResult());
#pragma warning restore xUnit1031
    }

    [Fact]
    public async Task TwoWaitsStartedAtOnce_TheOneThatIsAcceptedStillWorks()
    {
        // Found in review: two racing WaitAsync calls could arm the same reusable waiter, breaking the accepted wait.
        var signal = new AsyncSignal();
        for (var round = 0; round < 2_000; round++)
        {
            using var go = new Barrier(2);
            ValueTask? a = null, b = null;
            var ta = Task.Factory.StartNew(() => { go.SignalAndWait(); try { a = signal.WaitAsync(); } catch (InvalidOperationException) { } }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var tb = Task.Factory.StartNew(() => { go.SignalAndWait(); try { b = signal.WaitAsync(); } catch (InvalidOperationException) { } }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await Task.WhenAll(ta, tb).WithTimeout();

            Assert.True(a is null || b is null, $"round {round}: both waits were accepted");
            var accepted = a ?? b;
            Assert.True(accepted is not null, $"round {round}: neither wait was accepted");
            signal.Set();
            await accepted.Value.AsTask().WithTimeout(); // must wake, not throw, not hang
        }
    }
}
