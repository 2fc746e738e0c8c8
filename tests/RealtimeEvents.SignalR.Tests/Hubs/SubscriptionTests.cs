using System.Text.Json;
using RealtimeEvents.SignalR.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Hubs;

/// <summary>Subscribing over the hub: replies, ordering, filters, resume and snapshots (docs/protocol.md, through SignalR).</summary>
public sealed class SubscriptionTests
{
    [Fact]
    public async Task Connect_SendsWelcome_WithTheConnectionsIdPositionAndLimits()
    {
        await using var host = await SignalRTestHost.StartAsync(transport: o => o.MaxSubscriptionsPerConnection = 7);
        await host.Publisher.PublishAsync(Drafts.Numbered(0)).WithTimeout();

        await using var client = await host.ConnectAsync();

        var welcome = client.Welcome;
        var hubMessage = Assert.IsType<HubMessage>(client.Log[0]);
        Assert.Equal("welcome", hubMessage.Op);
        Assert.Equal(1, welcome.GetProperty("protocol").GetInt32());
        Assert.StartsWith("c-", client.ConnectionId, StringComparison.Ordinal);
        Assert.Equal(host.Broadcaster.CurrentPosition.ToString(), welcome.GetProperty("position").GetString());
        Assert.Equal(15_000, welcome.GetProperty("heartbeatMs").GetInt64()); // SignalR's keep-alive, the heartbeat on this transport
        Assert.Equal(7, welcome.GetProperty("limits").GetProperty("maxSubscriptions").GetInt32());
        Assert.Equal(32 * 1024, welcome.GetProperty("limits").GetProperty("maxMessageBytes").GetInt64()); // SignalR's MaximumReceiveMessageSize
        Assert.True(host.Connections.TryGet(client.ConnectionId, out var connection), "welcome's connectionId is not a connection of the node");
        Assert.Equal("signalr", connection.Transport);
    }

    [Fact]
    public async Task Subscribe_ReturnsSubscribed_WhoseHubMessageComesBeforeTheCompletionAndTheFirstEvent()
    {
        await using var host = await SignalRTestHost.StartAsync();
        await using var client = await host.ConnectAsync();
        var start = host.Broadcaster.CurrentPosition;
        for (var i = 0; i < 20; i++)
        {
            await host.Publisher.PublishAsync(Drafts.Numbered(i)).WithTimeout();
        }

        // A resume has its first events ready at once, so the server could easily send them ahead of 'subscribed'.
        var completion = await client.InvokeForCompletionAsync("Subscribe", new { id = "s", topics = new[] { "tasks/**" }, resumeAfter = start.ToString() });

        Assert.Null(completion.Error);
        var reply = completion.Result;
        Assert.Equal("subscribed", reply.GetProperty("op").GetString());
        Assert.Equal("s", reply.GetProperty("id").GetString());
        Assert.Equal("complete", reply.GetProperty("resume").GetString());
        Assert.Equal(start.ToString(), reply.GetProperty("position").GetString());
        var subscribed = await client.ReceiveAsync();
        Assert.Equal("subscribed", subscribed.Target);
        Assert.True(JsonElement.DeepEquals(reply, subscribed.Argument), $"The hub message {subscribed} differs from the result {reply.GetRawText()}");
        Assert.True(subscribed.Sequence < completion.Sequence, "'subscribed' must go out before the invocation completes");

        var others = new List<HubMessage>();
        var events = await client.ReceiveEventsAsync("s", 20, others);
        Assert.Empty(others);
        Assert.Equal(Enumerable.Range(0, 20), events.Select(Drafts.NumberOf));
        var firstData = client.Log.OfType<HubMessage>().First(m => m.Target is "event" or "events" or "overflow");
        Assert.True(subscribed.Sequence < firstData.Sequence, "'subscribed' must precede the subscription's first event");
        // Twenty events waited at once: they go out batched (docs/protocol.md, "Batching").
        Assert.Contains(client.Log.OfType<HubMessage>(), m => m.Target == "events");
    }

