using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class BroadcasterSmokeTests
{
    [Fact]
    public async Task Subscriber_ReceivesPublishedEvents_InOrder()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = ["executions/*"] }).WithTimeout();

        await fixture.PublishManyAsync(5);
        var items = await subscription.ReadItemsAsync(5);

        Assert.All(items, i => Assert.Equal(SubscriptionItemKind.Event, i.Kind));
        Assert.Equal([1L, 2, 3, 4, 5], items.Select(i => i.Event!.Sequence));
    }
}
