using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>
/// One WebSocket client: a receive loop that handles its messages, and the shared send loop of
/// <see cref="MessageConnection"/>, which sends each message as one text frame.
/// </summary>
internal sealed partial class WebSocketConnection : MessageConnection
{
    private const int InitialReceiveBuffer = 4096;
    private const int MaxFragmentsPerMessage = 64;

    private readonly WebSocket _socket;
    private readonly HttpContext _http;

    public WebSocketConnection(WebSocket socket, HttpContext http, ConnectionManager manager)
        : base("websocket", http.User, http.Connection.RemoteIpAddress?.ToString(), manager)
    {
        _socket = socket;
        _http = http;
    }

    /// <summary>Runs the connection until it closes; <paramref name="initial"/> is a route-bound subscription made before the upgrade.</summary>
    public async Task RunAsync(ISubscription? initial)
    {
        EnqueueReply(RealtimeProtocol.Welcome, buffer => ServerMessages.Welcome(buffer, Id, Manager.Broadcaster.CurrentPosition, Options));
        if (initial is not null)
        {
            EnqueueReply(RealtimeProtocol.Subscribed, buffer => ServerMessages.Subscribed(buffer, initial));
            Subscriptions.TryAdd(initial);
        }

        var sending = SendLoopAsync();
        try
        {
            await ReceiveLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            Close(WebSocketCloseStatus.NormalClosure, "Closing.", flush: false); // no-op when a close is already under way
            await sending.ConfigureAwait(false);
            DisposeLimits();
            Finish();
        }
    }
}