    [Fact]
    public async Task PublishedEvents_ArriveInOrder_AsEventOrEvents_AndEveryBatchBelongsToOneSubscription()
    {
        await using var host = await SignalRTestHost.StartAsync();
        await using var client = await host.ConnectAsync();
        await client.SubscribeAsync("a", topics: ["tasks/a"]);
        await client.SubscribeAsync("all", topics: ["tasks/**"]);

        var topics = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var topic = i % 3 == 0 ? "tasks/a" : "tasks/b";
            topics.Add(topic);
            await host.Publisher.PublishAsync(Drafts.Numbered(i, topic)).WithTimeout();
        }

        var ofA = new List<int>();
        var ofAll = new List<int>();
        var seqBySub = new Dictionary<string, long> { ["a"] = 0, ["all"] = 0 };
        while (ofA.Count < 100 || ofAll.Count < 300)
        {
            var message = await client.ReceiveAsync();
            Assert.Equal(message.Target, message.Op); // the method name is the payload's op
            Assert.Contains(message.Target, new[] { "event", "events" });
            var sub = message.GetString("sub")!;
            JsonElement[] batch = message.Target == "event" ? [message.Argument.GetProperty("event")] : [.. message.Argument.GetProperty("events").EnumerateArray()];
            if (message.Target == "events")
            {
                Assert.True(batch.Length >= 2, $"An 'events' message holds two or more events: {message}");
            }

            foreach (var evt in batch)
            {
                var seq = evt.GetProperty("seq").GetInt64();
                Assert.True(seq > seqBySub[sub], $"'{sub}' got seq {seq} after {seqBySub[sub]}");
                seqBySub[sub] = seq;
                if (sub == "a")
                {
                    Assert.Equal("tasks/a", evt.GetProperty("topic").GetString()); // a batch of 'a' holds only what 'a' matches
                    ofA.Add(Drafts.NumberOf(evt));
                }
                else
                {
                    ofAll.Add(Drafts.NumberOf(evt));
                }
            }
        }

