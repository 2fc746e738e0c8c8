using System.Diagnostics;

namespace RealtimeEvents.Reliability.Tests.Support;

/// <summary>
/// One reading of this process: the managed heap after a full, compacting collection, open file descriptors (sockets
/// included) and threads. Taken in <see cref="MeasuredAloneCollection"/> tests, so the figures belong to the test.
/// </summary>
internal sealed record ProcessProbe(long ManagedBytes, int OpenFiles, int Threads, long WorkingSetBytes)
{
    public static ProcessProbe Read()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        // What the last (our) full blocking collection left live; GC.GetTotalMemory's estimate can even go below zero.
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var managed = info.HeapSizeBytes - info.FragmentedBytes;
        using var process = Process.GetCurrentProcess();
        return new ProcessProbe(managed, CountOpenFiles(), process.Threads.Count, process.WorkingSet64);
    }

    /// <summary>Open file descriptors from <c>/proc/self/fd</c>; the process's handle count where there is no /proc.</summary>
    private static int CountOpenFiles()
    {
        if (Directory.Exists("/proc/self/fd"))
        {
            return Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }

        using var process = Process.GetCurrentProcess();
        return process.HandleCount;
    }

    public override string ToString() =>
        FormattableString.Invariant($"managed {ManagedBytes / 1024.0 / 1024.0:F1} MiB, {OpenFiles} open files, {Threads} threads, working set {WorkingSetBytes / 1024.0 / 1024.0:F1} MiB");
}
