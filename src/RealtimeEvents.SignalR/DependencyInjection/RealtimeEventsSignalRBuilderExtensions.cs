using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RealtimeEvents.SignalR;
using RealtimeEvents.SignalR.Internal;

namespace RealtimeEvents;

/// <summary>Adds the SignalR hub's services to RealtimeEvents.</summary>
public static class RealtimeEventsSignalRBuilderExtensions
{
    /// <summary>
    /// Registers SignalR (<c>services.AddSignalR()</c>, harmless if the host calls it too) and the
    /// <see cref="RealtimeEventsHubBridge"/>; then map the hub with <c>app.MapRealtimeEventsHub("/realtime/hub")</c>.
    /// </summary>
    /// <param name="builder">The builder <c>AddRealtimeEvents()</c> returned.</param>
    /// <returns>The builder.</returns>
    public static IRealtimeEventsBuilder AddSignalR(this IRealtimeEventsBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSignalR();
        builder.Services.TryAddSingleton(static services =>
        {
            var hub = services.GetRequiredService<IOptions<HubOptions>>().Value; // SignalR fills in its defaults
            return new RealtimeEventsHubBridge(services, new SignalRLimits(hub.KeepAliveInterval ?? TimeSpan.FromSeconds(15), hub.MaximumReceiveMessageSize));
        });
        return builder;
    }
}
