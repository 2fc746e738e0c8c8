using System.Collections.Concurrent;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Client.Tests.Support;

/// <summary>Records a client's state changes and lets a test await the next one that matches.</summary>
internal sealed class StateRecorder
{
    private readonly Lock _gate = new();
    private readonly List<ConnectionStateChange> _changes = [];
    private readonly List<(Func<ConnectionStateChange, bool> Match, TaskCompletionSource<ConnectionStateChange> Done, int From)> _waiters = [];

    public StateRecorder(RealtimeEventsClient client) => client.StateChanged += (_, change) => Add(change);

    public ConcurrentQueue<ConnectionStateChange> All { get; } = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _changes.Count;
            }
        }
    }

    /// <summary>Waits for a change matching <paramref name="match"/> recorded at index <paramref name="from"/> or later.</summary>
    public Task<ConnectionStateChange> WaitAsync(Func<ConnectionStateChange, bool> match, int from = 0)
    {
        lock (_gate)
        {
            for (var i = from; i < _changes.Count; i++)
            {
                if (match(_changes[i]))
                {
                    return Task.FromResult(_changes[i]);
                }
            }

            var done = new TaskCompletionSource<ConnectionStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, done, from));
            return done.Task.WithTimeout();
        }
    }

    private void Add(ConnectionStateChange change)
    {
        All.Enqueue(change);
        List<TaskCompletionSource<ConnectionStateChange>> fire = [];
        lock (_gate)
        {
            _changes.Add(change);
            foreach (var waiter in _waiters.ToList())
            {
                if (waiter.Match(change))
                {
                    _waiters.Remove(waiter);
                    fire.Add(waiter.Done);
                }
            }
        }

        foreach (var done in fire)
        {
            done.TrySetResult(change);
        }
    }
}
