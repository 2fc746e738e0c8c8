using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RealtimeEvents;
using RealtimeEvents.AspNetCore;
using RealtimeEvents.AspNetCore.Client;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Management;
using RealtimeEvents.AspNetCore.Sse;
using RealtimeEvents.AspNetCore.WebSockets;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the RealtimeEvents endpoints.</summary>
public static class RealtimeEventsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>{prefix}/ws</c> (WebSocket, the protocol of docs/protocol.md: clients subscribe with messages),
    /// <c>{prefix}/sse</c> (Server-Sent Events: one subscription from the query string), and the browser client
    /// <c>{prefix}/client.js</c> with its TypeScript declarations <c>{prefix}/client.d.ts</c>. Requires
    /// <c>builder.Services.AddRealtimeEvents()</c>; limits come from <see cref="RealtimeEventsTransportOptions"/>.
    /// </summary>
    /// <param name="endpoints">The route builder, usually the <c>WebApplication</c>.</param>
    /// <param name="prefix">The route prefix, for example <c>/realtime</c>.</param>
    /// <returns>
    /// A builder for conventions such as <c>.RequireAuthorization("policy")</c>, applied to both streams. The client
    /// script stays public: a page loads it before it has a token.
    /// </returns>
    /// <exception cref="InvalidOperationException"><c>AddRealtimeEvents()</c> was not called.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A transport option is out of range.</exception>
    public static RealtimeEventsEndpointConventionBuilder MapRealtimeEvents(this IEndpointRouteBuilder endpoints,
        [StringSyntax("Route")] string prefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var streams = Map(endpoints, prefix, subscribe: null);
        ClientScriptEndpoints.Map(endpoints, prefix);
        return streams;
    }

    /// <summary>
    /// Maps a route-bound stream: <c>{pattern}/ws</c> and <c>{pattern}/sse</c> subscribe every connection, on connect, to
    /// what <paramref name="subscribe"/> returns for the request (for example the execution named by the route). The
    /// subscription is authorized like any other, and resumes from <c>?since=</c> or <c>Last-Event-ID</c>; a refusal is
    /// an HTTP error before the stream starts. WebSocket clients may still add subscriptions of their own.
    /// </summary>
    /// <param name="endpoints">The route builder, usually the <c>WebApplication</c>.</param>
    /// <param name="pattern">The route pattern, for example <c>/executions/{id}/events</c>.</param>
    /// <param name="subscribe">Builds the subscription from the request, for example from <c>context.Request.RouteValues["id"]</c>.</param>
    /// <returns>A builder for conventions such as <c>.RequireAuthorization()</c>, applied to both endpoints.</returns>
    /// <example>
    /// <code>
    /// app.MapRealtimeEvents("/executions/{id}/events", context =>
    ///     new SubscriptionRequest { Topics = [$"executions/{context.Request.RouteValues["id"]}"] });
    /// </code>
    /// </example>
    public static RealtimeEventsEndpointConventionBuilder MapRealtimeEvents(this IEndpointRouteBuilder endpoints,
        [StringSyntax("Route")] string pattern, Func<HttpContext, SubscriptionRequest> subscribe)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(subscribe);
        return Map(endpoints, pattern, subscribe);
    }

    /// <summary>
    /// Maps the management endpoints under <paramref name="prefix"/>: <c>GET connections</c>, <c>GET connections/{id}</c>,
    /// <c>DELETE connections/{id}</c> (force-disconnect), <c>POST events</c> (publish over HTTP) and <c>GET stats</c>.
    /// Map them apart from the streams so they can get a stricter policy.
    /// </summary>
    /// <param name="endpoints">The route builder, usually the <c>WebApplication</c>.</param>
    /// <param name="prefix">The route prefix, for example <c>/realtime/admin</c>.</param>
    /// <returns>A builder for conventions such as <c>.RequireAuthorization("admin")</c>.</returns>
    public static IEndpointConventionBuilder MapRealtimeEventsManagement(this IEndpointRouteBuilder endpoints,
        [StringSyntax("Route")] string prefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var manager = ConnectionManager.For(endpoints.ServiceProvider);
        var group = endpoints.MapGroup(prefix);
        ManagementEndpoints.Map(group, manager);
        return group;
    }

    private static RealtimeEventsEndpointConventionBuilder Map(IEndpointRouteBuilder endpoints, string pattern,
        Func<HttpContext, SubscriptionRequest>? subscribe)
    {
        var manager = ConnectionManager.For(endpoints.ServiceProvider);
        var group = endpoints.MapGroup(pattern);

        // WebSocket requests need the WebSockets middleware; running it inside the endpoint means the host does not have to add it.
        var webSocketPipeline = endpoints.CreateApplicationBuilder();
        var webSocketOptions = new WebSocketOptions();
        foreach (var origin in manager.Options.AllowedOrigins)
        {
            webSocketOptions.AllowedOrigins.Add(origin);
        }

        webSocketPipeline.UseWebSockets(webSocketOptions);
        webSocketPipeline.Run(context => WebSocketEndpoint.HandleAsync(context, manager, subscribe));
        group.MapMethods("/ws", [HttpMethods.Get, HttpMethods.Connect], webSocketPipeline.Build())
            .WithDisplayName("RealtimeEvents WebSocket " + pattern);
        group.MapGet("/sse", context => SseEndpoint.HandleAsync(context, manager, subscribe))
            .WithDisplayName("RealtimeEvents SSE " + pattern);
        return new RealtimeEventsEndpointConventionBuilder(group);
    }
}
