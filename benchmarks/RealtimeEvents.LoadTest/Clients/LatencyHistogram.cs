using System.Numerics;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>
/// A log-linear latency histogram in microseconds, 0 to 100 s, with at most 1/128 (0.8%) relative bucket width: values
/// below 256 µs have a bucket each; above, every power of two is split into 128 equal buckets. One per client, written
/// by that client's receive loop only, so recording needs no synchronization; <see cref="MergeInto"/> sums them for a report.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>The largest value kept; larger ones are counted in the last bucket (and still set <see cref="MaxUs"/>).</summary>
    public const long MaxTrackedUs = 100_000_000;

    private const int SubBucketBits = 7;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int ExactLimit = 2 * SubBuckets;

    /// <summary>The number of buckets, up to and including the one of <see cref="MaxTrackedUs"/>.</summary>
    public static readonly int BucketCount = Index(MaxTrackedUs) + 1;

    // int is enough per client between resets (2^31 events at one latency); the merge sums into long.
    private readonly int[] _counts = new int[BucketCount];

    public long Count { get; private set; }

    public long MaxUs { get; private set; }

    public void Record(long microseconds)
    {
        if (microseconds < 0)
        {
            microseconds = 0;
        }

        if (microseconds > MaxUs)
        {
            MaxUs = microseconds;
        }

        _counts[Index(Math.Min(microseconds, MaxTrackedUs))]++;
        Count++;
    }

    public void Reset()
    {
        Array.Clear(_counts);
        Count = 0;
        MaxUs = 0;
    }

    /// <summary>Adds this histogram's counts to <paramref name="totals"/> (length <see cref="BucketCount"/>).</summary>
    public void MergeInto(long[] totals)
    {
        var counts = _counts;
        for (var i = 0; i < counts.Length; i++)
        {
            totals[i] += counts[i];
        }
    }

    /// <summary>The value a bucket stands for: its midpoint (exact below 256 µs).</summary>
    public static double Value(int index)
    {
        if (index < ExactLimit)
        {
            return index;
        }

        var shift = (index >> SubBucketBits) - 1;
        var sub = (long)(index - (shift << SubBucketBits));
        var lower = sub << shift;
        return lower + (((1L << shift) - 1) / 2.0);
    }

    /// <summary>The bucket of a value in [0, <see cref="MaxTrackedUs"/>].</summary>
    public static int Index(long microseconds)
    {
        if (microseconds < ExactLimit)
        {
            return (int)microseconds;
        }

        // value >> shift lies in [128, 255]; each shift gets its own run of 128 buckets after the exact ones.
        var shift = 63 - BitOperations.LeadingZeroCount((ulong)microseconds) - SubBucketBits;
        return (shift << SubBucketBits) + (int)(microseconds >> shift);
    }

    /// <summary>Percentiles of merged counts (from <see cref="MergeInto"/>); the exact maximum comes separately.</summary>
    public static Shared.LatencySummary Summarize(long[] totals, long maxUs)
    {
        long count = 0;
        foreach (var c in totals)
        {
            count += c;
        }

        if (count == 0)
        {
            return new Shared.LatencySummary(0, 0, 0, 0, 0);
        }

        return new Shared.LatencySummary(
            count,
            Percentile(totals, count, 0.50, maxUs),
            Percentile(totals, count, 0.99, maxUs),
            Percentile(totals, count, 0.999, maxUs),
            maxUs);
    }

    private static double Percentile(long[] totals, long count, double quantile, long maxUs)
    {
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * count));
        long seen = 0;
        for (var i = 0; i < totals.Length; i++)
        {
            seen += totals[i];
            if (seen >= rank)
            {
                return Math.Min(Value(i), maxUs);
            }
        }

        return maxUs;
    }
}
