using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.Support;

/// <summary>A real <see cref="ClientWebSocket"/> speaking the JSON protocol, with timeouts on every receive.</summary>
public sealed class ProtocolClient : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[1 << 20];

    private ProtocolClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public JsonElement Welcome { get; private set; }

    public static async Task<ProtocolClient> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null, bool readWelcome = true,
        HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(RealtimeProtocol.SubProtocol);
        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(uri, invoker, CancellationToken.None).WithTimeout();
        var client = new ProtocolClient(socket);
        if (readWelcome)
        {
            client.Welcome = await client.ReceiveAsync();
            Assert.Equal("welcome", client.Welcome.GetProperty("op").GetString());
        }

        return client;
    }

    public Task SendAsync(string json) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WithTimeout();

    public Task SendAsync(object message) => SendAsync(JsonSerializer.Serialize(message));

    /// <summary>Receives the next message; fails if it is a close or none arrives in time.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null)
    {
        var (type, text) = await ReceiveRawAsync(timeout);
        Assert.True(type == WebSocketMessageType.Text, $"Expected a text message, got {type} ({Socket.CloseStatus} {Socket.CloseStatusDescription}).");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Receives messages until one with <paramref name="op"/> arrives; returns the ones skipped too.</summary>
    public async Task<JsonElement> ReceiveOpAsync(string op, List<JsonElement>? skipped = null)
    {
        var progress = Stopwatch.StartNew();
        while (true)
        {
            var message = await ReceiveBesidesHeartbeatsAsync(progress, $"'{op}'");
            if (message.GetProperty("op").GetString() == op)
            {
                return message;
            }

            skipped?.Add(message);
        }
    }

    public async Task<(WebSocketMessageType Type, string Text)> ReceiveRawAsync(TimeSpan? timeout = null)
    {
        var length = 0;
        while (true)
        {
            var result = await Socket.ReceiveAsync(_buffer.AsMemory(length), CancellationToken.None).AsTask().WithTimeout(timeout);
            length += result.Count;
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, string.Empty);
            }

            if (result.EndOfMessage)
            {
                return (result.MessageType, Encoding.UTF8.GetString(_buffer, 0, length));
            }
        }
    }

    /// <summary>Reads until the server closes; returns the close status and description.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description, List<JsonElement> Messages)> ReceiveUntilClosedAsync(TimeSpan? timeout = null)
    {
        var messages = new List<JsonElement>();
        while (true)
        {
            (WebSocketMessageType type, string text) received;
            try
            {
                received = await ReceiveRawAsync(timeout);
            }
            catch (WebSocketException)
            {
                return (Socket.CloseStatus, Socket.CloseStatusDescription, messages);
            }

            if (received.type == WebSocketMessageType.Close)
            {
                if (Socket.State == WebSocketState.CloseReceived)
                {
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WithTimeout();
                }

                return (Socket.CloseStatus, Socket.CloseStatusDescription, messages);
            }

            messages.Add(JsonDocument.Parse(received.text).RootElement.Clone());
        }
    }

    /// <summary>Collects the events of a subscription (from <c>event</c> and <c>events</c> messages) until <paramref name="count"/> arrived.</summary>
    public async Task<List<JsonElement>> ReceiveEventsAsync(string subscriptionId, int count, List<JsonElement>? others = null)
    {
        var events = new List<JsonElement>();
        var progress = Stopwatch.StartNew();
        while (events.Count < count)
        {
            var message = await ReceiveBesidesHeartbeatsAsync(progress, $"event {events.Count + 1} of {count} of '{subscriptionId}'");
            var op = message.GetProperty("op").GetString();
            if (op == "event" && message.GetProperty("sub").GetString() == subscriptionId)
            {
                events.Add(message.GetProperty("event"));
            }
            else if (op == "events" && message.GetProperty("sub").GetString() == subscriptionId)
            {
                events.AddRange(message.GetProperty("events").EnumerateArray());
            }
            else
            {
                others?.Add(message);
            }
        }

        return events;
    }

    /// <summary>
    /// Receives the next message, heartbeats included, within the default timeout counted from <paramref name="progress"/>:
    /// the last message that was not a heartbeat. The server's heartbeat (every 15 s) would otherwise restart a
    /// per-message timeout forever, so a wait for something that never comes would hang instead of failing.
    /// </summary>
    private async Task<JsonElement> ReceiveBesidesHeartbeatsAsync(Stopwatch progress, string waitingFor)
    {
        var left = TaskTimeoutExtensions.DefaultTimeout - progress.Elapsed;
        if (left <= TimeSpan.Zero)
        {
            throw new TimeoutException($"Nothing but heartbeats for {TaskTimeoutExtensions.DefaultTimeout.TotalSeconds:0} s while waiting for {waitingFor}.");
        }

        var message = await ReceiveAsync(left);
        if (message.GetProperty("op").GetString() != RealtimeProtocol.Heartbeat)
        {
            progress.Restart();
        }

        return message;
    }

    public async Task<JsonElement> SubscribeAsync(string id, string[]? topics = null, string[]? types = null, string? resumeAfter = null,
        bool snapshot = false, string? minPriority = null)
    {
        await SendAsync(new { op = "subscribe", id, topics, types, resumeAfter, snapshot, minPriority });
        var reply = await ReceiveAsync();
        return reply;
    }

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
            }
        }

        Socket.Dispose();
    }
}
