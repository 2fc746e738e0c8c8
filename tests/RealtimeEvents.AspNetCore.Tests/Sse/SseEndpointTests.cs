using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.Sse;

public sealed class SseEndpointTests
{
    private static EventDraft Progress(string topic, int i, EventPriority priority = EventPriority.Normal, Dictionary<string, string>? meta = null) =>
        new(EventTypes.Task.Progress, topic) { Data = EventData.From(new Dictionary<string, int> { ["i"] = i }), Priority = priority, Meta = meta };

    private static Task<RealtimeEvent> PublishAsync(TestHost host, EventDraft draft) => host.Publisher.PublishAsync(draft).WithTimeout();

    private static int DataIndex(SseFrame frame) => frame.Json.GetProperty("data").GetProperty("i").GetInt32();

    [Fact]
    public async Task Connect_SendsTheEventStreamContentType_ThenASubscribedFrame()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));

        Assert.Equal("text/event-stream", client.Response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("no-cache", client.Response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var subscribed = await client.ReadEventAsync();
        Assert.Equal("subscribed", subscribed.Event);
        Assert.Null(subscribed.Id); // not a resume point: a reconnect must not skip what came before it
        Assert.Equal(2000, subscribed.Retry);
        var json = subscribed.Json;
        Assert.Equal("subscribed", json.GetProperty("op").GetString());
        Assert.Equal("sse", json.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("resume").ValueKind);
        Assert.Equal(host.Broadcaster.CurrentPosition.ToString(), json.GetProperty("position").GetString());
        Assert.Single(host.Connections.Connections, c => c.Transport == "sse");
    }

    [Fact]
    public async Task Events_ArriveInOrder_WithThePositionAsIdAndTheEventJsonAsData()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));
        Assert.Equal("subscribed", (await client.ReadEventAsync()).Event);

        var published = new List<RealtimeEvent>();
        for (var i = 0; i < 20; i++)
        {
            published.Add(await PublishAsync(host, Progress("tasks/t1", i)));
        }

        var frames = await client.ReadMessagesAsync(20);
        Assert.Equal(published.Select(e => $"{e.Epoch}:{e.Sequence}"), frames.Select(f => f.Id));
        Assert.Equal(published.Select(e => e.ToString()), frames.Select(f => f.Data));
    }

    [Fact]
    public async Task Filter_FromTheQueryString_TopicsTypesMinPriorityAndMeta()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await SseClient.ConnectAsync(host.HttpUri(
            "/realtime/sse?topic=tasks/t1&topic=executions/*&type=task.progress&type=execution.started&minPriority=normal&meta=tenant:acme"));
        var subscribed = await client.ReadEventAsync();
        Assert.Equal("subscribed", subscribed.Event);
        Assert.Single(host.Connections.Connections);

        var acme = new Dictionary<string, string> { ["tenant"] = "acme" };
        await PublishAsync(host, Progress("tasks/t1", 1, meta: acme));                                             // match
        await PublishAsync(host, Progress("tasks/t2", 2, meta: acme));                                             // other topic
        await PublishAsync(host, Progress("tasks/t1", 3, EventPriority.Low, acme));                                // below minPriority
        await PublishAsync(host, Progress("tasks/t1", 4, meta: new Dictionary<string, string> { ["tenant"] = "other" })); // other tenant
        await PublishAsync(host, Progress("tasks/t1", 5));                                                         // no tenant
        await PublishAsync(host, new EventDraft(EventTypes.Task.Completed, "tasks/t1") { Meta = acme });           // other type
        await PublishAsync(host, new EventDraft(EventTypes.Execution.Started, "executions/e1") { Meta = acme, Priority = EventPriority.High }); // match
        await PublishAsync(host, Progress("executions/e1/agents/a1", 6, meta: acme));                              // '*' is one segment
        var last = await PublishAsync(host, Progress("tasks/t1", 7, EventPriority.Critical, acme));               // match

        var frames = await client.ReadMessagesAsync(3);
        Assert.Equal(["tasks/t1", "executions/e1", "tasks/t1"], frames.Select(f => f.Json.GetProperty("topic").GetString()));
        Assert.Equal(1, DataIndex(frames[0]));
        Assert.Equal(EventTypes.Execution.Started, frames[1].Json.GetProperty("type").GetString());
        Assert.Equal(last.Position.ToString(), frames[2].Id);
    }

    [Fact]
    public async Task Reconnect_WithLastEventId_GetsExactlyTheMissedEvents_AndTheHeaderWinsOverSince()
    {
        await using var host = await TestHost.StartAsync();
        var beforeAll = host.Broadcaster.CurrentPosition;
        var first = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));
        Assert.Equal("subscribed", (await first.ReadEventAsync()).Event);
        for (var i = 0; i < 10; i++)
        {
            await PublishAsync(host, Progress("tasks/t1", i));
        }

        var seen = await first.ReadMessagesAsync(10);
        var removed = host.WhenConnectionRemoved();
        await first.DisposeAsync();
        await removed.WithTimeout();

        for (var i = 10; i < 25; i++)
        {
            await PublishAsync(host, Progress("tasks/t1", i));
        }

        // 'since' points at the very beginning; were it used, events 0..9 would come again.
        await using var second = await SseClient.ConnectAsync(host.HttpUri($"/realtime/sse?topic=tasks/**&since={beforeAll}"), lastEventId: seen[^1].Id);
        var subscribed = await second.ReadEventAsync();
        Assert.Equal("subscribed", subscribed.Event);
        Assert.Equal("complete", subscribed.Json.GetProperty("resume").GetString());
        for (var i = 25; i < 30; i++)
        {
            await PublishAsync(host, Progress("tasks/t1", i));
        }

        var others = new List<SseFrame>();
        var resumed = await second.ReadMessagesAsync(20, others);
        Assert.Empty(others); // no overflow notice: nothing was lost
        Assert.Equal(Enumerable.Range(10, 20), resumed.Select(DataIndex));
        var sequences = seen.Concat(resumed).Select(f => EventPosition.Parse(f.Id!).Sequence).ToList();
        Assert.Equal(Enumerable.Range((int)sequences[0], 30).Select(s => (long)s), sequences);
    }

    [Fact]
    public async Task Since_OnTheFirstConnect_ReplaysHistory_ThenGoesLive()
    {
        await using var host = await TestHost.StartAsync();
        await PublishAsync(host, Progress("tasks/t1", 0));
        var since = host.Broadcaster.CurrentPosition;
        for (var i = 1; i <= 3; i++)
        {
            await PublishAsync(host, Progress("tasks/t1", i));
        }

        await using var client = await SseClient.ConnectAsync(host.HttpUri($"/realtime/sse?topic=tasks/t1&since={since}"));
        var subscribed = await client.ReadEventAsync();
        Assert.Equal("complete", subscribed.Json.GetProperty("resume").GetString());
        Assert.Equal(since.ToString(), subscribed.Json.GetProperty("position").GetString()); // where the stream starts
        await PublishAsync(host, Progress("tasks/t1", 4));

        Assert.Equal([1, 2, 3, 4], (await client.ReadMessagesAsync(4)).Select(DataIndex));
    }

    [Theory]
    [InlineData("?minPriority=urgent", null, ProtocolErrorCodes.InvalidField, "minPriority")]
    [InlineData("?since=yesterday", null, ProtocolErrorCodes.InvalidField, "since")]
    [InlineData("?topic=tasks/t1", "not-a-position", ProtocolErrorCodes.InvalidField, "Last-Event-ID")]
    [InlineData("?meta=tenant", null, ProtocolErrorCodes.InvalidField, "meta")]
    [InlineData("?snapshot=maybe", null, ProtocolErrorCodes.InvalidField, "snapshot")]
    [InlineData("?topic=exec-*", null, ProtocolErrorCodes.InvalidSubscription, "exec-*")]
    [InlineData("?topic=tasks//t1", null, ProtocolErrorCodes.InvalidSubscription, "tasks//t1")]
    [InlineData("?type=Bad", null, ProtocolErrorCodes.InvalidSubscription, "Bad")]
    [InlineData("?topic=tasks/t1&id=", null, ProtocolErrorCodes.InvalidSubscription, "1 to 128 characters")]
    public async Task InvalidQuery_Is400_WithAJsonErrorAndItsCode(string query, string? lastEventId, string code, string mentioned)
    {
        await using var host = await TestHost.StartAsync();

        using var response = await SseClient.GetAsync(host.HttpUri("/realtime/sse" + query), lastEventId);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WithTimeout());
        Assert.Equal(400, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(code, body.RootElement.GetProperty("code").GetString());
        Assert.Contains(mentioned, body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(host.Connections.Connections);
        Assert.Empty(host.Broadcaster.Subscriptions);
    }

    // Found by the reliability suite's SSE fuzzer: a repeated 'id' was joined with ',' into an id the client never sent
    // ("id=a&id=b" subscribed as "a,b"), while the other one-value parameters failed only by the accident of the join.
    [Theory]
    [InlineData("?id=a&id=b", "'id'")]
    [InlineData("?id=a&ID=a", "'id'")]
    [InlineData("?topic=tasks/t1&minPriority=low&minPriority=low", "'minPriority'")]
    [InlineData("?snapshot=false&snapshot=false", "'snapshot'")]
    [InlineData("?since=e:1&since=e:1", "'since'")]
    public async Task RepeatedOneValueParameter_Is400InvalidField_NotAnIdJoinedWithAComma(string query, string mentioned)
    {
        await using var host = await TestHost.StartAsync();

        using var response = await SseClient.GetAsync(host.HttpUri("/realtime/sse" + query), null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WithTimeout());
        Assert.Equal(ProtocolErrorCodes.InvalidField, body.RootElement.GetProperty("code").GetString());
        Assert.Contains(mentioned, body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(host.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task Heartbeat_IsACommentOnAQuietStream()
    {
        await using var host = await TestHost.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.HeartbeatTimeout = TimeSpan.FromSeconds(10);
        });
        await using var client = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));
        Assert.Equal("subscribed", (await client.ReadEventAsync()).Event);

        var frame = await client.ReadFrameAsync();
        Assert.NotNull(frame);
        Assert.False(frame.IsEvent); // a comment: EventSource dispatches nothing for it
        Assert.Equal(["heartbeat"], frame.Comments);

        // Raw: exactly ": heartbeat" followed by the blank line that ends the block.
        Assert.Equal(": heartbeat", await client.ReadLineAsync());
        Assert.Equal(string.Empty, await client.ReadLineAsync());
    }

    [Fact]
    public async Task ReaderThatStopsReading_GetsAnOverflowFrameWithTheExactDroppedRange_ThenTheNewestEvents()
    {
        const int Capacity = 4;
        await using var host = await TestHost.StartAsync(
            configure: b => b.WebHost.ConfigureKestrel(k => k.Limits.MaxResponseBufferSize = 1024),
            core: o =>
            {
                o.SubscriptionQueueCapacity = Capacity;
                o.History.MaxEvents = 1_000_000; // the dropped events stay in history, so the gap is recoverable however many it took
                o.History.MaxBytes = 4L * 1024 * 1024 * 1024;
            });
        await using var client = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"), receiveBufferSize: 4096);
        Assert.Equal("subscribed", (await client.ReadEventAsync()).Event);
        var subscription = Assert.Single(host.Broadcaster.Subscriptions);

        // The client reads nothing now. Publish until the queue overflows: with the reader stopped, the server's writes
        // soon block on the full socket (small buffers on both ends), so drops must come however fast the server is.
        // Each round is routed before the drop count is checked, so the loop stops at a known state.
        var padding = new string('x', 2048);
        var published = 0;
        RealtimeEvent? firstPublished = null;
        while (subscription.DroppedCount == 0)
        {
            Assert.True(published < 50_000, "The subscription never overflowed although its reader stopped.");
            RealtimeEvent? last = null;
            for (var i = 0; i < 25; i++, published++)
            {
                last = await PublishAsync(host, new EventDraft(EventTypes.Task.Progress, "tasks/t1")
                {
                    Data = EventData.FromJson($$"""{"i":{{published}},"pad":"{{padding}}"}"""),
                });
                firstPublished ??= last;
            }

            await host.Broadcaster.WaitForDispatchAsync(last!.Position).WithTimeout();
        }

        var marker = await PublishAsync(host, new EventDraft(EventTypes.Task.Completed, "tasks/t1"));
        await host.Broadcaster.WaitForDispatchAsync(marker.Position).WithTimeout();
        var dropped = subscription.DroppedCount;

        // Now read everything: every position is either delivered or inside a reported gap, in order, exactly once.
        var expected = firstPublished!.Sequence;
        var reportedDropped = 0L;
        var overflows = 0;
        while (true)
        {
            var frame = await client.ReadEventAsync();
            if (frame.Event == "overflow")
            {
                overflows++;
                var overflow = frame.Json;
                Assert.Equal("overflow", overflow.GetProperty("op").GetString());
                Assert.Equal("sse", overflow.GetProperty("sub").GetString());
                Assert.Equal("overflow", overflow.GetProperty("reason").GetString());
                Assert.True(overflow.GetProperty("recoverable").GetBoolean());
                var count = overflow.GetProperty("dropped").GetInt64();
                var first = EventPosition.Parse(overflow.GetProperty("first").GetString()!);
                var lastMissed = EventPosition.Parse(overflow.GetProperty("last").GetString()!);
                Assert.Equal(first.Sequence - 1, EventPosition.Parse(overflow.GetProperty("resumeAfter").GetString()!).Sequence);
                Assert.Equal(expected, first.Sequence);
                Assert.Equal(count, lastMissed.Sequence - first.Sequence + 1);
                reportedDropped += count;
                expected = lastMissed.Sequence + 1;
                continue;
            }

            Assert.Equal("message", frame.Event);
            var sequence = EventPosition.Parse(frame.Id!).Sequence;
            Assert.Equal(expected, sequence);
            expected = sequence + 1;
            if (sequence == marker.Sequence)
            {
                break;
            }
        }

        Assert.True(overflows >= 1);
        Assert.Equal(dropped, reportedDropped);
        Assert.True(dropped > 0);
    }

    [Fact]
    public async Task ConnectionLimit_Refuses503WithTooManyConnections_AndTheOpenStreamKeepsWorking()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxConnections = 1);
        await using var open = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));
        Assert.Equal("subscribed", (await open.ReadEventAsync()).Event);

        using var refused = await SseClient.GetAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync().WithTimeout());
        Assert.Equal(503, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(ProtocolErrorCodes.TooManyConnections, body.RootElement.GetProperty("code").GetString());

        await PublishAsync(host, Progress("tasks/t1", 1));
        Assert.Equal(1, DataIndex(Assert.Single(await open.ReadMessagesAsync(1))));
    }

    [Fact]
    public async Task Shutdown_SendsTheQueuedEvents_ThenEndsTheStream()
    {
        var host = await TestHost.StartAsync();
        try
        {
            await using var client = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));
            Assert.Equal("subscribed", (await client.ReadEventAsync()).Event);
            RealtimeEvent? last = null;
            for (var i = 0; i < 100; i++)
            {
                last = await PublishAsync(host, Progress("tasks/t1", i));
            }

            var stopping = host.StopAsync();
            var frames = await client.ReadToEndAsync();
            await stopping.WithTimeout();

            var events = frames.Where(f => f.Event == "message").ToList();
            Assert.Equal(Enumerable.Range(0, 100), events.Select(DataIndex));
            Assert.Equal(last!.Position.ToString(), events[^1].Id);

            // The subscription may end (shutdown) before the stream closes; nothing else may come.
            var rest = frames.Where(f => f.Event != "message").ToList();
            Assert.All(rest, f =>
            {
                Assert.Equal("unsubscribed", f.Event);
                Assert.Equal("shutdown", f.Json.GetProperty("reason").GetString());
            });
            Assert.Empty(host.Connections.Connections);
        }
        finally
        {
            await host.DisposeAsync().AsTask().WithTimeout();
        }
    }
}
