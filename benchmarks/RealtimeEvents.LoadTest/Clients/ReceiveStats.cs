using System.Buffers.Text;
using System.Diagnostics;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>
/// One client's counts: it scans received bytes for load events (<c>"n":</c>, then <c>"t":</c>) and overflow notices
/// (<c>"op":"overflow"</c> with <c>"dropped":</c>) without parsing JSON or allocating, tracks gaps against the last
/// <c>n</c>, and records latencies. The receive loop writes under a lock the command loop takes only to reset or
/// read, so the lock is uncontended on the hot path.
/// </summary>
internal sealed class ReceiveStats
{
    private static readonly double MicrosecondsPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private readonly Lock _gate = new();
    private readonly LatencyHistogram _latency = new();
    private long _lastN;
    private long _credit;
    private long _received;
    private long _missing;
    private long _duplicates;
    private long _overflowNotices;
    private long _droppedAnnounced;

    private static ReadOnlySpan<byte> NKey => "\"n\":"u8;

    private static ReadOnlySpan<byte> TKey => "\"t\":"u8;

    private static ReadOnlySpan<byte> OverflowKey => "\"op\":\"overflow\""u8;

    private static ReadOnlySpan<byte> DroppedKey => "\"dropped\":"u8;

    /// <summary>The highest <c>n</c> seen (0 before the first event); read by <c>wait</c> without the lock.</summary>
    public long LastN => Volatile.Read(ref _lastN);

    public long Received
    {
        get
        {
            lock (_gate)
            {
                return _received;
            }
        }
    }

    /// <summary>Scans one received message or chunk, received at <paramref name="now"/> (Stopwatch ticks).</summary>
    /// <param name="data">Complete messages or lines: no token may be cut at either end.</param>
    /// <param name="now">When the data arrived.</param>
    /// <param name="overflowNotices">Whether to look for RealtimeEvents' overflow notices.</param>
    public void Scan(ReadOnlySpan<byte> data, long now, bool overflowNotices)
    {
        lock (_gate)
        {
            var position = 0;
            var nextOverflow = overflowNotices ? data.IndexOf(OverflowKey) : -1;
            while (position < data.Length)
            {
                var relative = data[position..].IndexOf(NKey);
                var nextEvent = relative < 0 ? -1 : position + relative;
                if (nextOverflow >= 0 && (nextEvent < 0 || nextOverflow < nextEvent))
                {
                    // A notice comes before the event after its gap, so its credit must count first.
                    position = OnOverflow(data, nextOverflow + OverflowKey.Length);
                    relative = data[position..].IndexOf(OverflowKey);
                    nextOverflow = relative < 0 ? -1 : position + relative;
                    continue;
                }

                if (nextEvent < 0)
                {
                    break;
                }

                position = OnEvent(data, nextEvent + NKey.Length, now);
            }
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _received = 0;
            _missing = 0;
            _duplicates = 0;
            _overflowNotices = 0;
            _droppedAnnounced = 0;
            _latency.Reset();
        }
    }

    /// <summary>Adds this client's counts to <paramref name="totals"/>.</summary>
    public void AddTo(ReportTotals totals)
    {
        lock (_gate)
        {
            totals.Received += _received;
            totals.PerClientMin = Math.Min(totals.PerClientMin, _received);
            totals.PerClientMax = Math.Max(totals.PerClientMax, _received);
            totals.Missing += _missing;
            totals.Duplicates += _duplicates;
            totals.OverflowNotices += _overflowNotices;
            totals.DroppedAnnounced += _droppedAnnounced;
            totals.MaxUs = Math.Max(totals.MaxUs, _latency.MaxUs);
            _latency.MergeInto(totals.Buckets);
        }
    }

    private int OnEvent(ReadOnlySpan<byte> data, int start, long now)
    {
        if (!Utf8Parser.TryParse(data[start..], out long n, out var consumed))
        {
            return start; // not a load event's number; scanning goes on after the key
        }

        var position = start + consumed;
        var relative = data[position..].IndexOf(TKey);
        long t = 0;
        if (relative >= 0)
        {
            position += relative + TKey.Length;
            if (Utf8Parser.TryParse(data[position..], out t, out consumed))
            {
                position += consumed;
            }
        }

        var last = _lastN;
        if (last > 0)
        {
            if (n > last + 1)
            {
                var gap = n - last - 1;
                var covered = Math.Min(gap, _credit);
                _credit -= covered;
                _missing += gap - covered;
            }
            else if (n <= last)
            {
                _duplicates++;
            }
        }

        if (n > last)
        {
            Volatile.Write(ref _lastN, n);
        }

        _received++;
        if (t > 0)
        {
            _latency.Record((long)((now - t) * MicrosecondsPerTick));
        }

        return position;
    }

    private int OnOverflow(ReadOnlySpan<byte> data, int start)
    {
        _overflowNotices++;
        var relative = data[start..].IndexOf(DroppedKey);
        if (relative < 0)
        {
            return start;
        }

        var position = start + relative + DroppedKey.Length;
        if (Utf8Parser.TryParse(data[position..], out long dropped, out var consumed))
        {
            // "dropped":null (an unknown count) parses as nothing and announces nothing.
            _droppedAnnounced += dropped;
            _credit += dropped;
            position += consumed;
        }

        return position;
    }
}
