using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>
/// The hand-rolled baseline's connections, kept the way the seed systems keep them: a concurrent dictionary of sockets,
/// filled by the endpoint and read by the publisher.
/// </summary>
internal sealed class HandRolledSockets
{
    public ConcurrentDictionary<Guid, WebSocket> Sockets { get; } = new();

    /// <summary>The <c>/handrolled/ws</c> endpoint: accept, register, read until the client closes (so close frames are answered), unregister.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var id = Guid.NewGuid();
        Sockets[id] = socket;
        try
        {
            var buffer = new byte[1024];
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away or the publisher aborted the socket
        }
        finally
        {
            Sockets.TryRemove(id, out _);
        }
    }
}
