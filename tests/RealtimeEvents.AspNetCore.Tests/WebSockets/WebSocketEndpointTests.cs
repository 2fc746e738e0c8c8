using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.WebSockets;

public sealed class WebSocketEndpointTests
{
    private static EventDraft Progress(string topic, int i) =>
        new(EventTypes.Task.Progress, topic) { Data = EventData.From(new Dictionary<string, int> { ["i"] = i }) };

    [Fact]
    public async Task Connect_SendsWelcomeWithProtocolVersionPositionAndLimits()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxSubscriptionsPerConnection = 7);
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        Assert.Equal(RealtimeProtocol.SubProtocol, client.Socket.SubProtocol);
        var welcome = client.Welcome;
        Assert.Equal(1, welcome.GetProperty("protocol").GetInt32());
        Assert.StartsWith("c-", welcome.GetProperty("connectionId").GetString(), StringComparison.Ordinal);
        Assert.Equal(host.Broadcaster.CurrentPosition.ToString(), welcome.GetProperty("position").GetString());
        Assert.Equal(15000, welcome.GetProperty("heartbeatMs").GetInt64());
        Assert.Equal(7, welcome.GetProperty("limits").GetProperty("maxSubscriptions").GetInt32());
    }

    [Fact]
    public async Task Connect_WithoutSubprotocol_IsAccepted()
    {
        await using var host = await TestHost.StartAsync();
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(host.WebSocketUri(), CancellationToken.None).WithTimeout();
        Assert.Null(socket.SubProtocol);
        socket.Abort();
    }

    [Fact]
    public async Task Connect_WithOnlyUnknownSubprotocols_IsRefusedBeforeTheUpgrade()
    {
        await using var host = await TestHost.StartAsync();
        using var http = host.CreateHttpClient();
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-ws");
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(host.WebSocketUri(), CancellationToken.None).WithTimeout());
        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Subscribe_Receive_Unsubscribe()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        var subscribed = await client.SubscribeAsync("s1", topics: ["executions/*"]);
        Assert.Equal("subscribed", subscribed.GetProperty("op").GetString());
        Assert.Equal("s1", subscribed.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, subscribed.GetProperty("resume").ValueKind);

        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Execution.Started, "executions/e1"));
        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Execution.Started, "crews/c1")); // not matching
        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Execution.Completed, "executions/e1"));

        var events = await client.ReceiveEventsAsync("s1", 2);
        Assert.Equal(["execution.started", "execution.completed"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.True(events[1].GetProperty("seq").GetInt64() > events[0].GetProperty("seq").GetInt64());

        await client.SendAsync(new { op = "unsubscribe", id = "s1" });
        var unsubscribed = await client.ReceiveAsync();
        Assert.Equal("unsubscribed", unsubscribed.GetProperty("op").GetString());
        Assert.Equal("unsubscribed", unsubscribed.GetProperty("reason").GetString());

        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Execution.Failed, "executions/e1"));
        await client.SendAsync(new { op = "ping", id = "p1" });
        var pong = await client.ReceiveAsync(); // nothing of s1 comes before the pong
        Assert.Equal("pong", pong.GetProperty("op").GetString());
        Assert.Equal("p1", pong.GetProperty("id").GetString());
    }

    [Fact]
    public async Task AvailableEvents_AreSentInBatches_InOrder()
    {
        await using var host = await TestHost.StartAsync();
        var before = host.Broadcaster.CurrentPosition;
        for (var i = 0; i < 50; i++)
        {
            await host.Publisher.PublishAsync(Progress("tasks/t1", i));
        }

        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        var subscribed = await client.SubscribeAsync("s1", topics: ["tasks/t1"], resumeAfter: before.ToString());
        Assert.Equal("complete", subscribed.GetProperty("resume").GetString());

        var message = await client.ReceiveAsync();
        Assert.Equal("events", message.GetProperty("op").GetString()); // all 50 were available at once: one frame
        var events = message.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(50, events.Count);
        Assert.Equal(Enumerable.Range(0, 50), events.Select(e => e.GetProperty("data").GetProperty("i").GetInt32()));
    }

    [Fact]
    public async Task Batches_StayWithinTheByteBudget()
    {
        await using var host = await TestHost.StartAsync(o => o.SendBatchBytes = 2048);
        var before = host.Broadcaster.CurrentPosition;
        for (var i = 0; i < 40; i++)
        {
            await host.Publisher.PublishAsync(Progress("tasks/t1", i));
        }

        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s1", topics: ["tasks/t1"], resumeAfter: before.ToString());

        var received = 0;
        var frames = 0;
        while (received < 40)
        {
            var (_, text) = await client.ReceiveRawAsync();
            using var message = JsonDocument.Parse(text);
            received += message.RootElement.GetProperty("op").GetString() == "events" ? message.RootElement.GetProperty("events").GetArrayLength() : 1;
            frames++;
            Assert.True(text.Length < 2048 + 512, $"A frame of {text.Length} bytes exceeds the budget.");
        }

        Assert.True(frames > 1);
    }

    [Fact]
    public async Task Resume_AfterADroppedConnection_HasNoGapAndNoDuplicate()
    {
        await using var host = await TestHost.StartAsync();
        var first = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await first.SubscribeAsync("s1", topics: ["tasks/**"]);
        for (var i = 0; i < 10; i++)
        {
            await host.Publisher.PublishAsync(Progress("tasks/t1", i));
        }

        var seen = await first.ReceiveEventsAsync("s1", 10);
        var removed = host.WhenConnectionRemoved();
        first.Socket.Abort(); // the connection drops without a close handshake
        first.Socket.Dispose();
        await removed.WithTimeout();

        for (var i = 10; i < 25; i++)
        {
            await host.Publisher.PublishAsync(Progress("tasks/t1", i));
        }

        var last = seen[^1];
        var resumeAfter = $"{last.GetProperty("epoch").GetString()}:{last.GetProperty("seq").GetInt64()}";
        await using var second = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        var subscribed = await second.SubscribeAsync("s1", topics: ["tasks/**"], resumeAfter: resumeAfter);
        Assert.Equal("complete", subscribed.GetProperty("resume").GetString());
        for (var i = 25; i < 30; i++)
        {
            await host.Publisher.PublishAsync(Progress("tasks/t1", i));
        }

        var resumed = await second.ReceiveEventsAsync("s1", 20);
        Assert.Equal(Enumerable.Range(10, 20), resumed.Select(e => e.GetProperty("data").GetProperty("i").GetInt32()));
        var sequences = seen.Concat(resumed).Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range((int)sequences[0], 30).Select(s => (long)s), sequences);
    }

    [Fact]
    public async Task Resume_FromAnotherEpoch_SaysItCannotRecover()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        var subscribed = await client.SubscribeAsync("s1", topics: ["tasks/**"], resumeAfter: "someotherepoch:42");
        Assert.Equal("epoch_changed", subscribed.GetProperty("resume").GetString());
        var overflow = await client.ReceiveAsync();
        Assert.Equal("overflow", overflow.GetProperty("op").GetString());
        Assert.Equal("epoch_changed", overflow.GetProperty("reason").GetString());
        Assert.False(overflow.GetProperty("recoverable").GetBoolean());
    }

    [Fact]
    public async Task Snapshot_ComesWithSubscribed_ThenDeltas()
    {
        var provider = new StaticSnapshotProvider();
        await using var host = await TestHost.StartAsync(configure: builder => builder.Services.AddRealtimeEvents()
            .AddSnapshotProvider("executions/*", provider));
        provider.Broadcaster = host.Broadcaster;
        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Execution.Started, "executions/e1"));
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        var subscribed = await client.SubscribeAsync("s1", topics: ["executions/e1"], snapshot: true);
        var snapshot = Assert.Single(subscribed.GetProperty("snapshots").EnumerateArray());
        Assert.Equal("executions/e1", snapshot.GetProperty("topic").GetString());
        Assert.Equal("running", snapshot.GetProperty("state").GetProperty("status").GetString());

        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Execution.Completed, "executions/e1"));
        var delta = Assert.Single(await client.ReceiveEventsAsync("s1", 1));
        Assert.Equal("execution.completed", delta.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Heartbeat_IsSentOnAQuietConnection()
    {
        await using var host = await TestHost.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.HeartbeatTimeout = TimeSpan.FromSeconds(10);
        });
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        var heartbeat = await client.ReceiveAsync();
        Assert.Equal("heartbeat", heartbeat.GetProperty("op").GetString());
        Assert.Equal(host.Broadcaster.CurrentPosition.ToString(), heartbeat.GetProperty("position").GetString());
    }

    [Fact]
    public async Task SilentClient_IsClosedAfterTheHeartbeatTimeout_AndCleanedUp()
    {
        await using var host = await TestHost.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.HeartbeatTimeout = TimeSpan.FromMilliseconds(300);
        });
        var removed = host.WhenConnectionRemoved();
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(RealtimeProtocol.SubProtocol);
        await socket.ConnectAsync(host.WebSocketUri(), CancellationToken.None).WithTimeout();
        // Never receiving means never answering the server's pings.

        var connection = await removed.WithTimeout();
        Assert.Equal("websocket", connection.Transport);
        Assert.Empty(host.Connections.Connections);
    }

    [Fact]
    public async Task Shutdown_FlushesQueuedEvents_ThenClosesWith1001AndTheLastPosition()
    {
        var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s1", topics: ["tasks/**"]);
        RealtimeEvent? last = null;
        for (var i = 0; i < 100; i++)
        {
            last = await host.Publisher.PublishAsync(Progress("tasks/t1", i));
        }

        var stopping = host.DisposeAsync().AsTask();
        var (status, description, messages) = await client.ReceiveUntilClosedAsync();
        await stopping.WithTimeout();

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        var events = messages.Where(m => m.GetProperty("op").GetString() is "event" or "events")
            .SelectMany(m => m.GetProperty("op").GetString() == "event" ? [m.GetProperty("event")] : m.GetProperty("events").EnumerateArray().ToArray())
            .ToList();
        Assert.Equal(100, events.Count);
        Assert.Equal(last!.Position.ToString(), description);
    }

    [Fact]
    public async Task ClientClose_WithoutAStatus_IsAnsweredWithANormalClose_AndCleanedUp()
    {
        await using var host = await TestHost.StartAsync();
        var removed = host.WhenConnectionRemoved();
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port).WithTimeout();
        var stream = tcp.GetStream();
        var handshake = $"GET /realtime/ws HTTP/1.1\r\nHost: {host.BaseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(handshake)).AsTask().WithTimeout();
        var reader = new RawFrameReader(stream);
        await reader.ReadHeadersAsync();
        Assert.Equal(0x1, (await reader.ReadFrameAsync()).Opcode); // welcome

        // What a browser's ws.close() sends: a masked close frame with no status code.
        await stream.WriteAsync(new byte[] { 0x88, 0x80, 1, 2, 3, 4 }).AsTask().WithTimeout();
        var close = await reader.ReadFrameAsync();

        Assert.Equal(0x8, close.Opcode);
        Assert.Equal(1000, (close.Payload[0] << 8) | close.Payload[1]);
        await removed.WithTimeout();
    }

    /// <summary>Reads the server's (unmasked) frames from a raw socket, for what ClientWebSocket cannot send.</summary>
    private sealed class RawFrameReader(System.IO.Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task ReadHeadersAsync()
        {
            while (true)
            {
                var text = System.Text.Encoding.ASCII.GetString(_buffer, 0, _end);
                var headersEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (headersEnd >= 0)
                {
                    Assert.StartsWith("HTTP/1.1 101", text, StringComparison.Ordinal);
                    _start = headersEnd + 4;
                    return;
                }

                await FillAsync();
            }
        }

        public async Task<(int Opcode, byte[] Payload)> ReadFrameAsync()
        {
            while (true)
            {
                var available = _end - _start;
                if (available >= 2)
                {
                    var length = _buffer[_start + 1] & 0x7F;
                    var header = 2;
                    if (length == 126 && available >= 4)
                    {
                        length = (_buffer[_start + 2] << 8) | _buffer[_start + 3];
                        header = 4;
                    }

                    if (length != 126 && available >= header + length)
                    {
                        var opcode = _buffer[_start] & 0x0F;
                        var payload = _buffer.AsSpan(_start + header, length).ToArray();
                        _start += header + length;
                        return (opcode, payload);
                    }
                }

                await FillAsync();
            }
        }

        private async Task FillAsync()
        {
            var read = await stream.ReadAsync(_buffer.AsMemory(_end)).AsTask().WithTimeout();
            Assert.True(read > 0, "The server closed the connection.");
            _end += read;
        }
    }

    [Fact]
    public async Task ConnectionLimit_Refuses503BeforeTheUpgrade_AndExistingClientsAreUnaffected()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxConnections = 2);
        await using var a = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await using var b = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await a.SubscribeAsync("s1", topics: ["tasks/**"]);

        using var refused = new ClientWebSocket();
        refused.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(host.WebSocketUri(), CancellationToken.None).WithTimeout());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.HttpStatusCode);

        await host.Publisher.PublishAsync(Progress("tasks/t1", 1));
        Assert.Single(await a.ReceiveEventsAsync("s1", 1));
    }

    private sealed class StaticSnapshotProvider(IEventBroadcaster? broadcaster = null) : ISnapshotProvider
    {
        public IEventBroadcaster? Broadcaster { get; set; } = broadcaster;

        public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken) =>
            new(new EventSnapshot(topic, EventData.FromJson("""{"status":"running"}"""), Broadcaster!.CurrentPosition));
    }
}
