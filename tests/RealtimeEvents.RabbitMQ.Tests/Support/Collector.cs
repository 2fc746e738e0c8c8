using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Support;

/// <summary>A thread-safe list that background tasks add to and a test awaits a condition on (with a timeout).</summary>
internal sealed class Collector<T>
{
    private readonly List<T> _items = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _fault;

    public void Add(T item)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _items.Add(item);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Records that the task feeding this collector failed; waits then fail with it.</summary>
    public void Fail(Exception fault)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _fault ??= fault;
            changed = _changed;
        }

        changed.TrySetResult();
    }

    public List<T> Snapshot()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the items so far; fails after <paramref name="timeout"/>.</summary>
    public async Task<List<T>> WaitUntilAsync(Func<IReadOnlyList<T>, bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TaskTimeoutExtensions.DefaultTimeout;
        using var deadline = new CancellationTokenSource(limit);
        while (true)
        {
            Task changed;
            List<T> items;
            lock (_gate)
            {
                if (_fault is not null)
                {
                    throw new InvalidOperationException($"Waiting for {what}, but the collecting task failed.", _fault);
                }

                items = [.. _items];
                changed = _changed.Task;
            }

            if (condition(items))
            {
                return items;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Not {what} within {limit} ({items.Count} items: last {(items.Count > 0 ? items[^1] : "none")}).");
            }
        }
    }
}
