using System.Net.WebSockets;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>The send side: one text frame per message, heartbeat messages, and the close handshake.</summary>
internal sealed partial class WebSocketConnection
{
    protected override ValueTask SendMessageAsync(string op, ReadOnlyMemory<byte> utf8Json, CancellationToken token) =>
        _socket.SendAsync(utf8Json, WebSocketMessageType.Text, endOfMessage: true, token);

    protected override ValueTask SendHeartbeatAsync(CancellationToken token) =>
        SendAsync(Protocol.RealtimeProtocol.Heartbeat, buffer => ServerMessages.Heartbeat(buffer, Manager.Broadcaster.CurrentPosition), token);

    protected override async ValueTask CloseTransportAsync(CloseRequest close)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        // Flushed: every subscription has everything up to the shutdown's position, so each can resume from the later of
        // it and its own last event. Not flushed: only the last event sent is known.
        var description = close.Description ?? (FlushedThrough ?? LastSentPosition)?.ToString() ?? string.Empty;
        await _socket.CloseOutputAsync(close.Status, description, Aborted).ConfigureAwait(false);
    }
}
