using System.Net;
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
/// <remarks>The environments' own settings apply: node A numbers its executions exec-a-1, ..., node B exec-b-1, ....</remarks>
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
        await WaitUntilHealthyAsync(http, httpB);

        using var onA = await ConnectAsync(_nodeA.BaseAddress);
        using var onB = await ConnectAsync(_nodeB.BaseAddress);

        var id = await StartAsync(http, "two-nodes", agents: 1);
        var topic = $"executions/{id}";

        var seenOnA = await ReadUntilCompletedAsync(onA, topic);
        var seenOnB = await ReadUntilCompletedAsync(onB, topic);

        Assert.Equal("execution.started", seenOnA[0].Type);
        AssertSameEvents(seenOnA, seenOnB);
        Assert.Equal(seenOnA.Select(e => e.Seq).Order(), seenOnA.Select(e => e.Seq));
        Assert.Single(seenOnA.Select(e => e.Epoch).Distinct());
    }

    [Fact]
    public async Task AnExecutionRunningOnNodeA_IsInTheSnapshotOfADashboardOpenedLaterOnNodeB_AndEachNodeHasItsOwnIds()
    {
        using var http = _nodeA!.CreateHttpClient();
        using var httpB = _nodeB!.CreateHttpClient();
        await WaitUntilHealthyAsync(http, httpB);

        var id = await StartAsync(http, "before-the-page", agents: 2);
        var idB = await StartAsync(httpB, "on-node-b", agents: 1);
        // Node B's engine does not run it: node B's API answers from the state node B built from the stream. Wait until
        // that state has progress in it, so the snapshot below has to carry what happened before the page subscribed.
        var onNodeB = await Eventually.ReadUntilAsync(
            () => TryGetAsync(httpB, id),
            e => e is { } state && state.GetProperty("percent").GetDouble() > 0 && state.GetProperty("agents").GetArrayLength() == 2,
            $"node B knowing {id}, its agents and progress");
        using var cancelOnB = await httpB.PostAsync($"/api/executions/{id}/cancel", content: null).WithTimeout();
        var cancelProblem = await cancelOnB.Content.ReadFromJsonAsync<JsonElement>().WithTimeout();

        var (dashboard, subscribed) = await ConnectAsync(_nodeB.BaseAddress, """{"op":"subscribe","id":"dashboard","topics":["executions/**"],"snapshot":true}""");
        using (dashboard)
        {
            var snapshot = Assert.Single(subscribed.GetProperty("snapshots").EnumerateArray());
            var position = EventPosition.Parse(snapshot.GetProperty("position").GetString()!);
            var executions = snapshot.GetProperty("state").GetProperty("executions").EnumerateArray().ToList();
            var inSnapshot = Assert.Single(executions, e => e.GetProperty("id").GetString() == id);
            var seenAfter = await ReadUntilCompletedAsync(dashboard, $"executions/{id}");

            Assert.Matches("^exec-a-[0-9]+$", id);
            Assert.Matches("^exec-b-[0-9]+$", idB);
            Assert.Equal("running", onNodeB!.Value.GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.NotFound, cancelOnB.StatusCode);
            Assert.Contains("another node", cancelProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal("complete", subscribed.GetProperty("resume").GetString());
            Assert.Equal(position.ToString(), subscribed.GetProperty("position").GetString());
            Assert.Equal("running", inSnapshot.GetProperty("status").GetString());
            Assert.Equal("before-the-page", inSnapshot.GetProperty("workflow").GetString());
            Assert.True(inSnapshot.GetProperty("percent").GetDouble() > 0, $"The snapshot should hold the progress made before the page subscribed: {inSnapshot}");
            Assert.Equal(["agent-1", "agent-2"], inSnapshot.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
            Assert.NotEmpty(seenAfter);
            Assert.All(seenAfter, e => Assert.Equal(position.Epoch, e.Epoch));
            Assert.All(seenAfter, e => Assert.True(e.Seq > position.Sequence, $"{e} is at or before the snapshot's position {position}"));
            Assert.DoesNotContain(seenAfter, e => e.Type == "execution.started"); // it is in the snapshot, not after it
        }
    }

    /// <summary>
    /// Both nodes delivered the same events at the same positions. A subscription's queue may replace an event that waits
    /// there with a newer one of the same conflation key (task.progress, the protocol's "Ordering guarantees"), so a busy
    /// machine can show one node's socket an event the other's skipped: such an event must have a conflation key, and the
    /// side that lacks it must have a later event with the same key.
    /// </summary>
    private static void AssertSameEvents(List<Seen> onA, List<Seen> onB)
    {
        Assert.Equal(onA.Where(e => e.ConflationKey is null), onB.Where(e => e.ConflationKey is null));
        Assert.Equal(onA.Intersect(onB), onB.Intersect(onA)); // the events both delivered (type, id and position), in the same order
        foreach (var (side, other) in new[] { (onA, onB), (onB, onA) })
        {
            foreach (var missing in side.Except(other))
            {
                Assert.True(
                    missing.ConflationKey is { } key && other.Any(e => e.ConflationKey == key && e.Seq > missing.Seq),
                    $"{missing} reached one node's dashboard and not the other's, and no later event replaced it.");
            }
        }
    }

    private static async Task WaitUntilHealthyAsync(params HttpClient[] nodes)
    {
        foreach (var client in nodes)
        {
            var health = await Eventually.ReadUntilAsync(() => client.GetStringAsync("/health"), h => h == "Healthy", "the node attached to the stream");
            Assert.Equal("Healthy", health);
        }
    }

    private static async Task<string> StartAsync(HttpClient http, string workflow, int agents)
    {
        using var response = await http.PostAsJsonAsync("/api/executions", new { workflow, agents }).WithTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>().WithTimeout()).GetProperty("id").GetString()!;
    }

    /// <summary>Reads an execution from a node's API; null while the node does not know it.</summary>
    private static async Task<JsonElement?> TryGetAsync(HttpClient http, string id)
    {
        using var response = await http.GetAsync($"/api/executions/{id}").WithTimeout();
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Content.ReadFromJsonAsync<JsonElement>().WithTimeout();
    }

    /// <summary>Opens a WebSocket to the node and subscribes to every execution's events from now on.</summary>
    private static async Task<ClientWebSocket> ConnectAsync(Uri node) =>
        (await ConnectAsync(node, """{"op":"subscribe","id":"all","topics":["executions/**"]}""")).Socket;

    /// <summary>Opens a WebSocket to the node, subscribes, and returns the socket with the server's "subscribed" answer.</summary>
    private static async Task<(ClientWebSocket Socket, JsonElement Subscribed)> ConnectAsync(Uri node, string subscribe)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(new Uri(node, "/realtime/ws")) { Scheme = "ws" }.Uri, CancellationToken.None).WithTimeout();
        await SendAsync(socket, subscribe);
        while (true)
        {
            using var message = await ReceiveAsync(socket);
            if (message.RootElement.GetProperty("op").GetString() == "subscribed")
            {
                return (socket, message.RootElement.Clone());
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
                    var item = new Seen(evt.GetProperty("type").GetString()!, evt.GetProperty("epoch").GetString()!, evt.GetProperty("seq").GetInt64(), evt.GetProperty("id").GetString()!,
                        evt.TryGetProperty("conflationKey", out var key) ? key.GetString() : null);
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

    private sealed record Seen(string Type, string Epoch, long Seq, string Id, string? ConflationKey);
}
