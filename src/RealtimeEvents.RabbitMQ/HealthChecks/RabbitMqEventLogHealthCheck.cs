using Microsoft.Extensions.Diagnostics.HealthChecks;
using RealtimeEvents.RabbitMQ.EventLog;

namespace RealtimeEvents.RabbitMQ.HealthChecks;

/// <summary>Healthy while the node is attached to the stream; unhealthy while it is connecting or reconnecting.</summary>
internal sealed class RabbitMqEventLogHealthCheck(RabbitMqEventLog log, string streamName) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var position = log.CurrentPosition;
        var data = new Dictionary<string, object>
        {
            ["stream"] = streamName,
            ["endpoint"] = log.Endpoint,
            ["connected"] = log.IsConnected,
            ["position"] = position.ToString(),
            ["failedAttempts"] = log.FailedAttempts,
        };
        var result = log.IsConnected
            ? HealthCheckResult.Healthy($"Attached to stream '{streamName}' at {log.Endpoint}, position {position}.", data)
            : new HealthCheckResult(context.Registration.FailureStatus,
                $"Not connected to stream '{streamName}' at {log.Endpoint}: {log.LastError}. Publishing fails until the node reconnects; it keeps retrying.",
                data: data);
        return Task.FromResult(result);
    }
}
