using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Integration;

/// <summary>
/// Two nodes (two Kestrel hosts on 127.0.0.1) sharing one stream on the test broker, with real WebSocket clients: an
/// event's position is the same on every node, and a client resumes on another node than the one it left.
/// </summary>
public sealed class TwoNodeTests : IAsyncLifetime
{
    private const string Topics = "tasks/**";
    private readonly string _stream = TestBroker.NewStreamName("two-nodes");

    [Fact]
    public async Task ClientOnNodeB_ReceivesEventsPublishedOnNodeA_InOrder_AtThePositionsPublishAsyncReturned()
    {
        await using var a = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream);
        await using var b = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream);
        Assert.Equal(a.Broadcaster.CurrentPosition.Epoch, b.Broadcaster.CurrentPosition.Epoch);
        await using var client = await ProtocolClient.ConnectAsync(b.WebSocketUri);
        var subscribed = await client.SubscribeOkAsync("s", [Topics]);
        Assert.Equal(JsonValueKind.Null, subscribed.GetProperty("resume").ValueKind);

        var published = new List<RealtimeEvent>();
        for (var i = 0; i < 25; i++)
        {
            published.Add(await a.Broadcaster.PublishAsync(Step("tasks/t1", i)).WithTimeout());
        }

        var others = new List<JsonElement>();
        var received = await client.ReceiveEventsUntilAsync("s", published[^1].Position.Sequence, others);

        Assert.Empty(others);
        AssertIncreasing(published.Select(e => e.Position.Sequence));
        Assert.All(published, e => Assert.Equal(published[0].Position.Epoch, e.Position.Epoch));
        Assert.Equal(published.Select(e => e.Position.ToString()), received.Select(ProtocolClientExtensions.Position));
        Assert.Equal(published.Select(e => e.Id), received.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(Enumerable.Range(0, 25), received.Select(e => e.GetProperty("data").GetProperty("i").GetInt32()));
    }

    [Fact]
    public async Task ClientThatLeftNodeA_ResumesOnNodeB_WithEveryMissedEventOnce_ThenLiveEvents()
    {
        await using var a = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream);
        await using var b = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream);

        var lastSeen = await ReceiveSomeThenLeaveAsync(a, [a, b]);

        // While the client is away: events on both nodes, interleaved, some on a topic it does not want.
        var missed = new List<RealtimeEvent>();
        for (var i = 100; i < 116; i++)
        {
            var node = i % 2 == 0 ? a : b;
            missed.Add(await node.Broadcaster.PublishAsync(Step(i % 4 == 3 ? "other/x" : "tasks/t1", i)).WithTimeout());
        }

        await ResumeAndAssertAsync(b, lastSeen, missed, [a, b]);
    }

    [Fact]
    public async Task ClientThatLeftNodeA_ResumesOnNodeBStartedAfterwards_WhichReadsTheMissedEventsFromTheStream()
    {
        await using var a = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream);
        var lastSeen = await ReceiveSomeThenLeaveAsync(a, [a]);

        // Missed before node B exists, so they are in the stream but not in B's memory; more than B's replay page holds,
        // some on a topic the client does not want.
        var missed = new List<RealtimeEvent>();
        for (var i = 100; i < 140; i++)
        {
            missed.Add(await a.Broadcaster.PublishAsync(Step(i % 5 == 4 ? "other/x" : "tasks/t1", i)).WithTimeout());
        }

        await using var b = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream, core: o => o.ReplayPageSize = 8);
        // B's tail starts at the stream's end, so its memory begins after every missed event.
        Assert.True(b.Broadcaster.CurrentPosition.Sequence >= missed[^1].Position.Sequence,
            $"Node B attached at {b.Broadcaster.CurrentPosition}, before the last missed event {missed[^1].Position}.");

        await ResumeAndAssertAsync(b, lastSeen, missed, [a, b]);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => TestBroker.DeleteStreamAsync(_stream);

    /// <summary>A client on <paramref name="node"/> receives events published on <paramref name="publishers"/> in turn, then closes; returns the last one.</summary>
    private static async Task<JsonElement> ReceiveSomeThenLeaveAsync(RabbitMqNode node, RabbitMqNode[] publishers)
    {
        await using var client = await ProtocolClient.ConnectAsync(node.WebSocketUri);
        await client.SubscribeOkAsync("s", [Topics]);
        var published = new List<RealtimeEvent>();
        for (var i = 0; i < 6; i++)
        {
            published.Add(await publishers[i % publishers.Length].Broadcaster.PublishAsync(Step("tasks/t1", i)).WithTimeout());
        }

        var others = new List<JsonElement>();
        var received = await client.ReceiveEventsUntilAsync("s", published[^1].Position.Sequence, others);
        Assert.Empty(others);
        Assert.Equal(published.Select(e => e.Position.ToString()), received.Select(ProtocolClientExtensions.Position));
        await client.CloseAsync();
        return received[^1];
    }

    /// <summary>
    /// A new client on <paramref name="node"/> resumes after <paramref name="lastSeen"/>: the resume is complete, then
    /// it gets exactly the matching <paramref name="missed"/> events and the live ones published after, in order, once.
    /// </summary>
    private static async Task ResumeAndAssertAsync(RabbitMqNode node, JsonElement lastSeen, List<RealtimeEvent> missed, RabbitMqNode[] publishers)
    {
        await using var client = await ProtocolClient.ConnectAsync(node.WebSocketUri);
        var resumeAfter = ProtocolClientExtensions.Position(lastSeen);
        var subscribed = await client.SubscribeOkAsync("s", [Topics], resumeAfter: resumeAfter);
        Assert.Equal("complete", subscribed.GetProperty("resume").GetString());
        Assert.Equal(resumeAfter, subscribed.GetProperty("position").GetString());

        var live = new List<RealtimeEvent>();
        for (var i = 200; i < 206; i++)
        {
            live.Add(await publishers[i % publishers.Length].Broadcaster.PublishAsync(Step("tasks/t1", i)).WithTimeout());
        }

        var expected = missed.Where(e => e.Topic == "tasks/t1").Concat(live).ToList();
        var others = new List<JsonElement>();
        var received = await client.ReceiveEventsUntilAsync("s", expected[^1].Position.Sequence, others);

        Assert.Empty(others); // no overflow: nothing was lost
        AssertIncreasing(missed.Concat(live).Select(e => e.Position.Sequence));
        Assert.True(missed[0].Position.Sequence > ProtocolClientExtensions.Seq(lastSeen));
        Assert.Equal(expected.Select(e => e.Position.ToString()), received.Select(ProtocolClientExtensions.Position));
        Assert.Equal(expected.Select(e => e.Id), received.Select(e => e.GetProperty("id").GetString()));
    }

    private static EventDraft Step(string topic, int i) => new("test.step", topic)
    {
        Id = $"step-{i}-{Guid.NewGuid():N}",
        Data = EventData.From(new Dictionary<string, int> { ["i"] = i }),
    };

    private static void AssertIncreasing(IEnumerable<long> sequences)
    {
        var list = sequences.ToList();
        for (var i = 1; i < list.Count; i++)
        {
            Assert.True(list[i] > list[i - 1], $"Sequence {list[i]} at index {i} does not follow {list[i - 1]}: [{string.Join(", ", list)}]");
        }
    }
}
