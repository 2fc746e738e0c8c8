using System.Diagnostics;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>The <c>/load/stats</c> figures of this process.</summary>
internal static class ProcessStats
{
    public static ServerStats Read(bool collect, ConnectionCounter counter)
    {
        if (collect)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        using var process = Process.GetCurrentProcess();
        return new ServerStats(
            RssBytes: Environment.WorkingSet, // on Linux, VmRSS of /proc/self/status
            ManagedBytes: GC.GetTotalMemory(forceFullCollection: false),
            Connections: counter.Connections,
            CpuMilliseconds: process.TotalProcessorTime.TotalMilliseconds,
            Gen2Collections: GC.CollectionCount(2),
            StallSourceConnections: counter.StallSourceConnections,
            StallSourceLastEndedTimestamp: counter.StallSourceLastEnded);
    }
}
