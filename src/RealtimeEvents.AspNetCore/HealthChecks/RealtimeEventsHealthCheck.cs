using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RealtimeEvents.AspNetCore.HealthChecks;

/// <summary>Healthy while the dispatcher runs and keeps up; degraded when it trails the log; unhealthy when stopped or failing.</summary>
internal sealed class RealtimeEventsHealthCheck(IEventBroadcaster broadcaster, long degradedLag) : IHealthCheck
{
    /// <summary>Failed passes in a row (the log throwing, a broker down) after which the node reports unhealthy.</summary>
    private const int UnhealthyFailures = 3;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = broadcaster.DispatcherStatus;
        var data = new Dictionary<string, object>
        {
            ["running"] = status.IsRunning,
            ["position"] = status.LogPosition.ToString(),
            ["dispatched"] = status.DispatchedPosition.Epoch is null ? string.Empty : status.DispatchedPosition.ToString(),
            ["lag"] = status.Lag ?? -1,
            ["consecutiveFailures"] = status.ConsecutiveFailures,
            ["subscriptions"] = broadcaster.Subscriptions.Count,
        };

        HealthCheckResult result;
        if (!status.IsRunning)
        {
            result = new HealthCheckResult(context.Registration.FailureStatus, "The event dispatcher is not running; no event reaches subscribers.", data: data);
        }
        else if (status.ConsecutiveFailures >= UnhealthyFailures)
        {
            result = new HealthCheckResult(context.Registration.FailureStatus,
                $"The event dispatcher failed {status.ConsecutiveFailures} times in a row reading the event log.", data: data);
        }
        else if (status.Lag is null || status.Lag > degradedLag)
        {
            result = HealthCheckResult.Degraded(status.Lag is null
                ? "The event dispatcher has not caught up with a new event log epoch."
                : $"The event dispatcher trails the log by {status.Lag} events (more than {degradedLag}).", data: data);
        }
        else
        {
            result = HealthCheckResult.Healthy($"Dispatching; {status.Lag} events behind the log.", data);
        }

        return Task.FromResult(result);
    }
}
