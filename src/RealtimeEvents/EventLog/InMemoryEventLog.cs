using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace RealtimeEvents.EventLog;

/// <summary>
/// The embedded event log: a ring of recent events bounded by count, bytes and age, with a new random epoch per
/// instance. Stamping and appending happen under one lock, so sequence order is append order.
/// </summary>
internal sealed class InMemoryEventLog : IEventLog, IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly int _maxEvents;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private readonly string _epoch;
    private RealtimeEvent[] _ring;
    private int _start;
    private int _count;
    private long _bytes;
    private long _lastSequence;
    private TaskCompletionSource? _appended;
    private bool _disposed;

    public InMemoryEventLog(IOptions<RealtimeEventsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var history = options.Value.History;
        _time = time;
        _maxEvents = history.MaxEvents;
        _maxBytes = history.MaxBytes;
        _maxAge = history.MaxAge;
        _epoch = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        _ring = new RealtimeEvent[Math.Min(_maxEvents, 1024)];
    }

    // Lock-free: the dispatcher polls it while deciding whether to park, and must not contend with publishers.
    public EventPosition CurrentPosition => new(_epoch, Volatile.Read(ref _lastSequence));

    public ValueTask<RealtimeEvent> AppendAsync(EventDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        cancellationToken.ThrowIfCancellationRequested();
        return TryAppend(draft, out var appended)
            ? ValueTask.FromResult(appended)
            : throw new ObjectDisposedException(nameof(InMemoryEventLog), "The event log has been disposed; no more events can be published.");
    }

    public bool TryAppend(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? appended)
    {
        ArgumentNullException.ThrowIfNull(draft);
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            if (_disposed)
            {
                appended = null;
                return false;
            }

            // Read the clock under the lock so time never goes backwards as the sequence goes up (age eviction relies on it).
            var now = _time.GetUtcNow();
            var timestamp = _time.GetTimestamp();
            var id = draft.Id ?? Guid.CreateVersion7(now).ToString("N");
            var evt = RealtimeEvent.Create(draft, id, now, new EventPosition(_epoch, _lastSequence + 1), timestamp);
            AddLocked(evt);
            Volatile.Write(ref _lastSequence, evt.Sequence);
            Evict(now);
            waiter = _appended;
            _appended = null;
            appended = evt;
        }

        waiter?.TrySetResult();
        return true;
    }

    public ValueTask<EventLogReadResult> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            Evict(_time.GetUtcNow());
            var oldest = _count > 0 ? _ring[_start].Sequence : _lastSequence + 1;
            ResumeStatus status;
            long from;
            if (!string.Equals(after.Epoch, _epoch, StringComparison.Ordinal) || after.Sequence > _lastSequence)
            {
                status = ResumeStatus.EpochChanged;
                from = oldest;
            }
            else if (after.Sequence + 1 < oldest)
            {
                status = ResumeStatus.Truncated;
                from = oldest;
            }
            else
            {
                status = ResumeStatus.Complete;
                from = after.Sequence + 1;
            }

            var available = (int)Math.Min(maxCount, _lastSequence - from + 1);
            var events = available <= 0 ? [] : new RealtimeEvent[available];
            var offset = (int)(from - oldest);
            for (var i = 0; i < events.Length; i++)
            {
                events[i] = _ring[(_start + offset + i) % _ring.Length];
            }

            return ValueTask.FromResult(new EventLogReadResult(events, status, new EventPosition(_epoch, _lastSequence)));
        }
    }

    public ValueTask WaitForEventsAsync(EventPosition after, CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            if (_disposed || _lastSequence > after.Sequence || !string.Equals(after.Epoch, _epoch, StringComparison.Ordinal))
            {
                return ValueTask.CompletedTask;
            }

            _appended ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _appended.Task;
        }

        return new ValueTask(wait.WaitAsync(cancellationToken));
    }

    public bool CanResumeFrom(EventPosition position)
    {
        lock (_gate)
        {
            Evict(_time.GetUtcNow());
            var oldest = _count > 0 ? _ring[_start].Sequence : _lastSequence + 1;
            return string.Equals(position.Epoch, _epoch, StringComparison.Ordinal)
                && position.Sequence <= _lastSequence
                && position.Sequence + 1 >= oldest;
        }
    }

    public void Dispose()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _disposed = true;
            waiter = _appended;
            _appended = null;
        }

        waiter?.TrySetResult();
    }

    private void AddLocked(RealtimeEvent evt)
    {
        if (_count == _ring.Length)
        {
            if (_ring.Length < _maxEvents)
            {
                var grown = new RealtimeEvent[(int)Math.Min((long)_ring.Length * 2, _maxEvents)];
                for (var i = 0; i < _count; i++)
                {
                    grown[i] = _ring[(_start + i) % _ring.Length];
                }

                _ring = grown;
                _start = 0;
            }
            else
            {
                RemoveOldestLocked();
            }
        }

        _ring[(_start + _count) % _ring.Length] = evt;
        _count++;
        _bytes += evt.Utf8Json.Length;
    }

    private void Evict(DateTimeOffset now)
    {
        // The newest event always stays, so the dispatcher can read whatever was appended last.
        while (_count > 1 && (_count > _maxEvents || _bytes > _maxBytes || now - _ring[_start].Time > _maxAge))
        {
            RemoveOldestLocked();
        }
    }

    private void RemoveOldestLocked()
    {
        _bytes -= _ring[_start].Utf8Json.Length;
        _ring[_start] = null!;
        _start = (_start + 1) % _ring.Length;
        _count--;
    }
}
