using System.Text.Json;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>Reads one client's hub messages in the background and lets a test await a number of events of one subscription.</summary>
public sealed class EventCollector : IAsyncDisposable
{
    private readonly SignalRProtocolClient _client;
    private readonly string _subscription;
    private readonly Lock _gate = new();
    private readonly List<int> _values = [];
    private readonly List<HubMessage> _others = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private Task _loop = Task.CompletedTask;
    private Exception? _failure;

    private EventCollector(SignalRProtocolClient client, string subscription)
    {
        _client = client;
        _subscription = subscription;
    }

    /// <summary>Gets the numbers (<see cref="Drafts.NumberOf"/>) of the events received, in order.</summary>
    public IReadOnlyList<int> Values
    {
        get
        {
            lock (_gate)
            {
                return [.. _values];
            }
        }
    }

    /// <summary>Gets the hub messages that were not events of the subscription (overflow notices, for example).</summary>
    public IReadOnlyList<HubMessage> Others
    {
        get
        {
            lock (_gate)
            {
                return [.. _others];
            }
        }
    }

    public static EventCollector Start(SignalRProtocolClient client, string subscription)
    {
        var collector = new EventCollector(client, subscription);
        collector._loop = Task.Run(collector.RunAsync);
        return collector;
    }

    /// <summary>Completes when <paramref name="count"/> events arrived; fails if reading failed first.</summary>
    public Task WaitForAsync(int count)
    {
        lock (_gate)
        {
            if (_failure is not null)
            {
                return Task.FromException(new InvalidOperationException($"The collector stopped after {_values.Count} events.", _failure));
            }

            if (_values.Count >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync(); // ends the pending receive
        await _loop.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                var message = await _client.ReceiveAsync(TimeSpan.FromMinutes(5));
                JsonElement[] events = message.Target switch
                {
                    "event" when message.GetString("sub") == _subscription => [message.Argument.GetProperty("event")],
                    "events" when message.GetString("sub") == _subscription => [.. message.Argument.GetProperty("events").EnumerateArray()],
                    _ => [],
                };
                lock (_gate)
                {
                    if (events.Length == 0)
                    {
                        _others.Add(message);
                        continue;
                    }

                    _values.AddRange(events.Select(Drafts.NumberOf));
                    for (var i = _waiters.Count - 1; i >= 0; i--)
                    {
                        if (_values.Count >= _waiters[i].Count)
                        {
                            _waiters[i].Done.TrySetResult();
                            _waiters.RemoveAt(i);
                        }
                    }
                }
            }
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _failure = ex;
                foreach (var (_, done) in _waiters)
                {
                    done.TrySetException(new InvalidOperationException($"The collector stopped after {_values.Count} events.", ex));
                }

                _waiters.Clear();
            }
        }
    }
}
