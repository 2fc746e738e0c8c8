using System.Security.Claims;

namespace RealtimeEvents;

/// <summary>What an <see cref="ISubscriptionAuthorizer"/> decides on: the user, the request and the filter built from it.</summary>
public sealed class SubscriptionAuthorizationContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="user">The connection's user; unauthenticated when the endpoint allows anonymous access.</param>
    /// <param name="request">The subscription request.</param>
    /// <param name="filter">The filter built from <paramref name="request"/>.</param>
    /// <param name="transport">The transport asking: <c>websocket</c>, <c>sse</c>, <c>signalr</c> or a host's own.</param>
    /// <param name="services">The services of the connection's scope, for authorizers that look things up.</param>
    public SubscriptionAuthorizationContext(ClaimsPrincipal user, SubscriptionRequest request, EventFilter filter, string transport,
        IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentException.ThrowIfNullOrEmpty(transport);
        ArgumentNullException.ThrowIfNull(services);
        User = user;
        Request = request;
        Filter = filter;
        Transport = transport;
        Services = services;
    }

    /// <summary>Gets the connection's user.</summary>
    public ClaimsPrincipal User { get; }

    /// <summary>Gets the subscription request.</summary>
    public SubscriptionRequest Request { get; }

    /// <summary>Gets the filter built from <see cref="Request"/>; <see cref="EventFilter.IsConfinedTo"/> checks its topics.</summary>
    public EventFilter Filter { get; }

    /// <summary>Gets the transport asking: <c>websocket</c>, <c>sse</c>, <c>signalr</c> or a host's own name.</summary>
    public string Transport { get; }

    /// <summary>Gets services to resolve from: the HTTP request's scope on WebSocket and SSE, a scope made for this subscribe on SignalR.</summary>
    public IServiceProvider Services { get; }
}
