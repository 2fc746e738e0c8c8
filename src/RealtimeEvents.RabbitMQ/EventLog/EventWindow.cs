namespace RealtimeEvents.RabbitMQ.EventLog;

/// <summary>
/// The node's in-memory copy of the newest stream events, bounded by <see cref="EventHistoryOptions"/> (count, bytes and
/// age). It holds every event with an offset after <see cref="From"/>; reads before that go to the stream. Not thread-safe:
/// the log calls it under its lock.
/// </summary>
internal sealed class EventWindow
{
    private readonly int _maxEvents;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private RealtimeEvent[] _ring;
    private int _start;
    private int _count;
    private long _bytes;

    public EventWindow(EventHistoryOptions history)
    {
        _maxEvents = history.MaxEvents;
        _maxBytes = history.MaxBytes;
        _maxAge = history.MaxAge;
        _ring = new RealtimeEvent[Math.Min(_maxEvents, 1024)];
    }

    /// <summary>Gets the offset after which the window holds every event (markers and undecodable messages excepted).</summary>
    public long From { get; private set; } = -1;

    /// <summary>Gets the time of the newest event evicted so far, or <see langword="null"/> when none was.</summary>
    public DateTimeOffset? LastEvictedTime { get; private set; }

    public int Count => _count;

    /// <summary>Empties the window; it then holds everything after <paramref name="from"/>.</summary>
    public void Reset(long from)
    {
        Array.Clear(_ring);
        _start = 0;
        _count = 0;
        _bytes = 0;
        From = from;
        LastEvictedTime = null;
    }

    public void Add(RealtimeEvent evt, DateTimeOffset now)
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
                RemoveOldest();
            }
        }

        _ring[(_start + _count) % _ring.Length] = evt;
        _count++;
        _bytes += evt.Utf8Json.Length;
        Evict(now);
    }

    /// <summary>Drops events past the count, byte and age bounds; the newest event always stays.</summary>
    public void Evict(DateTimeOffset now)
    {
        while (_count > 1 && (_count > _maxEvents || _bytes > _maxBytes || now - _ring[_start].Time > _maxAge))
        {
            RemoveOldest();
        }
    }

    /// <summary>Gets a value indicating whether every event up to <see cref="From"/> is past the age bound.</summary>
    public bool IsBeforeFromExpired(DateTimeOffset now) => LastEvictedTime is { } evicted && now - evicted > _maxAge;

    /// <summary>Returns up to <paramref name="maxCount"/> events with a sequence after <paramref name="after"/>, which must be at least <see cref="From"/>.</summary>
    public List<RealtimeEvent> ReadAfter(long after, int maxCount)
    {
        var result = new List<RealtimeEvent>(Math.Min(maxCount, _count));
        var index = FirstAfter(after);
        for (var i = index; i < _count && result.Count < maxCount; i++)
        {
            result.Add(_ring[(_start + i) % _ring.Length]);
        }

        return result;
    }

    private int FirstAfter(long after)
    {
        // Sequences increase along the ring but may skip (markers), so search rather than index.
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ring[(_start + mid) % _ring.Length].Sequence <= after)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private void RemoveOldest()
    {
        var oldest = _ring[_start];
        _bytes -= oldest.Utf8Json.Length;
        From = oldest.Sequence;
        LastEvictedTime = oldest.Time;
        _ring[_start] = null!;
        _start = (_start + 1) % _ring.Length;
        _count--;
    }
}