        Assert.Equal(Enumerable.Range(0, 300).Where(i => i % 3 == 0), ofA);
        Assert.Equal(Enumerable.Range(0, 300), ofAll);
    }

    [Fact]
    public async Task Filters_OnTypesAndMinimumPriority_AreApplied()
    {
        await using var host = await SignalRTestHost.StartAsync();
        await using var client = await host.ConnectAsync();
        await client.SubscribeAsync("types", topics: ["executions/**"], types: ["execution.*"]);
        await client.SubscribeAsync("urgent", topics: ["executions/**"], minPriority: "HIGH");

        (string Type, EventPriority Priority)[] published =
        [
            (EventTypes.Execution.Started, EventPriority.Normal),
            (EventTypes.Task.Progress, EventPriority.High),
            (EventTypes.Execution.Progress, EventPriority.Low),
            (EventTypes.Task.Failed, EventPriority.Critical),
            (EventTypes.Agent.Started, EventPriority.Normal),
            (EventTypes.Execution.Completed, EventPriority.Critical), // the last one: both subscriptions match it
        ];
        for (var i = 0; i < published.Length; i++)
        {
            await host.Publisher.PublishAsync(Drafts.Numbered(i, "executions/e1", published[i].Type, priority: published[i].Priority)).WithTimeout();
        }

        var types = new List<int>();
        var urgent = new List<int>();
        while (!types.Contains(5) || !urgent.Contains(5))
        {
            var message = await client.ReceiveAsync();
            var target = message.GetString("sub") == "types" ? types : urgent;
            target.AddRange(message.Target == "event"
                ? [Drafts.NumberOf(message.Argument.GetProperty("event"))]
                : message.Argument.GetProperty("events").EnumerateArray().Select(Drafts.NumberOf));
        }

        Assert.Equal([0, 2, 5], types);
        Assert.Equal([1, 3, 5], urgent);
    }

    [Fact]
    public async Task Resume_AfterTheLastReceivedEvent_ContinuesWithNoGapAndNoDuplicate()
    {
        await using var host = await SignalRTestHost.StartAsync();
        string resumeAfter;
        await using (var first = await host.ConnectAsync())
        {
            await first.SubscribeAsync("s", topics: ["tasks/**"]);
            for (var i = 0; i < 10; i++)
            {
                await host.Publisher.PublishAsync(Drafts.Numbered(i)).WithTimeout();
            }

            var received = await first.ReceiveEventsAsync("s", 10);
            resumeAfter = Drafts.PositionOf(received[4]); // handled five, then lost the connection
        }

        await using var second = await host.ConnectAsync();
        var reply = await second.SubscribeAsync("s", topics: ["tasks/**"], resumeAfter: resumeAfter);
        for (var i = 10; i < 15; i++)
        {
            await host.Publisher.PublishAsync(Drafts.Numbered(i)).WithTimeout();
        }

        Assert.Equal("complete", reply.GetProperty("resume").GetString());
        Assert.Equal(resumeAfter, reply.GetProperty("position").GetString());
        var others = new List<HubMessage>();
        var events = await second.ReceiveEventsAsync("s", 10, others);
        Assert.Equal(Enumerable.Range(5, 10), events.Select(Drafts.NumberOf));
        Assert.Empty(others);
    }

    [Fact]
    public async Task Resume_FromAnUnknownEpoch_SaysEpochChanged_AndSendsTheOverflowBeforeTheEvents()
    {
        await using var host = await SignalRTestHost.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await host.Publisher.PublishAsync(Drafts.Numbered(i)).WithTimeout();
        }

        await using var client = await host.ConnectAsync();
        var reply = await client.SubscribeAsync("s", topics: ["tasks/**"], resumeAfter: "someotherepoch:2");

        Assert.Equal("subscribed", reply.GetProperty("op").GetString());
        Assert.Equal("epoch_changed", reply.GetProperty("resume").GetString());
        var overflow = await client.ReceiveAsync();
        Assert.Equal("overflow", overflow.Target);
        Assert.Equal("s", overflow.GetString("sub"));
        Assert.Equal("epoch_changed", overflow.GetString("reason"));
        Assert.False(overflow.Argument.GetProperty("recoverable").GetBoolean());
        var events = await client.ReceiveEventsAsync("s", 3);
        Assert.Equal([0, 1, 2], events.Select(Drafts.NumberOf));
    }

    [Fact]
    public async Task Snapshot_ComesInSubscribed_ThenTheEventsAfterIt()
    {
        var provider = new StateProvider();
        await using var host = await SignalRTestHost.StartAsync(realtime: b => b.AddSnapshotProvider("executions/*", provider));
        provider.Broadcaster = host.Broadcaster;
        await host.Publisher.PublishAsync(Drafts.Numbered(0, "executions/e1")).WithTimeout();
        await using var client = await host.ConnectAsync();

        var reply = await client.SubscribeAsync("dash", topics: ["executions/e1"], snapshot: true);
        await host.Publisher.PublishAsync(Drafts.Numbered(1, "executions/e1")).WithTimeout();
        var unavailable = await client.SubscribeAsync("other", topics: ["tasks/t1"], snapshot: true);

        Assert.Equal("subscribed", reply.GetProperty("op").GetString());
        Assert.Equal("complete", reply.GetProperty("resume").GetString());
        var snapshot = Assert.Single(reply.GetProperty("snapshots").EnumerateArray());
        Assert.Equal("executions/e1", snapshot.GetProperty("topic").GetString());
        Assert.Equal(provider.Position.ToString(), snapshot.GetProperty("position").GetString());
        Assert.Equal("running", snapshot.GetProperty("state").GetProperty("status").GetString());
        var events = await client.ReceiveEventsAsync("dash", 1);
        Assert.Equal([1], events.Select(Drafts.NumberOf));
        Assert.Equal("error", unavailable.GetProperty("op").GetString());
        Assert.Equal("snapshot_unavailable", unavailable.GetProperty("code").GetString());
        Assert.Equal("other", unavailable.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Unsubscribe_ReturnsUnsubscribed_AndNothingOfTheSubscriptionFollows()
    {
        await using var host = await SignalRTestHost.StartAsync(configure: SmallSocketBuffers.OnServer);
        using var invoker = SmallSocketBuffers.ClientInvoker();
        await using var client = await host.ConnectAsync(invoker: invoker);
        await client.SubscribeAsync("gone", topics: ["tasks/a"]);
        await client.SubscribeAsync("kept", topics: ["tasks/b"]);
        for (var i = 0; i < 200; i++)
        {
            await host.Publisher.PublishAsync(Drafts.Numbered(i, "tasks/a", pad: new string('x', 2000))).WithTimeout();
        }

        await host.Broadcaster.WaitForDispatchAsync(host.Broadcaster.CurrentPosition).WithTimeout();
        Assert.True(host.Connections.TryGet(client.ConnectionId, out var connection));
        Assert.True(connection.Subscriptions.Subscriptions.Single(s => s.Id == "gone").QueueDepth > 0, "Nothing was queued: the test shows nothing.");
        var reply = await client.UnsubscribeAsync("gone");
        for (var i = 200; i < 210; i++)
        {
            await host.Publisher.PublishAsync(Drafts.Numbered(i, "tasks/a")).WithTimeout();
        }

        await host.Publisher.PublishAsync(Drafts.Numbered(1000, "tasks/b")).WithTimeout();
        await client.ReceiveEventsAsync("kept", 1);

        Assert.Equal("unsubscribed", reply.GetProperty("op").GetString());
        Assert.Equal("gone", reply.GetProperty("id").GetString());
        Assert.Equal("unsubscribed", reply.GetProperty("reason").GetString());
        var log = client.Log.OfType<HubMessage>().ToList();
        var unsubscribed = log.Single(m => m.Target == "unsubscribed");
        var after = log.Where(m => m.Sequence > unsubscribed.Sequence && (m.GetString("sub") == "gone" || m.GetString("id") == "gone")).ToList();
        Assert.True(after.Count == 0, $"Sent after 'unsubscribed': {string.Join(" | ", after.Take(3))}");
        Assert.Single(host.Broadcaster.Subscriptions);

        // The id is free again at once.
        Assert.Equal("subscribed", (await client.SubscribeAsync("gone", topics: ["tasks/a"])).GetProperty("op").GetString());
    }

    [Fact]
    public async Task Unsubscribe_OfAnUnknownId_IsUnknownSubscription()
    {
        await using var host = await SignalRTestHost.StartAsync();
        await using var client = await host.ConnectAsync();

        var reply = await client.UnsubscribeAsync("nope");

        Assert.Equal("error", reply.GetProperty("op").GetString());
        Assert.Equal("unknown_subscription", reply.GetProperty("code").GetString());
        Assert.Equal("nope", reply.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Subscribe_WithAnIdInUse_IsDuplicateSubscription()
    {
        await using var host = await SignalRTestHost.StartAsync();
        await using var client = await host.ConnectAsync();
        await client.SubscribeAsync("s", topics: ["tasks/a"]);

        var reply = await client.SubscribeAsync("s", topics: ["tasks/b"]);

        Assert.Equal("error", reply.GetProperty("op").GetString());
        Assert.Equal("duplicate_subscription", reply.GetProperty("code").GetString());
        Assert.Equal("s", reply.GetProperty("id").GetString());
        Assert.Single(host.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task Subscribe_OverTheLimit_IsTooManySubscriptions()
    {
        await using var host = await SignalRTestHost.StartAsync(transport: o => o.MaxSubscriptionsPerConnection = 2);
        await using var client = await host.ConnectAsync();
        await client.SubscribeAsync("one");
        await client.SubscribeAsync("two");

        var reply = await client.SubscribeAsync("three");
        await client.UnsubscribeAsync("one");
        var again = await client.SubscribeAsync("three");

        Assert.Equal("error", reply.GetProperty("op").GetString());
        Assert.Equal("too_many_subscriptions", reply.GetProperty("code").GetString());
        Assert.Equal("three", reply.GetProperty("id").GetString());
        Assert.Equal("subscribed", again.GetProperty("op").GetString());
    }

    private sealed class StateProvider : ISnapshotProvider
    {
        public IEventBroadcaster? Broadcaster { get; set; }

        public EventPosition Position { get; private set; }

        public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken)
        {
            Position = Broadcaster!.CurrentPosition;
            return new(new EventSnapshot(topic, EventData.FromJson("""{"status":"running"}"""), Position));
        }
    }
}
