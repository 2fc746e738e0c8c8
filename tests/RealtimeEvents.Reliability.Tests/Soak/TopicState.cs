namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// What a client knows per topic: the last <c>data.n</c> handled and its seq (-1 when none yet), and the ranges overflows
/// announced, which a resume carries over: a gap announced before a reconnect may show on a topic only after it.
/// </summary>
internal sealed class TopicState
{
    public TopicState(int topics)
    {
        LastN = new long[topics];
        LastSequence = new long[topics];
        Array.Fill(LastN, -1);
        Array.Fill(LastSequence, -1);
    }

    public long[] LastN { get; }

    public long[] LastSequence { get; }

    public List<(long First, long Last)> Gaps { get; } = [];
}
