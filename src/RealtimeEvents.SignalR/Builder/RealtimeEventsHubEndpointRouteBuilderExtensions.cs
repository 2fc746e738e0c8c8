using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.SignalR;
using RealtimeEvents.SignalR.Internal;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the RealtimeEvents SignalR hub.</summary>
public static class RealtimeEventsHubEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <see cref="RealtimeEventsHub"/> at <paramref name="pattern"/>. Requires
    /// <c>builder.Services.AddRealtimeEvents().AddSignalR()</c>; limits come from <c>RealtimeEventsTransportOptions</c>,
    /// as for the WebSocket endpoint.
    /// </summary>
    /// <param name="endpoints">The route builder, usually the <c>WebApplication</c>.</param>
    /// <param name="pattern">The hub's route, for example <c>/realtime/hub</c>.</param>
    /// <param name="configureOptions">SignalR's per-endpoint options (transports, buffer sizes), if any.</param>
    /// <returns>The hub's convention builder, for <c>.RequireAuthorization(...)</c>, CORS and the like.</returns>
    /// <exception cref="InvalidOperationException">RealtimeEvents or its SignalR services are not registered.</exception>
    public static HubEndpointConventionBuilder MapRealtimeEventsHub(this IEndpointRouteBuilder endpoints,
        [StringSyntax("Route")] string pattern, Action<HttpConnectionDispatcherOptions>? configureOptions = null) =>
        endpoints.MapRealtimeEventsHub<RealtimeEventsHub>(pattern, configureOptions);

    /// <summary>Maps a hub derived from <see cref="RealtimeEventsHub"/> at <paramref name="pattern"/>.</summary>
    /// <typeparam name="THub">The hub type.</typeparam>
    /// <param name="endpoints">The route builder, usually the <c>WebApplication</c>.</param>
    /// <param name="pattern">The hub's route.</param>
    /// <param name="configureOptions">SignalR's per-endpoint options, if any.</param>
    /// <returns>The hub's convention builder.</returns>
    /// <exception cref="InvalidOperationException">RealtimeEvents or its SignalR services are not registered.</exception>
    public static HubEndpointConventionBuilder MapRealtimeEventsHub<THub>(this IEndpointRouteBuilder endpoints,
        [StringSyntax("Route")] string pattern, Action<HttpConnectionDispatcherOptions>? configureOptions = null)
        where THub : RealtimeEventsHub
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        PackageVersions.EnsureMatching();
        if (endpoints.ServiceProvider.GetService<RealtimeEventsHubBridge>() is null)
        {
            throw new InvalidOperationException(
                "The RealtimeEvents SignalR hub is not registered: call builder.Services.AddRealtimeEvents().AddSignalR() before mapping it.");
        }

        ConnectionManager.For(endpoints.ServiceProvider); // checks AddRealtimeEvents() and the transport options now, not on the first client
        return configureOptions is null ? endpoints.MapHub<THub>(pattern) : endpoints.MapHub<THub>(pattern, configureOptions);
    }
}
