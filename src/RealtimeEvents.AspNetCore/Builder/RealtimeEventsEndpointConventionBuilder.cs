using Microsoft.AspNetCore.Builder;

namespace RealtimeEvents.AspNetCore;

/// <summary>
/// Returned by <c>MapRealtimeEvents</c>: conventions added here (<c>RequireAuthorization</c>, <c>RequireCors</c>,
/// <c>RequireRateLimiting</c>...) apply to the WebSocket and the SSE endpoint alike.
/// </summary>
public sealed class RealtimeEventsEndpointConventionBuilder : IEndpointConventionBuilder
{
    private readonly IEndpointConventionBuilder _inner;

    internal RealtimeEventsEndpointConventionBuilder(IEndpointConventionBuilder inner) => _inner = inner;

    /// <summary>Adds a convention to every endpoint mapped by <c>MapRealtimeEvents</c>.</summary>
    /// <param name="convention">The convention.</param>
    public void Add(Action<EndpointBuilder> convention) => _inner.Add(convention);

    /// <summary>Adds a convention that runs after all others, to every endpoint mapped by <c>MapRealtimeEvents</c>.</summary>
    /// <param name="finallyConvention">The convention.</param>
    public void Finally(Action<EndpointBuilder> finallyConvention) => _inner.Finally(finallyConvention);
}
