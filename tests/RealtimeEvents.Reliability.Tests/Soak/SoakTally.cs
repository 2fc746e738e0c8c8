using System.Collections.Concurrent;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>The soak's counters, shared by every client and task, and the failures they found.</summary>
internal sealed class SoakTally
{
    private const int MaxFailures = 50;

    private readonly ConcurrentQueue<string> _failures = new();

#pragma warning disable SA1401, CA1051 // fields, so counters can be passed by ref to Interlocked
    public long EventsPublished;
    public long ConnectionsOpened;
    public long WebSocketSessions;
    public long SseSessions;
    public long SubscriptionsMade;
    public long Resumes;
    public long Snapshots;
    public long Resubscribes;
    public long Pings;
    public long CleanCloses;
    public long Aborts;
    public long AdminDisconnects;
    public long AdminDisconnectsSeen;
    public long SseResumes;
    public long SseEndedByServer;
    public long SseAdminDisconnects;
    public long ManagementCalls;
    public long DeliveriesChecked;
    public long OverflowsAnnounced;
    public long QueueOverflows;
    public long EventsDroppedAnnounced;
    public long ConflatedSkips;
#pragma warning restore SA1401, CA1051

    public IReadOnlyCollection<string> Failures => _failures;

    public void Add(ref long counter, long amount = 1) => Interlocked.Add(ref counter, amount);

    public void Fail(string failure)
    {
        if (_failures.Count < MaxFailures)
        {
            _failures.Enqueue(failure);
        }
    }
}
