using Microsoft.Extensions.Diagnostics.HealthChecks;
using RealtimeEvents;
using RealtimeEvents.AspNetCore.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the RealtimeEvents health check.</summary>
public static class RealtimeEventsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the event dispatcher: unhealthy when it is not running or keeps failing to read the event log,
    /// degraded when it trails the log by more than <paramref name="degradedLag"/> events, healthy otherwise. The result's
    /// data has the positions, the lag and the subscription count.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. The default value is <c>realtime_events</c>.</param>
    /// <param name="failureStatus">The status reported when unhealthy. The default value is <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <param name="degradedLag">How many events behind the log counts as degraded. The default value is 10000.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddRealtimeEvents(this IHealthChecksBuilder builder, string name = "realtime_events",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, long degradedLag = 10_000)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(degradedLag);
        return builder.Add(new HealthCheckRegistration(name,
            sp => new RealtimeEventsHealthCheck(sp.GetRequiredService<IEventBroadcaster>(), degradedLag),
            failureStatus, tags));
    }
}
