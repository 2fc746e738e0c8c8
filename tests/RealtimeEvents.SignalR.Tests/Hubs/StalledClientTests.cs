using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using RealtimeEvents.SignalR.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Hubs;

public sealed class StalledClientTests
{
    private const int Capacity = 128;
    private const int GoodClients = 5;
    private const int Chunk = 100;
    private const int Chunks = 50;
    private const int Total = Chunk * Chunks;

    [Fact]
    public async Task AStalledClient_HoldsUpNeitherThePublisherNorOthers_StaysBounded_AndIsToldWhatItMissed()
    {
        await using var host = await SignalRTestHost.StartAsync(core: o => o.SubscriptionQueueCapacity = Capacity, configure: SmallSocketBuffers.OnServer);
        var good = new List<EventCollector>();
        for (var i = 0; i < GoodClients; i++)
        {
            var client = await host.ConnectAsync();
            await client.SubscribeAsync("s", topics: ["tasks/**"]);
            good.Add(EventCollector.Start(client, "s"));
        }

        using var invoker = SmallSocketBuffers.ClientInvoker();
        await using var stalled = await host.ConnectAsync(invoker: invoker);
        await stalled.SubscribeAsync("s", topics: ["tasks/**"]);
        Assert.True(host.Connections.TryGet(stalled.ConnectionId, out var stalledConnection));
        var stalledSubscription = Assert.Single(stalledConnection.Subscriptions.Subscriptions);
        // From here on the stalled client reads nothing until the end.

        var pad = new string('x', 2000);
        var positions = new List<string>(Total);
        var maxDepth = 0;
        var publishing = Stopwatch.StartNew();
        for (var chunk = 0; chunk < Chunks; chunk++)
        {
            for (var i = 0; i < Chunk; i++)
            {
                // Each publish completes without waiting on any subscriber, the stalled one included.
                var published = await host.Publisher.PublishAsync(Drafts.Numbered(chunk * Chunk + i, pad: pad)).WithTimeout(TimeSpan.FromSeconds(5));
                positions.Add(published.Position.ToString());
            }

            // The good clients keep up (chunk by chunk, so that they never overflow a queue of 128 themselves).
            await Task.WhenAll(good.Select(c => c.WaitForAsync((chunk + 1) * Chunk))).WithTimeout();
            maxDepth = Math.Max(maxDepth, stalledSubscription.QueueDepth);
        }

        publishing.Stop();
        Assert.True(publishing.Elapsed < TimeSpan.FromSeconds(60), $"Publishing {Total} events took {publishing.Elapsed}.");
        foreach (var collector in good)
        {
            Assert.Equal(Enumerable.Range(0, Total), collector.Values);
            Assert.DoesNotContain(collector.Others, m => m.Target == "overflow");
        }

        Assert.InRange(maxDepth, 1, Capacity); // it did back up, and only as far as its queue allows
        Assert.True(stalledSubscription.DroppedCount > 0, "The stalled client never overflowed: the test shows nothing.");
        using var http = host.CreateHttpClient();
        var listed = await http.GetFromJsonAsync<JsonElement>(new Uri($"/realtime/admin/connections/{stalled.ConnectionId}", UriKind.Relative)).WithTimeout();
        Assert.InRange(listed.GetProperty("queueDepth").GetInt64(), 0, Capacity);
        Assert.True(listed.GetProperty("dropped").GetInt64() > 0);

        // Reading at last: what was buffered, then an overflow notice at the place of each gap, then the newest events.
        var received = new List<int>();
        var lastBeforeGap = -1;
        var overflows = 0;
        while (received.Count == 0 || received[^1] != Total - 1)
        {
            var message = await stalled.ReceiveAsync();
            switch (message.Target)
            {
                case "overflow":
                    overflows++;
                    Assert.Equal("s", message.GetString("sub"));
                    Assert.Equal("overflow", message.GetString("reason"));
                    var first = lastBeforeGap + 1;
                    var dropped = message.Argument.GetProperty("dropped").GetInt32();
                    Assert.Equal(positions[first], message.GetString("first"));
                    Assert.Equal(positions[first + dropped - 1], message.GetString("last"));
                    lastBeforeGap = first + dropped - 1;
                    break;
                case "event":
                case "events":
                    Assert.Equal("s", message.GetString("sub"));
                    var values = message.Target == "event"
                        ? [Drafts.NumberOf(message.Argument.GetProperty("event"))]
                        : message.Argument.GetProperty("events").EnumerateArray().Select(Drafts.NumberOf).ToList();
                    foreach (var value in values)
                    {
                        Assert.True(value == lastBeforeGap + 1, $"Got event {value} after {lastBeforeGap} with no overflow notice for the gap.");
                        lastBeforeGap = value;
                        received.Add(value);
                    }

                    break;
                default:
                    Assert.Fail($"Unexpected message: {message}");
                    break;
            }
        }

        Assert.True(overflows > 0);
        Assert.Equal(stalledSubscription.DroppedCount, Total - received.Count);

        foreach (var collector in good)
        {
            await collector.DisposeAsync();
        }
    }
}
