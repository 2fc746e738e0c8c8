using System.Buffers;
using System.Net.WebSockets;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>The receive side: reads whole messages within the limits, handles them, and counts violations.</summary>
internal sealed partial class WebSocketConnection
{
    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                // Wait for the next message without a buffer (a zero-byte read, as SignalR does), so an idle connection
                // holds no receive buffer; one is rented only while a message is read and handled.
                var next = await _socket.ReceiveAsync(Memory<byte>.Empty, Aborted).ConfigureAwait(false);
                (Inbound Kind, int Length, byte[]? Buffer) received = next.MessageType == WebSocketMessageType.Close
                    ? (Inbound.Close, 0, null)
                    : await ReceiveMessageAsync(next).ConfigureAwait(false);
                var (kind, length, buffer) = received;
                try
                {
                    if (kind == Inbound.Close)
                    {
                        // A close frame without a status (a browser's plain ws.close()) is answered with 1000: "Empty" cannot carry a description.
                        var status = _socket.CloseStatus is { } given and not WebSocketCloseStatus.Empty ? given : WebSocketCloseStatus.NormalClosure;
                        Close(status, "Closed by the client.", flush: false);
                        return;
                    }

                    if (PendingClose is not null)
                    {
                        continue; // closing: wait for the client's close frame, ignore the rest
                    }

                    if (kind == Inbound.TooLarge)
                    {
                        Reject(null, ProtocolErrorCodes.MessageTooLarge, $"Messages may be at most {Options.MaxMessageBytes} bytes.");
                        CloseForAbuse(WebSocketCloseStatus.MessageTooBig, "Message too big.");
                        continue;
                    }

                    if (kind == Inbound.TooFragmented)
                    {
                        Reject(null, ProtocolErrorCodes.MalformedMessage, $"A message may have at most {MaxFragmentsPerMessage} fragments.");
                        CloseForAbuse(WebSocketCloseStatus.PolicyViolation, "Too many fragments.");
                        continue;
                    }

                    if (kind == Inbound.Binary)
                    {
                        Violation(null, ProtocolErrorCodes.BinaryNotSupported, "Binary frames are not supported: send JSON text frames.",
                            WebSocketCloseStatus.InvalidMessageType);
                    }
                    else
                    {
                        await HandleMessageAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                    }
                }
                finally
                {
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The client went away, the heartbeat timed out, or the close handshake was cut short: stop sending too.
            Abort();
        }
    }

    /// <summary>
    /// Reads the rest of the message whose first frame <paramref name="start"/> (a zero-byte read) announced, into a
    /// rented buffer with room for the largest allowed message plus one byte; beyond it, stops reading. The caller returns
    /// the buffer.
    /// </summary>
    /// <remarks>
    /// The runtime's WebSocket returns at most one frame per read, and splits a frame only when the space offered is
    /// smaller than what is left of it. Offering the whole allowance makes every read exactly one frame, so the fragment
    /// count is a count of frames (a buffer grown step by step split frames at each step, and a message of 64 frames
    /// could count 66); and never offering more than the allowance stops a frame that claims a huge length from keeping
    /// the read waiting for bytes beyond the limit.
    /// </remarks>
    private async ValueTask<(Inbound Kind, int Length, byte[] Buffer)> ReceiveMessageAsync(ValueWebSocketReceiveResult start)
    {
        var allowance = Options.MaxMessageBytes + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(allowance);
        var length = 0;
        var fragments = 0;
        var binary = start.MessageType == WebSocketMessageType.Binary;
        try
        {
            if (start.EndOfMessage)
            {
                return (binary ? Inbound.Binary : Inbound.Text, 0, buffer); // an empty message, whole already
            }

            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(length, allowance - length), Aborted).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (Inbound.Close, 0, buffer);
                }

                length += result.Count;
                binary |= result.MessageType == WebSocketMessageType.Binary;
                if (length > Options.MaxMessageBytes)
                {
                    return (Inbound.TooLarge, length, buffer);
                }

                if (++fragments > MaxFragmentsPerMessage)
                {
                    return (Inbound.TooFragmented, length, buffer);
                }

                if (result.EndOfMessage)
                {
                    return (binary ? Inbound.Binary : Inbound.Text, length, buffer);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer); // the read failed (client gone, aborted): the caller gets no buffer to return
            throw;
        }
    }

    private async ValueTask HandleMessageAsync(ReadOnlyMemory<byte> utf8Json)
    {
        if (CheckRate(null) is not null)
        {
            return;
        }

        var message = ClientMessageParser.Parse(utf8Json);
        if (!message.IsValid)
        {
            Violation(message.Id, message.ErrorCode!, message.ErrorMessage!);
            return;
        }

        switch (message.Op)
        {
            case RealtimeProtocol.Subscribe:
                await SubscribeAsync(message.Request!, _http.RequestServices).ConfigureAwait(false);
                break;
            case RealtimeProtocol.Unsubscribe:
                Unsubscribe(message.Id!);
                break;
            default:
                EnqueueReply(RealtimeProtocol.Pong, buffer => ServerMessages.Pong(buffer, message.Id, Manager.Broadcaster.CurrentPosition));
                break;
        }
    }

    private enum Inbound
    {
        Text,
        Binary,
        Close,
        TooLarge,
        TooFragmented,
    }
}
