using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RealtimeEvents.Client;
using RealtimeEvents.Client.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="RealtimeEventsClient"/> in a service collection.</summary>
public static class RealtimeEventsClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RealtimeEventsClient"/> as a singleton. Its options are bound from the <c>RealtimeEventsClient</c>
    /// configuration section (when an <see cref="IConfiguration"/> is registered), then <paramref name="configure"/> applies.
    /// Invalid options fail when the client is first resolved. Calling it twice registers one client; both configure calls apply.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adjusts the options, if given.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddRealtimeEventsClient(this IServiceCollection services, Action<RealtimeEventsClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(RealtimeEventsClient)))
        {
            services.AddOptions<RealtimeEventsClientOptions>();
            services.AddSingleton<IConfigureOptions<RealtimeEventsClientOptions>>(sp => new ConfigureOptions<RealtimeEventsClientOptions>(options =>
            {
                if (sp.GetService<IConfiguration>() is { } configuration)
                {
                    Bind(configuration.GetSection(RealtimeEventsClientOptions.SectionName), options);
                }

                if (sp.GetService<TimeProvider>() is { } time)
                {
                    options.TimeProvider = time;
                }
            }));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RealtimeEventsClientOptions>, ClientOptionsValidator>());
            services.TryAddSingleton(sp => new RealtimeEventsClient(
                sp.GetRequiredService<IOptions<RealtimeEventsClientOptions>>(), sp.GetService<ILogger<RealtimeEventsClient>>()));
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }

    // The bindable values only: the callbacks and the clock cannot come from configuration (and the binding generator refuses them).
    private static void Bind(IConfigurationSection section, RealtimeEventsClientOptions options)
    {
        if (section[nameof(options.Endpoint)] is { Length: > 0 } endpoint)
        {
            options.Endpoint = new Uri(endpoint, UriKind.RelativeOrAbsolute);
        }

        options.HeartbeatTimeout = section.GetValue(nameof(options.HeartbeatTimeout), options.HeartbeatTimeout);
        options.ConnectTimeout = section.GetValue(nameof(options.ConnectTimeout), options.ConnectTimeout);
        options.QueueCapacity = section.GetValue(nameof(options.QueueCapacity), options.QueueCapacity);
        options.QueueFullMode = section.GetValue(nameof(options.QueueFullMode), options.QueueFullMode);
        section.GetSection(nameof(options.Reconnect)).Bind(options.Reconnect);
    }
}
