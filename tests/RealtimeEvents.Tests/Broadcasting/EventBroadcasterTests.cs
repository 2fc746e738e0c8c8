using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class EventBroadcasterTests
{
    private static SubscriptionRequest Topics(params string[] topics) => new() { Topics = topics };

    [Fact]
    public async Task ManyPublishers_ManySubscribers_EachSubscriberGetsEveryEventInLogOrder()
    {
        await using var fixture = new BroadcasterFixture(o => o.SubscriptionQueueCapacity = 10_000);
        const int Publishers = 4;
        const int PerPublisher = 500;
        var subscriptions = new List<ISubscription>();
        for (var i = 0; i < 20; i++)
        {
            subscriptions.Add(await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout());
        }

        var readers = subscriptions.Select(s => s.ReadItemsAsync(Publishers * PerPublisher)).ToList();
        await Task.WhenAll(Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < PerPublisher; i++)
            {
                if (i % 2 == 0)
                {
                    await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(i, $"executions/p{p}"));
                }
                else
                {
                    Assert.True(fixture.Broadcaster.TryPublish(BroadcasterFixture.Draft(i, $"executions/p{p}")));
                }
            }
        }))).WithTimeout();

        var expected = Enumerable.Range(1, Publishers * PerPublisher).Select(i => (long)i).ToList();
        foreach (var items in await Task.WhenAll(readers).WithTimeout())
        {
            Assert.All(items, i => Assert.Equal(SubscriptionItemKind.Event, i.Kind));
            Assert.Equal(expected, items.Select(i => i.Event!.Sequence));
        }

        Assert.All(subscriptions, s => Assert.Equal(0, s.DroppedCount));
    }

    [Fact]
    public async Task Subscriber_ReceivesOnlyWhatItsFilterMatches()
    {
        await using var fixture = new BroadcasterFixture();
        await using var one = await fixture.Broadcaster.SubscribeAsync(Topics("executions/e1")).WithTimeout();
        await using var failures = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest { Types = ["*.failed"] }).WithTimeout();

        await fixture.Broadcaster.PublishAsync(ExecutionEvents.Started("e1"));
        await fixture.Broadcaster.PublishAsync(ExecutionEvents.Started("e2"));
        await fixture.Broadcaster.PublishAsync(ExecutionEvents.Failed("e2", "boom"));
        await fixture.Broadcaster.PublishAsync(ExecutionEvents.Completed("e1"));

        var ones = await one.ReadItemsAsync(2);
        var fails = await failures.ReadItemsAsync(1);
        Assert.Equal([EventTypes.Execution.Started, EventTypes.Execution.Completed], ones.Select(i => i.Event!.Type));
        Assert.Equal("executions/e2", Assert.Single(fails).Event!.Topic);
        await fixture.WaitForDispatchAsync();
        Assert.Empty(one.Drain());
        Assert.Empty(failures.Drain());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(10_000)]
    public async Task SubscriberThatDoesNotRead_IsToldExactlyWhatWasDropped_ThenGetsTheNewestEvents(int capacity)
    {
        await using var fixture = new BroadcasterFixture(o =>
        {
            o.SubscriptionQueueCapacity = capacity;
            o.History.MaxEvents = 20_000;
        });
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();
        const int Extra = 5;

        await fixture.PublishManyAsync(capacity + Extra);
        await fixture.WaitForDispatchAsync();
        var items = await subscription.ReadItemsAsync(capacity + 1);

        var gap = items[0].Gap;
        Assert.NotNull(gap);
        Assert.Equal(GapReason.Overflow, gap.Reason);
        Assert.Equal(Extra, gap.MissedCount);
        Assert.Equal(1, gap.FirstMissed!.Value.Sequence);
        Assert.Equal(Extra, gap.LastMissed!.Value.Sequence);
        Assert.True(gap.Recoverable);
        Assert.Equal(Enumerable.Range(Extra + 1, capacity).Select(i => (long)i), items.Skip(1).Select(i => i.Event!.Sequence));
        Assert.Equal(Extra, subscription.DroppedCount);
    }

    [Fact]
    public async Task GapNotice_IsNotRecoverable_WhenHistoryNoLongerHoldsTheDroppedEvents()
    {
        await using var fixture = new BroadcasterFixture(o =>
        {
            o.SubscriptionQueueCapacity = 2;
            o.History.MaxEvents = 3;
        });
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();

        for (var i = 1; i <= 10; i++)
        {
            await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(i));
            await fixture.WaitForDispatchAsync(); // route each before the next, so only the queue (not the dispatcher) loses events
        }

        var gap = (await subscription.ReadItemsAsync(1))[0].Gap!;

        Assert.Equal(8, gap.MissedCount);
        Assert.False(gap.Recoverable);
    }

    [Fact]
    public async Task StalledSubscriber_DoesNotHoldUpPublishingOrOtherSubscribers()
    {
        await using var fixture = new BroadcasterFixture(o => o.SubscriptionQueueCapacity = 10);
        await using var stalled = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();
        await using var healthy = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();
        var reader = Task.Run(async () =>
        {
            var seen = new List<long>();
            await foreach (var item in healthy.ReadAllAsync())
            {
                seen.Add(item.Event!.Sequence);
                if (seen.Count == 2_000)
                {
                    break;
                }
            }

            return seen;
        });

        for (var i = 1; i <= 2_000; i++)
        {
            Assert.True(fixture.Broadcaster.TryPublish(BroadcasterFixture.Draft(i)));
            if (i % 8 == 0)
            {
                await fixture.WaitForDispatchAsync(); // keep the healthy reader within its small queue
                while (healthy.QueueDepth > 0)
                {
                    await Task.Yield();
                }
            }
        }

        Assert.Equal(Enumerable.Range(1, 2_000).Select(i => (long)i), await reader.WithTimeout());
        await fixture.WaitForDispatchAsync();
        Assert.Equal(10, stalled.QueueDepth);
        Assert.Equal(1_990, stalled.DroppedCount);
    }

    [Fact]
    public async Task LagPolicyEndSubscription_EndsTheLaggingSubscriber_AndTellsItWhy()
    {
        await using var fixture = new BroadcasterFixture(o =>
        {
            o.SubscriptionQueueCapacity = 2;
            o.LagPolicy = LagPolicy.EndSubscription;
            o.MaxConsecutiveOverflows = 2;
        });
        await using var lagging = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();
        await using var other = await fixture.Broadcaster.SubscribeAsync(Topics("tasks/**")).WithTimeout();

        await fixture.PublishManyAsync(20);
        await fixture.WaitForDispatchAsync();
        var items = await lagging.ReadItemsAsync(1);

        Assert.Equal(SubscriptionItemKind.Ended, items[0].Kind);
        Assert.Equal(SubscriptionEndReason.Lagging, items[0].EndReason);
        Assert.Equal(SubscriptionEndReason.Lagging, lagging.EndReason);
        Assert.False(await lagging.WaitToReadAsync().WithTimeout());
        Assert.DoesNotContain(lagging, fixture.Broadcaster.Subscriptions);
        Assert.Contains(other, fixture.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task AWaitCancelledAndNeverAwaited_DoesNotStopTheReaderWaitingAgain()
    {
        // A reader that gives up on a wait (Task.WhenAny with a timeout, then cancel) and waits again at once.
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();
        using var cts = new CancellationTokenSource();
        var abandoned = subscription.WaitToReadAsync(cts.Token).AsTask();
        await cts.CancelAsync();

        var next = subscription.WaitToReadAsync().AsTask();
        await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(1));

        Assert.True(await next.WithTimeout());
        Assert.True(subscription.TryRead(out var item));
        Assert.NotNull(item.Event);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned).WithTimeout();
    }

    [Fact]
    public async Task Dispose_Unsubscribes_AndTheReaderSeesTheEnd()
    {
        await using var fixture = new BroadcasterFixture();
        var subscription = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();
        Assert.Contains(subscription, fixture.Broadcaster.Subscriptions);

        var wait = subscription.WaitToReadAsync().AsTask();
        await subscription.DisposeAsync();

        Assert.True(await wait.WithTimeout());
        Assert.True(subscription.TryRead(out var item));
        Assert.Equal(SubscriptionEndReason.Unsubscribed, item.EndReason);
        Assert.False(await subscription.WaitToReadAsync().WithTimeout());
        Assert.DoesNotContain(subscription, fixture.Broadcaster.Subscriptions);
        await fixture.PublishManyAsync(3);
        await fixture.WaitForDispatchAsync();
        Assert.Equal(0, subscription.QueueDepth);
        subscription.Dispose(); // twice is harmless
    }

    [Fact]
    public async Task InvalidRequest_IsRejectedWithAStableCode_AndHarmsNothingElse()
    {
        await using var fixture = new BroadcasterFixture();
        await using var good = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();

        var ex = await Assert.ThrowsAsync<SubscriptionRejectedException>(() =>
            fixture.Broadcaster.SubscribeAsync(Topics("executions/exec-*")).AsTask()).WithTimeout();
        await fixture.PublishManyAsync(2);

        Assert.Equal(SubscriptionErrorCodes.InvalidSubscription, ex.Code);
        Assert.Contains("'*' must be a whole segment", ex.Message, StringComparison.Ordinal);
        Assert.Single(fixture.Broadcaster.Subscriptions);
        Assert.Equal([1L, 2], (await good.ReadItemsAsync(2)).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public async Task NullArguments_ThrowArgumentNullException()
    {
        await using var fixture = new BroadcasterFixture();

        await Assert.ThrowsAsync<ArgumentNullException>(() => fixture.Broadcaster.PublishAsync(null!).AsTask());
        Assert.Throws<ArgumentNullException>(() => fixture.Broadcaster.TryPublish(null!, out _));
        await Assert.ThrowsAsync<ArgumentNullException>(() => fixture.Broadcaster.SubscribeAsync(null!).AsTask());
    }

    [Fact]
    public async Task Shutdown_DeliversWhatWasPublished_ThenEndsEverySubscription_AndRefusesNewWork()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();
        await fixture.PublishManyAsync(50);

        await fixture.Internal.StopAsync(CancellationToken.None).WithTimeout();
        var items = await subscription.ReadItemsAsync(51);

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), items.Take(50).Select(i => i.Event!.Sequence));
        Assert.Equal(SubscriptionEndReason.Shutdown, items[50].EndReason);
        Assert.False(fixture.Broadcaster.TryPublish(BroadcasterFixture.Draft(1)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(1)).AsTask());
        var rejected = await Assert.ThrowsAsync<SubscriptionRejectedException>(() =>
            fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).AsTask());
        Assert.Equal(SubscriptionErrorCodes.ShuttingDown, rejected.Code);
        Assert.Equal(50, fixture.Log.CurrentPosition.Sequence);
    }

    [Fact]
    public async Task Stats_ReportDepthAgeAndDelivered()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(Topics("executions/**")).WithTimeout();

        await fixture.PublishManyAsync(3);
        await fixture.WaitForDispatchAsync();
        fixture.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(3, subscription.QueueDepth);
        Assert.Equal(TimeSpan.FromSeconds(5), subscription.OldestPendingAge);
        await subscription.ReadItemsAsync(3);
        Assert.Equal(3, subscription.DeliveredCount);
        Assert.Equal(TimeSpan.Zero, subscription.OldestPendingAge);
        Assert.Null(subscription.EndReason);
    }

    [Fact]
    public async Task ConflatedProgress_ReachesAnIdleSubscriberAsTheLatestValueOnly()
    {
        await using var fixture = new BroadcasterFixture();
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(Topics("executions/e1")).WithTimeout();

        await fixture.Broadcaster.PublishAsync(ExecutionEvents.Started("e1"));
        for (var p = 0; p <= 100; p += 10)
        {
            await fixture.Broadcaster.PublishAsync(ExecutionEvents.Progress("e1", p));
        }

        await fixture.Broadcaster.PublishAsync(ExecutionEvents.Completed("e1"));
        await fixture.WaitForDispatchAsync();
        var items = subscription.Drain();

        Assert.Equal([EventTypes.Execution.Started, EventTypes.Execution.Progress, EventTypes.Execution.Completed], items.Select(i => i.Event!.Type));
        Assert.Equal(100, items[1].Event!.Data.ToJsonElement().GetProperty("percent").GetDouble());
        Assert.Equal(10, subscription.ConflatedCount);
    }
}
