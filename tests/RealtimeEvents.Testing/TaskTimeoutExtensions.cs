using System.Diagnostics;

namespace RealtimeEvents.Testing;

/// <summary>Every await in a test has a timeout, so a hang fails fast instead of stalling CI.</summary>
public static class TaskTimeoutExtensions
{
    /// <summary>The default timeout: generous for a loaded 2-core CI machine, short enough to fail fast.</summary>
    public static readonly TimeSpan DefaultTimeout = Debugger.IsAttached ? TimeSpan.FromMinutes(10) : TimeSpan.FromSeconds(30);

    public static Task WithTimeout(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? DefaultTimeout);

    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? DefaultTimeout);

    public static Task WithTimeout(this ValueTask task, TimeSpan? timeout = null) => task.AsTask().WithTimeout(timeout);

    public static Task<T> WithTimeout<T>(this ValueTask<T> task, TimeSpan? timeout = null) => task.AsTask().WithTimeout(timeout);
}
