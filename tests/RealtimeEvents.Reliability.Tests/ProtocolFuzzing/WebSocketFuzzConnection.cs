using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// A <see cref="RawWebSocket"/> that has read its <c>welcome</c> and sorts what the server sends into what a fuzz input
/// is judged on: replies (<c>subscribed</c>, <c>error</c>, <c>pong</c>, <c>unsubscribed</c> answering an
/// <c>unsubscribe</c>), pong frames, and the end (a close frame, or the TCP connection dropped). Data messages
/// (<c>event</c>, <c>events</c>, <c>overflow</c>, <c>heartbeat</c>, an <c>unsubscribed</c> the server sent on its own)
/// are counted and skipped.
/// </summary>
internal sealed class WebSocketFuzzConnection : IAsyncDisposable
{
    private readonly RawWebSocket _socket;

    private WebSocketFuzzConnection(RawWebSocket socket, JsonElement welcome)
    {
        _socket = socket;
        Welcome = welcome;
    }

    public RawWebSocket Socket => _socket;

    public JsonElement Welcome { get; }

    /// <summary>Gets how many data messages were skipped.</summary>
    public long DataMessages { get; private set; }

    /// <summary>Gets how the connection ended, once it did.</summary>
    public ServerEnd? End { get; private set; }

    public static async Task<WebSocketFuzzConnection> ConnectAsync(TestHost host, Random random, CancellationToken cancellationToken)
    {
        var socket = await RawWebSocket.ConnectAsync(host.BaseAddress, random, cancellationToken: cancellationToken);
        var first = await socket.ReadFrameAsync(cancellationToken);
        if (first is not { Opcode: RawWebSocket.Text } || JsonDocument.Parse(first.Payload).RootElement.GetProperty("op").GetString() != "welcome")
        {
            await socket.DisposeAsync();
            throw new InvalidOperationException($"Expected welcome, got {Describe(first)}.");
        }

        return new WebSocketFuzzConnection(socket, JsonDocument.Parse(first.Payload).RootElement.Clone());
    }

    /// <summary>
    /// Reads until the next reply, pong frame or end; data messages are skipped. After the end, returns the end again.
    /// </summary>
    public async Task<ServerOutput> ReadAsync(CancellationToken cancellationToken)
    {
        while (End is null)
        {
            var frame = await _socket.ReadFrameAsync(cancellationToken);
            if (frame is null)
            {
                End = new ServerEnd(null, null);
                break;
            }

            switch (frame.Opcode)
            {
                case RawWebSocket.Close:
                    End = new ServerEnd(frame.CloseStatus, frame.CloseDescription);
                    break;
                case RawWebSocket.Pong:
                    return new ServerOutput(null, frame.Payload, null);
                case RawWebSocket.Text:
                    var message = JsonDocument.Parse(frame.Payload).RootElement.Clone();
                    var op = message.GetProperty("op").GetString();
                    var isReply = op is "subscribed" or "error" or "pong"
                        || (op == "unsubscribed" && message.GetProperty("reason").GetString() == "unsubscribed");
                    if (isReply)
                    {
                        return new ServerOutput(message, null, null);
                    }

                    DataMessages++;
                    break;
                default:
                    throw new InvalidDataException($"Unexpected server frame: {Describe(frame)}");
            }
        }

        return new ServerOutput(null, null, End);
    }

    /// <summary>
    /// After the server's close frame: answers it (as a client must) and waits until the server drops the TCP connection.
    /// Returns whether it did so in time.
    /// </summary>
    public async Task<bool> FinishCloseAsync(CancellationToken cancellationToken)
    {
        if (End is { Status: { } status })
        {
            try
            {
                _socket.AppendClose(status == 1005 ? 1000 : status);
                await _socket.FlushAsync(cancellationToken);
            }
            catch (IOException)
            {
                // Already dropped by the server.
            }
        }

        try
        {
            while (await _socket.ReadFrameAsync(cancellationToken) is not null)
            {
                // Nothing may follow a close frame; a frame here would be read and dropped, and the TCP end awaited.
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    public static string Describe(ServerFrame? frame) => frame switch
    {
        null => "the end of the TCP stream",
        { Opcode: RawWebSocket.Text } => frame.Text,
        { Opcode: RawWebSocket.Close } => $"close {frame.CloseStatus} '{frame.CloseDescription}'",
        _ => $"opcode {frame.Opcode} with {frame.Payload.Length} bytes",
    };
}

/// <summary>One thing the server sent that a fuzz input is judged on: a reply, a pong frame's payload, or the end.</summary>
internal sealed record ServerOutput(JsonElement? Reply, byte[]? PongFrame, ServerEnd? End)
{
    public override string ToString() =>
        Reply is { } reply ? reply.GetRawText()
        : PongFrame is { } pong ? $"pong frame ({pong.Length} bytes)"
        : End!.ToString();
}

/// <summary>How the server ended a connection: a close frame's status and description, or none (TCP dropped, <c>Status</c> null).</summary>
internal sealed record ServerEnd(int? Status, string? Description)
{
    public override string ToString() => Status is null ? "abort (no close frame)" : $"close {Status} '{Description}'";
}
