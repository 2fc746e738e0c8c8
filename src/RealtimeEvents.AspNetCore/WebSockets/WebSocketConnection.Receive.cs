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
    /// rented buffer grown up to the size limit plus one byte; beyond it, stops reading. The caller returns the buffer.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The buffer starts small and grows with what the client actually sent, so a client that announces a message and
    /// stalls pins little memory. No read offers more than the allowance: a frame that claims a huge length gets
    /// <c>message_too_large</c> as soon as one byte past the limit arrived, instead of the read waiting for bytes beyond it.
    /// </para>
    /// <para>
    /// The runtime's WebSocket returns at most one frame per read. A read that filled all the space offered may have
    /// stopped inside a frame, so the read after it is not counted as a new fragment: growing the buffer never makes 64
    /// fragments count as more (it made a message of 64 frames count 66). The count errs on the lenient side only: a
    /// frame that ended exactly at the end of the space offered makes the next frame go uncounted.
    /// </para>
    /// </remarks>
    private async ValueTask<(Inbound Kind, int Length, byte[] Buffer)> ReceiveMessageAsync(ValueWebSocketReceiveResult start)
    {
        var allowance = Options.MaxMessageBytes + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBuffer, allowance));
        var length = 0;
        var fragments = 0;
        var frameMayContinue = false;
        var binary = start.MessageType == WebSocketMessageType.Binary;
        try
        {
            if (start.EndOfMessage)
            {
                return (binary ? Inbound.Binary : Inbound.Text, 0, buffer); // an empty message, whole already
            }

            while (true)
            {
                if (length == buffer.Length)
                {
                    // Room for more: length is at most MaxMessageBytes here, below the allowance.
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, allowance));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var offered = Math.Min(buffer.Length, allowance) - length;
                var result = await _socket.ReceiveAsync(buffer.AsMemory(length, offered), Aborted).ConfigureAwait(false);
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

                if (!frameMayContinue && ++fragments > MaxFragmentsPerMessage)
                {
                    return (Inbound.TooFragmented, length, buffer);
                }

                frameMayContinue = result.Count == offered && !result.EndOfMessage;
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
