using Microsoft.AspNetCore.Http;
using RealtimeEvents.AspNetCore.Connections;

namespace RealtimeEvents.AspNetCore.Sse;

/// <summary>The <c>{prefix}/sse</c> endpoint: one subscription from the query string (or the route), then the event stream.</summary>
internal static class SseEndpoint
{
    public const string DefaultSubscriptionId = "sse";

    public static async Task HandleAsync(HttpContext context, ConnectionManager manager, Func<HttpContext, SubscriptionRequest>? route)
    {
        if (!await StreamEndpoint.TryReserveAsync(context, manager, "sse").ConfigureAwait(false))
        {
            return;
        }

        try
        {
            var subscription = await StreamEndpoint.SubscribeFromRequestAsync(context, manager, "sse", route,
                    route is null ? DefaultSubscriptionId : StreamEndpoint.RouteSubscriptionId)
                .ConfigureAwait(false);
            if (subscription is null)
            {
                return;
            }

            var connection = new SseConnection(context, manager, subscription);
            manager.Register(connection);
            try
            {
                await connection.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                manager.Unregister(connection);
            }
        }
        finally
        {
            manager.Release();
        }
    }
}
