using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Integration;

/// <summary>
/// <see cref="RabbitMqEventLogOptions.Prefetch"/> accepts 10 to 65,535 (RabbitMqEventLogOptionsValidator). A node with
/// a value from that range must still tail the stream and read older events from it.
/// </summary>
public sealed class SmallPrefetchTests : IAsyncLifetime
{
    private readonly string _stream = TestBroker.NewStreamName("prefetch");

    [Fact]
    public async Task NodeWithTheSmallestValidPrefetch_ReadsBackEveryEventItPublishes()
    {
        await using var node = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream, options: o =>
        {
            o.Prefetch = 10;
            o.PublishTimeout = TimeSpan.FromSeconds(5);
        });
        await using var subscription = await node.Broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = ["tasks/**"] }).WithTimeout();

        var published = new List<RealtimeEvent>();
        for (var i = 0; i < 40; i++)
        {
            try
            {
                published.Add(await node.Broadcaster.PublishAsync(new EventDraft("test.step", "tasks/t1")).WithTimeout());
            }
            catch (EventLogUnavailableException ex)
            {
                Assert.Fail($"Publish #{i} failed after {published.Count} succeeded: {ex.Message}");
            }
        }

        var items = await subscription.ReadItemsAsync(40);
        Assert.Equal(published.Select(e => e.Position), items.Select(x => x.Event!.Position));
    }

    [Fact]
    public async Task NodeWithAPrefetchBelow64_ResumesFromOlderEventsReadFromTheStream()
    {
        await using var a = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream);
        var published = new List<RealtimeEvent>();
        for (var i = 0; i < 20; i++)
        {
            published.Add(await a.Broadcaster.PublishAsync(new EventDraft("test.step", "tasks/t1")).WithTimeout());
        }

        // Node B starts afterwards, so those events are older than its memory: the resume reads them from the stream.
        await using var b = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream, options: o => o.Prefetch = 32);
        await using var subscription = await b.Broadcaster.SubscribeAsync(
            new SubscriptionRequest { Topics = ["tasks/**"], ResumeAfter = published[0].Position }).WithTimeout();

        Assert.Equal(ResumeStatus.Complete, subscription.Resume);
        var items = await subscription.ReadItemsAsync(19);
        Assert.Equal(published.Skip(1).Select(e => e.Position), items.Select(x => x.Event!.Position));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => TestBroker.DeleteStreamAsync(_stream);
}
