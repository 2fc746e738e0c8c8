using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeEvents;
using RealtimeEvents.Broadcasting;
using RealtimeEvents.DependencyInjection;
using RealtimeEvents.Diagnostics;
using RealtimeEvents.EventLog;
using RealtimeEvents.Snapshots;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds RealtimeEvents to a service collection.</summary>
public static class RealtimeEventsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the event log (in-memory by default), the broadcaster (<see cref="IEventPublisher"/>,
    /// <see cref="IEventBroadcaster"/>) and the hosted service that runs the dispatcher. Options are bound from the
    /// <c>RealtimeEvents</c> configuration section when an <see cref="IConfiguration"/> is registered, then
    /// <paramref name="configure"/> is applied; invalid values fail at startup. Calling this more than once is harmless.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adjusts the options, if given.</param>
    /// <returns>A builder that adapter packages and snapshot providers extend.</returns>
    public static IRealtimeEventsBuilder AddRealtimeEvents(this IServiceCollection services, Action<RealtimeEventsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(RealtimeEventsMarker)))
        {
            services.AddSingleton<RealtimeEventsMarker>();
            services.AddOptions<RealtimeEventsOptions>().ValidateOnStart();
            services.AddSingleton<IConfigureOptions<RealtimeEventsOptions>>(sp => new ConfigureOptions<RealtimeEventsOptions>(options =>
                sp.GetService<IConfiguration>()?.GetSection(RealtimeEventsOptions.SectionName).Bind(options)));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RealtimeEventsOptions>, RealtimeEventsOptionsValidator>());

            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton(sp => new RealtimeEventsMetrics(sp.GetService<IMeterFactory>()));
            services.TryAddSingleton<IEventLog>(sp => new InMemoryEventLog(
                sp.GetRequiredService<IOptions<RealtimeEventsOptions>>(), sp.GetRequiredService<TimeProvider>()));
            services.TryAddSingleton(sp => new SnapshotRegistry(sp.GetServices<SnapshotProviderRegistration>(), sp));
            services.TryAddSingleton(sp => new EventBroadcaster(
                sp.GetRequiredService<IEventLog>(),
                sp.GetRequiredService<SnapshotRegistry>(),
                sp.GetRequiredService<IOptions<RealtimeEventsOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<RealtimeEventsMetrics>(),
                sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
            services.TryAddSingleton<IEventBroadcaster>(sp => sp.GetRequiredService<EventBroadcaster>());
            services.TryAddSingleton<IEventPublisher>(sp => sp.GetRequiredService<EventBroadcaster>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RealtimeEventsHostedService>());
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return new RealtimeEventsBuilder(services);
    }

    /// <summary>Marks that the core services were added, so a second call adds nothing twice.</summary>
    private sealed class RealtimeEventsMarker;
}
