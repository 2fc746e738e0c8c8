using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RealtimeEvents.SampleHost.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SampleHost.Tests.TwoNodes;

/// <summary>
/// The README's two-node configuration: the sample started twice, as NodeA and NodeB (appsettings.NodeA/NodeB.json),
/// on the test broker (REALTIME_RABBITMQ_URI, started by tests/run.sh) and a stream of this test's own.
/// </summary>
public sealed class TwoNodeSampleTests : IAsyncLifetime
{
    private readonly string _stream = "sample-two-nodes-" + Guid.NewGuid().ToString("N");
    private SampleHostFixture? _nodeA;
    private SampleHostFixture? _nodeB;

    private static string BrokerUri => Environment.GetEnvironmentVariable("REALTIME_RABBITMQ_URI") is { Length: > 0 } uri
        ? uri
        : throw new InvalidOperationException("REALTIME_RABBITMQ_URI is not set: run the tests with 'bash tests/run.sh', which starts a RabbitMQ broker for them.");

    public async Task InitializeAsync()
    {
        string[] rabbit = [$"--RealtimeEvents:RabbitMq:ConnectionString={BrokerUri}", $"--RealtimeEvents:RabbitMq:StreamName={_stream}"];
        _nodeA = new SampleHostFixture("NodeA", [.. SampleHostFixture.SimulatorArguments, .. rabbit]);
        _nodeB = new SampleHostFixture("NodeB", [.. SampleHostFixture.SimulatorArguments, .. rabbit]);
        await Task.WhenAll(_nodeA.InitializeAsync(), _nodeB.InitializeAsync());
    }

    public async Task DisposeAsync()
    {
        if (_nodeA is not null)
        {
            await _nodeA.DisposeAsync();
        }

        if (_nodeB is not null)
        {
            await _nodeB.DisposeAsync();
        }

        var factory = new global::RabbitMQ.Client.ConnectionFactory { Uri = new Uri(BrokerUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(_stream, ifUnused: false, ifEmpty: false);
    }

    [Fact]
    public async Task AnExecutionStartedOnNodeA_ReachesDashboardsOnBothNodes_WithTheSamePositions()
    {
        using var http = _nodeA!.CreateHttpClient();
        using var httpB = _nodeB!.CreateHttpClient();
        foreach (var client in new[] { http, httpB })
        {
            var health = await Eventually.ReadUntilAsync(() => client.GetStringAsync("/health"), h => h == "Healthy", "the node attached to the stream");
            Assert.Equal("Healthy", health);
        }

        using var onA = await ConnectAsync(_nodeA.BaseAddress);
        using var onB = await ConnectAsync(_nodeB.BaseAddress);

        using var response = await http.PostAsJsonAsync("/api/executions", new { workflow = "two-nodes", agents = 1 }).WithTimeout();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var topic = $"executions/{id}";

        var seenOnA = await ReadUntilCompletedAsync(onA, topic);
        var seenOnB = await ReadUntilCompletedAsync(onB, topic);

        Assert.Equal("execution.started", seenOnA[0].Type);
        Assert.Equal(seenOnA, seenOnB);
        Assert.Equal(seenOnA.Select(e => e.Seq).Order(), seenOnA.Select(e => e.Seq));
        Assert.Single(seenOnA.Select(e => e.Epoch).Distinct());
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri node)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(new Uri(node, "/realtime/ws")) { Scheme = "ws" }.Uri, CancellationToken.None).WithTimeout();
        await SendAsync(socket, """{"op":"subscribe","id":"all","topics":["executions/**"]}""");
        while (true)
        {
            using var message = await ReceiveAsync(socket);
            if (message.RootElement.GetProperty("op").GetString() == "subscribed")
            {
                return socket;
            }
        }
    }

    private static async Task<List<Seen>> ReadUntilCompletedAsync(ClientWebSocket socket, string topic)
    {
        var seen = new List<Seen>();
        while (true)
        {
            using var message = await ReceiveAsync(socket);
            var root = message.RootElement;
            var op = root.GetProperty("op").GetString();
            IEnumerable<JsonElement> events = op switch
            {
                "event" => [root.GetProperty("event")],
                "events" => root.GetProperty("events").EnumerateArray(),
                "overflow" => throw new InvalidOperationException("Unexpected overflow: " + root),
                _ => [],
            };
            foreach (var evt in events)
            {
                var eventTopic = evt.GetProperty("topic").GetString()!;
                if (eventTopic == topic || eventTopic.StartsWith(topic + "/", StringComparison.Ordinal))
                {
                    var item = new Seen(evt.GetProperty("type").GetString()!, evt.GetProperty("epoch").GetString()!, evt.GetProperty("seq").GetInt64(), evt.GetProperty("id").GetString()!);
                    seen.Add(item);
                    if (item.Type == "execution.completed" && eventTopic == topic)
                    {
                        return seen;
                    }
                }
            }
        }
    }

    private static Task SendAsync(ClientWebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WithTimeout();

    private static async Task<JsonDocument> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var stream = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None).WithTimeout();
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("The server closed the WebSocket.");
            }

            stream.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(stream.ToArray());
            }
        }
    }

    private sealed record Seen(string Type, string Epoch, long Seq, string Id);
}
