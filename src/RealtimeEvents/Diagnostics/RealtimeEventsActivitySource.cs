using System.Diagnostics;

namespace RealtimeEvents.Diagnostics;

/// <summary>The <see cref="ActivitySource"/> named <c>RealtimeEvents</c>: spans for publish and subscribe.</summary>
internal static class RealtimeEventsActivitySource
{
    public const string Name = "RealtimeEvents";

    public static readonly ActivitySource Instance = new(Name);
}
