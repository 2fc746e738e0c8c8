using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Support;

/// <summary>
/// A real <see cref="ClientWebSocket"/> speaking the JSON protocol (docs/protocol.md), with a timeout on every receive.
/// The same idea as the WebSocket tests' ProtocolClient, kept here so this project needs no link to that one.
/// </summary>
internal sealed class WsTestClient : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[1 << 20];

    private WsTestClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public JsonElement Welcome { get; private set; }

    /// <summary>Connects (offering the protocol's subprotocol) and reads the <c>welcome</c>.</summary>
    public static async Task<WsTestClient> ConnectAsync(Uri uri)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(RealtimeProtocol.SubProtocol);
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None).WithTimeout();
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new WsTestClient(socket);
        client.Welcome = await client.ReceiveAsync();
        Assert.Equal("welcome", client.Welcome.GetProperty("op").GetString());
        return client;
    }

    public Task SendAsync(object message) =>
        Socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WithTimeout();

    /// <summary>Sends <c>subscribe</c> and returns the reply (<c>subscribed</c> or <c>error</c>).</summary>
    public async Task<JsonElement> SubscribeAsync(string id, string[]? topics = null, string? resumeAfter = null)
    {
        await SendAsync(new { op = "subscribe", id, topics, resumeAfter });
        var reply = await ReceiveAsync();
        Assert.True(reply.GetProperty("op").GetString() == "subscribed", $"Expected subscribed, got {reply}");
        Assert.Equal(id, reply.GetProperty("id").GetString());
        return reply;
    }

    /// <summary>Receives the next message; fails on a close, or when none arrives in time.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null)
    {
        var length = 0;
        while (true)
        {
            var result = await Socket.ReceiveAsync(_buffer.AsMemory(length), CancellationToken.None).AsTask().WithTimeout(timeout);
            Assert.True(result.MessageType == WebSocketMessageType.Text,
                $"Expected a text message, got {result.MessageType} ({Socket.CloseStatus} {Socket.CloseStatusDescription}).");
            length += result.Count;
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(Encoding.UTF8.GetString(_buffer, 0, length)).RootElement.Clone();
            }
        }
    }

    /// <summary>
    /// Collects the events of subscription <paramref name="sub"/> (from <c>event</c> and <c>events</c>) until one with a
    /// sequence of at least <paramref name="untilSeq"/> arrived; every other message goes to <paramref name="others"/>
    /// (<c>heartbeat</c> excepted). Fails when that takes longer than <paramref name="timeout"/> in all.
    /// </summary>
    public async Task<List<JsonElement>> ReceiveEventsUntilAsync(string sub, long untilSeq, List<JsonElement> others, TimeSpan? timeout = null)
    {
        var events = new List<JsonElement>();
        using var deadline = new CancellationTokenSource(timeout ?? TaskTimeoutExtensions.DefaultTimeout);
        while (events.Count == 0 || Seq(events[^1]) < untilSeq)
        {
            JsonElement message;
            try
            {
                message = await ReceiveAsync().WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Received {events.Count} events up to seq {(events.Count > 0 ? Seq(events[^1]) : -1)} before the timeout, waiting for seq {untilSeq}; others: [{string.Join(", ", others)}]");
            }

            var op = message.GetProperty("op").GetString();
            if (op == "event" && message.GetProperty("sub").GetString() == sub)
            {
                events.Add(message.GetProperty("event"));
            }
            else if (op == "events" && message.GetProperty("sub").GetString() == sub)
            {
                events.AddRange(message.GetProperty("events").EnumerateArray());
            }
            else if (op != "heartbeat")
            {
                others.Add(message);
            }
        }

        return events;
    }

    /// <summary>Closes from the client side with a full close handshake.</summary>
    public async Task CloseAsync()
    {
        await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "going away for a while", CancellationToken.None).WithTimeout();
        Assert.Equal(WebSocketState.Closed, Socket.State);
    }

    public static long Seq(JsonElement evt) => evt.GetProperty("seq").GetInt64();

    public static string Position(JsonElement evt) => $"{evt.GetProperty("epoch").GetString()}:{Seq(evt)}";

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WithTimeout(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is WebSocketException or TimeoutException)
            {
                // the server went away first; nothing to close
            }
        }

        Socket.Dispose();
    }
}
