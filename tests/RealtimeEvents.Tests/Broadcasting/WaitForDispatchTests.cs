using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class WaitForDispatchTests
{
    [Fact]
    public async Task WaitForDispatchAsync_CompletesOnceTheEventsAreInTheQueues()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = ["executions/**"] }).WithTimeout();
        RealtimeEvent? last = null;
        for (var i = 1; i <= 100; i++)
        {
            last = await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(i)).WithTimeout();
        }

        await fixture.Broadcaster.WaitForDispatchAsync(last!.Position).WithTimeout();

        // Routed means queued: everything can be read now, without waiting.
        Assert.Equal(100, subscription.QueueDepth);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), subscription.Drain().Select(i => i.Event!.Sequence));
        Assert.Equal(last.Position, fixture.Broadcaster.DispatcherStatus.DispatchedPosition);
    }

    [Fact]
    public async Task WaitForDispatchAsync_ForAPositionNotYetPublished_CompletesWhenItIsRouted()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
        var now = fixture.Broadcaster.CurrentPosition;
        var target = new EventPosition(now.Epoch, now.Sequence + 3);

        var waiting = fixture.Broadcaster.WaitForDispatchAsync(target);
        Assert.False(waiting.IsCompleted);
        await fixture.PublishManyAsync(2).WithTimeout();
        await fixture.Broadcaster.WaitForDispatchAsync(fixture.Broadcaster.CurrentPosition).WithTimeout();
        Assert.False(waiting.IsCompleted); // two of three routed
        await fixture.PublishManyAsync(1).WithTimeout();

        await waiting.WithTimeout();
        Assert.Equal(3, subscription.QueueDepth);
    }

    [Fact]
    public async Task WaitForDispatchAsync_ForAPositionAlreadyDispatched_CompletesAtOnce()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
        var first = await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(1)).WithTimeout();
        var second = await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(2)).WithTimeout();
        await fixture.Broadcaster.WaitForDispatchAsync(second.Position).WithTimeout();

        Assert.True(fixture.Broadcaster.WaitForDispatchAsync(second.Position).IsCompletedSuccessfully);
        Assert.True(fixture.Broadcaster.WaitForDispatchAsync(first.Position).IsCompletedSuccessfully);
        Assert.True(fixture.Broadcaster.WaitForDispatchAsync(new EventPosition(first.Epoch, 0)).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForDispatchAsync_ForAnotherEpoch_CompletesAtOnce()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();

        Assert.True(fixture.Broadcaster.WaitForDispatchAsync(new EventPosition("another-epoch", 1_000)).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForDispatchAsync_WhenTheDispatcherIsNotRunning_CompletesAtOnce()
    {
        await using var fixture = new BroadcasterFixture(); // nothing subscribed and no host: the dispatcher has not started
        var published = await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(1)).WithTimeout();

        Assert.False(fixture.Broadcaster.DispatcherStatus.IsRunning);
        Assert.True(fixture.Broadcaster.WaitForDispatchAsync(published.Position).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForDispatchAsync_EndsWhenTheDispatcherStops()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
        var now = fixture.Broadcaster.CurrentPosition;
        var waiting = fixture.Broadcaster.WaitForDispatchAsync(new EventPosition(now.Epoch, now.Sequence + 10));
        Assert.False(waiting.IsCompleted);

        await fixture.Internal.StopAsync(CancellationToken.None).WithTimeout();

        await waiting.WithTimeout();
    }

    [Fact]
    public async Task WaitForDispatchAsync_IsCancelledByItsToken()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
        var now = fixture.Broadcaster.CurrentPosition;
        using var cts = new CancellationTokenSource();
        var waiting = fixture.Broadcaster.WaitForDispatchAsync(new EventPosition(now.Epoch, now.Sequence + 1), cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WithTimeout());
    }

    [Fact]
    public async Task WaitForDispatchAsync_NeverHangs_WhenTheDispatcherStopsUnderManyWaiters()
    {
        for (var iteration = 0; iteration < 50; iteration++)
        {
            var fixture = new BroadcasterFixture();
            await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
            var never = new EventPosition(fixture.Broadcaster.CurrentPosition.Epoch, 1_000_000_000);
            var waiters = Enumerable.Range(0, 32).Select(_ => fixture.Broadcaster.WaitForDispatchAsync(never)).ToArray();

            await fixture.DisposeAsync();

            // Waiters woken as the loop ends must see it has ended, not wait for progress that never comes.
            await Task.WhenAll(waiters).WithTimeout();
        }
    }

    [Fact]
    public async Task HasPending_SeesAnEndNotice_ThatQueueDepthDoesNotCount()
    {
        await using var fixture = new BroadcasterFixture(o =>
        {
            o.SubscriptionQueueCapacity = 2;
            o.LagPolicy = LagPolicy.EndSubscription;
            o.MaxConsecutiveOverflows = 1;
        });
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
        await fixture.PublishManyAsync(10).WithTimeout();
        await fixture.Broadcaster.WaitForDispatchAsync(fixture.Broadcaster.CurrentPosition).WithTimeout();

        Assert.Equal(SubscriptionEndReason.Lagging, subscription.EndReason);
        Assert.Equal(0, subscription.QueueDepth); // the lagging end discarded the queue
        Assert.True(subscription.HasPending); // but the end notice is still to be read

        var items = subscription.Drain();
        Assert.Equal(SubscriptionItemKind.Ended, items[^1].Kind);
        Assert.False(subscription.HasPending);
    }
}
