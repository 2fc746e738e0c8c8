using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>The <c>{prefix}/ws</c> endpoint: checks, then upgrades and runs a <see cref="WebSocketConnection"/>.</summary>
internal static class WebSocketEndpoint
{
    public static async Task HandleAsync(HttpContext context, ConnectionManager manager, Func<HttpContext, SubscriptionRequest>? route)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await HttpErrors.WriteAsync(context, ProtocolErrorCodes.UnsupportedProtocol,
                "This endpoint takes WebSocket requests only; for Server-Sent Events use the sse endpoint next to it.").ConfigureAwait(false);
            return;
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        if (requested.Count > 0 && !requested.Contains(RealtimeProtocol.SubProtocol, StringComparer.Ordinal))
        {
            manager.Metrics.CountRejected(ProtocolErrorCodes.UnsupportedProtocol);
            await HttpErrors.WriteAsync(context, ProtocolErrorCodes.UnsupportedProtocol,
                $"This server speaks the WebSocket subprotocol '{RealtimeProtocol.SubProtocol}' only.").ConfigureAwait(false);
            return;
        }

        if (!await StreamEndpoint.TryReserveAsync(context, manager, "websocket").ConfigureAwait(false))
        {
            return;
        }

        try
        {
            ISubscription? initial = null;
            if (route is not null)
            {
                initial = await StreamEndpoint.SubscribeFromRequestAsync(context, manager, "websocket", route, StreamEndpoint.RouteSubscriptionId).ConfigureAwait(false);
                if (initial is null)
                {
                    return;
                }
            }

            WebSocket socket;
            try
            {
                socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
                {
                    SubProtocol = requested.Count > 0 ? RealtimeProtocol.SubProtocol : null,
                    KeepAliveInterval = manager.Options.HeartbeatInterval,
                    KeepAliveTimeout = manager.Options.HeartbeatTimeout,
                }).ConfigureAwait(false);
            }
            catch
            {
                initial?.Dispose();
                throw;
            }

            using (socket)
            {
                var connection = new WebSocketConnection(socket, context, manager);
                manager.Register(connection);
                try
                {
                    await connection.RunAsync(initial).ConfigureAwait(false);
                }
                finally
                {
                    manager.Unregister(connection);
                }
            }
        }
        finally
        {
            manager.Release();
        }
    }
}
