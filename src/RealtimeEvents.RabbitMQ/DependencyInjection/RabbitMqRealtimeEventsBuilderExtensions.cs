using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeEvents;
using RealtimeEvents.RabbitMQ;
using RealtimeEvents.RabbitMQ.DependencyInjection;
using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.RabbitMQ.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Replaces the in-memory event log with one RabbitMQ stream shared by every node.</summary>
public static class RabbitMqRealtimeEventsBuilderExtensions
{
    /// <summary>The name of the health check <see cref="AddRabbitMq"/> registers.</summary>
    public const string HealthCheckName = "realtime_events_rabbitmq";

    /// <summary>
    /// Uses a RabbitMQ stream queue as the event log, so several nodes share one order and a client resumes on any node.
    /// Options are bound from the <c>RealtimeEvents:RabbitMq</c> configuration section when an <see cref="IConfiguration"/>
    /// is registered, then <paramref name="configure"/> is applied; a missing or invalid connection string fails at startup.
    /// Also registers the health check <see cref="HealthCheckName"/> (unhealthy while the broker is unreachable). The host
    /// starts even when the broker is down; the node connects, and reconnects, with backoff.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddRealtimeEvents</c>.</param>
    /// <param name="configure">Adjusts the options, if given.</param>
    /// <returns>The builder.</returns>
    public static IRealtimeEventsBuilder AddRabbitMq(this IRealtimeEventsBuilder builder, Action<RabbitMqEventLogOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(RabbitMqEventLog)))
        {
            services.AddOptions<RabbitMqEventLogOptions>().ValidateOnStart();
            services.AddSingleton<IConfigureOptions<RabbitMqEventLogOptions>>(sp => new ConfigureOptions<RabbitMqEventLogOptions>(options =>
                sp.GetService<IConfiguration>()?.GetSection(RabbitMqEventLogOptions.SectionName).Bind(options)));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RabbitMqEventLogOptions>, RabbitMqEventLogOptionsValidator>());
            services.AddSingleton(sp => new RabbitMqEventLog(
                sp.GetRequiredService<IOptions<RabbitMqEventLogOptions>>().Value,
                sp.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value.History,
                sp.GetRequiredService<TimeProvider>(),
                (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("RealtimeEvents.RabbitMQ")));
            builder.UseEventLog(sp => sp.GetRequiredService<RabbitMqEventLog>());
            services.AddHealthChecks().Add(new HealthCheckRegistration(HealthCheckName,
                sp => new RabbitMqEventLogHealthCheck(sp.GetRequiredService<RabbitMqEventLog>(),
                    sp.GetRequiredService<IOptions<RabbitMqEventLogOptions>>().Value.StreamName),
                failureStatus: null, tags: ["realtime_events", "rabbitmq"]));
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }
}
