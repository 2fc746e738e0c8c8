namespace RealtimeEvents.LoadTest.Clients;

/// <summary>The sums a <c>report</c> gathers from the reading clients' <see cref="ReceiveStats"/>.</summary>
internal sealed class ReportTotals
{
    public long Received { get; set; }

    public long PerClientMin { get; set; } = long.MaxValue;

    public long PerClientMax { get; set; }

    public long Missing { get; set; }

    public long Duplicates { get; set; }

    public long OverflowNotices { get; set; }

    public long DroppedAnnounced { get; set; }

    public long MaxUs { get; set; }

    public long[] Buckets { get; } = new long[LatencyHistogram.BucketCount];
}
