using System.Reflection;

namespace RealtimeEvents.SignalR.Internal;

/// <summary>This package works with the RealtimeEvents.AspNetCore of its own version; a mismatch gets a clear error at startup.</summary>
internal static class PackageVersions
{
    public static void EnsureMatching()
    {
        var own = typeof(PackageVersions).Assembly.GetName().Version;
        var aspNetCore = Assembly.Load("RealtimeEvents.AspNetCore").GetName().Version;
        if (own != aspNetCore)
        {
            throw new InvalidOperationException(
                $"RealtimeEvents.SignalR {own} needs RealtimeEvents.AspNetCore {own}, but {aspNetCore} is loaded: reference the same version of every RealtimeEvents package.");
        }
    }
}
