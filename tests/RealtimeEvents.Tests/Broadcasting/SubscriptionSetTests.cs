using NSubstitute;
using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class SubscriptionSetTests
{
    private static Task<ISubscription> SubscribeAsync(BroadcasterFixture fixture, string id, string topic) =>
        fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest { Id = id, Topics = [topic] }).WithTimeout();

    private static async Task PublishAsync(BroadcasterFixture fixture, string topic, int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(i, topic)).WithTimeout();
        }
    }

    /// <summary>Waits (on the dispatcher's signal) until everything published so far sits in the subscriptions' queues.</summary>
    private static Task DispatchedAsync(BroadcasterFixture fixture) =>
        fixture.Broadcaster.WaitForDispatchAsync(fixture.Log.CurrentPosition).WithTimeout();

    /// <summary>Reads what the set holds now, without waiting.</summary>
    private static List<(string Id, SubscriptionItem Item)> Drain(SubscriptionSet set)
    {
        var items = new List<(string, SubscriptionItem)>();
        while (set.TryRead(out var subscription, out var item))
        {
            items.Add((subscription.Id, item));
        }

        return items;
    }

    /// <summary>Reads <paramref name="count"/> items the way a transport does: one wait, then everything available.</summary>
    private static async Task<List<(string Id, SubscriptionItem Item)>> ReadAsync(SubscriptionSet set, int count)
    {
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        var items = new List<(string, SubscriptionItem)>();
        while (items.Count < count)
        {
            await set.WaitToReadAsync(timeout.Token);
            while (items.Count < count && set.TryRead(out var subscription, out var item))
            {
                items.Add((subscription.Id, item));
            }
        }

        return items;
    }

    [Fact]
    public async Task OneWait_CoversEverySubscriptionInTheSet()
    {
        await using var fixture = new BroadcasterFixture();
        using var set = new SubscriptionSet();
        Assert.True(set.TryAdd(await SubscribeAsync(fixture, "a", "tasks/a")));
        Assert.True(set.TryAdd(await SubscribeAsync(fixture, "b", "tasks/b")));
        Assert.Empty(Drain(set));

        var wait = set.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        await PublishAsync(fixture, "tasks/b");
        await wait.WithTimeout();
        var fromB = Assert.Single(Drain(set));
        Assert.Equal("b", fromB.Id);
        Assert.Equal("tasks/b", fromB.Item.Event!.Topic);

        wait = set.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        await PublishAsync(fixture, "tasks/a");
        await wait.WithTimeout();
        Assert.Equal("a", Assert.Single(Drain(set)).Id);
    }

    [Fact]
    public async Task AWaitCancelledAndNeverAwaited_DoesNotStopTheReaderWaitingAgain()
    {
        await using var fixture = new BroadcasterFixture();
        using var set = new SubscriptionSet();
        Assert.True(set.TryAdd(await SubscribeAsync(fixture, "a", "tasks/a")));
        Assert.Empty(Drain(set)); // arms the new member, so the set has nothing to report until an event arrives
        using var cts = new CancellationTokenSource();
        var abandoned = set.WaitToReadAsync(cts.Token).AsTask();
        Assert.False(abandoned.IsCompleted);
        await cts.CancelAsync();

        var next = set.WaitToReadAsync().AsTask();
        await PublishAsync(fixture, "tasks/a");

        await next.WithTimeout();
        Assert.Equal("a", Assert.Single(Drain(set)).Id);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned).WithTimeout();
    }

    [Fact]
    public async Task ItemsAvailableInSeveralSubscriptions_AreAllReadAfterOneWait()
    {
        await using var fixture = new BroadcasterFixture();
        var a = await SubscribeAsync(fixture, "a", "tasks/a");
        var b = await SubscribeAsync(fixture, "b", "tasks/b");
        await PublishAsync(fixture, "tasks/a", 2);
        await PublishAsync(fixture, "tasks/b", 3);
        await DispatchedAsync(fixture);
        using var set = new SubscriptionSet();
        set.TryAdd(a);
        set.TryAdd(b);

        await set.WaitToReadAsync().AsTask().WithTimeout();
        var items = Drain(set);

        Assert.Equal(["a", "a", "b", "b", "b"], items.Select(i => i.Id));
    }

    [Fact]
    public async Task EachSubscriptionsItems_KeepTheirOrder_WhileBothArePublishedTo()
    {
        await using var fixture = new BroadcasterFixture();
        using var set = new SubscriptionSet();
        set.TryAdd(await SubscribeAsync(fixture, "a", "tasks/a"));
        set.TryAdd(await SubscribeAsync(fixture, "b", "tasks/b"));
        var reading = ReadAsync(set, 600);

        for (var i = 0; i < 300; i++)
        {
            await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(i, "tasks/a")).WithTimeout();
            await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(i, "tasks/b")).WithTimeout();
        }

        var items = await reading.WithTimeout();
        foreach (var id in new[] { "a", "b" })
        {
            var sequences = items.Where(i => i.Id == id).Select(i => i.Item.Event!.Sequence).ToList();
            Assert.Equal(300, sequences.Count);
            Assert.Equal(sequences.Order(), sequences);
            Assert.All(items.Where(i => i.Id == id), i => Assert.Equal($"tasks/{id}", i.Item.Event!.Topic));
        }
    }

    [Fact]
    public async Task BusySubscription_IsServedInTurnsOfAtMostTurnSize_SoAQuietOneIsNotStarved()
    {
        await using var fixture = new BroadcasterFixture();
        var busy = await SubscribeAsync(fixture, "busy", "tasks/busy");
        var quiet = await SubscribeAsync(fixture, "quiet", "tasks/quiet");
        await PublishAsync(fixture, "tasks/busy", 200);
        await PublishAsync(fixture, "tasks/quiet", 5);
        await DispatchedAsync(fixture);
        using var set = new SubscriptionSet();
        set.TryAdd(busy);
        set.TryAdd(quiet);

        var ids = Drain(set).Select(i => i.Id).ToList();

        Assert.Equal(205, ids.Count);
        Assert.Equal(Enumerable.Repeat("busy", SubscriptionSet.TurnSize), ids.Take(SubscriptionSet.TurnSize));
        Assert.Equal(Enumerable.Repeat("quiet", 5), ids.Skip(SubscriptionSet.TurnSize).Take(5));
        Assert.All(ids.Skip(SubscriptionSet.TurnSize + 5), id => Assert.Equal("busy", id));
    }

    [Fact]
    public async Task Wake_MakesAPendingWaitReturn_WithNothingToRead()
    {
        await using var fixture = new BroadcasterFixture();
        using var set = new SubscriptionSet();
        set.TryAdd(await SubscribeAsync(fixture, "a", "tasks/a"));
        Assert.Empty(Drain(set));

        var wait = set.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        set.Wake();
        await wait.WithTimeout();
        Assert.Empty(Drain(set));

        // A wake before the wait is not lost, and is used up by the wait it ends.
        set.Wake();
        Assert.True(set.WaitToReadAsync().IsCompletedSuccessfully);
        Assert.False(set.WaitToReadAsync().IsCompleted);
    }

    [Fact]
    public async Task Wake_OnAnEmptySet_EndsTheWait()
    {
        using var set = new SubscriptionSet();
        var wait = set.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);

        set.Wake();

        await wait.WithTimeout();
        Assert.False(set.TryRead(out _, out _));
    }

    [Fact]
    public async Task WaitToReadAsync_IsCancelledByItsToken()
    {
        using var set = new SubscriptionSet();
        using var cts = new CancellationTokenSource();
        var wait = set.WaitToReadAsync(cts.Token).AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WithTimeout());
    }

    [Fact]
    public async Task Remove_DisposesTheSubscription_AndDiscardsWhatItHeld()
    {
        await using var fixture = new BroadcasterFixture();
        var a = await SubscribeAsync(fixture, "a", "tasks/a");
        var b = await SubscribeAsync(fixture, "b", "tasks/b");
        await PublishAsync(fixture, "tasks/a", 3);
        await PublishAsync(fixture, "tasks/b", 1);
        await DispatchedAsync(fixture);
        using var set = new SubscriptionSet();
        set.TryAdd(a);
        set.TryAdd(b);
        Assert.True(set.TryRead(out var first, out _)); // "a" is now mid-turn
        Assert.Equal("a", first.Id);

        Assert.True(set.Remove("a"));

        Assert.Equal(SubscriptionEndReason.Unsubscribed, a.EndReason);
        Assert.DoesNotContain(a, fixture.Broadcaster.Subscriptions);
        Assert.Equal(["b"], Drain(set).Select(i => i.Id));
        Assert.Equal(1, set.Count);
        Assert.False(set.TryGet("a", out _));
        Assert.False(set.Remove("a"));
    }

    [Fact]
    public async Task EndedSubscription_LeavesTheSet_AfterItsEndedItemWasRead()
    {
        await using var fixture = new BroadcasterFixture();
        var a = await SubscribeAsync(fixture, "a", "tasks/a");
        var b = await SubscribeAsync(fixture, "b", "tasks/b");
        await PublishAsync(fixture, "tasks/a", 2);
        await DispatchedAsync(fixture);
        using var set = new SubscriptionSet();
        set.TryAdd(a);
        set.TryAdd(b);
        var before = Drain(set);
        Assert.Equal(2, before.Count);
        var wait = set.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);

        await fixture.Internal.StopAsync(CancellationToken.None).WithTimeout(); // ends every subscription (reason: shutdown)

        await wait.WithTimeout();
        var ended = await ReadAsync(set, 2);
        Assert.All(ended, i =>
        {
            Assert.Equal(SubscriptionItemKind.Ended, i.Item.Kind);
            Assert.Equal(SubscriptionEndReason.Shutdown, i.Item.EndReason);
        });
        Assert.Equal(["a", "b"], ended.Select(i => i.Id).Order());
        Assert.Equal(0, set.Count);
        Assert.Empty(set.Subscriptions);
        Assert.False(set.TryGet("a", out _));
        Assert.Empty(Drain(set));
    }

    [Fact]
    public async Task EndedSubscription_DeliversWhatWasQueuedBeforeItsEnd()
    {
        await using var fixture = new BroadcasterFixture();
        var a = await SubscribeAsync(fixture, "a", "tasks/a");
        await PublishAsync(fixture, "tasks/a", 3);
        await fixture.Internal.StopAsync(CancellationToken.None).WithTimeout(); // routes what was published, then ends
        using var set = new SubscriptionSet();
        set.TryAdd(a);

        var items = Drain(set);

        Assert.Equal(
            [SubscriptionItemKind.Event, SubscriptionItemKind.Event, SubscriptionItemKind.Event, SubscriptionItemKind.Ended],
            items.Select(i => i.Item.Kind));
        Assert.Equal(0, set.Count);
    }

    [Fact]
    public async Task TryAdd_WithAnIdAlreadyInTheSet_ReturnsFalse_AndLeavesTheNewSubscriptionToItsOwner()
    {
        await using var fixture = new BroadcasterFixture();
        var first = await SubscribeAsync(fixture, "x", "tasks/a");
        using var second = await SubscribeAsync(fixture, "x", "tasks/b");
        using var set = new SubscriptionSet();

        Assert.True(set.TryAdd(first));
        Assert.False(set.TryAdd(second));

        Assert.Equal(1, set.Count);
        Assert.True(set.TryGet("x", out var held));
        Assert.Same(first, held);
        Assert.Null(second.EndReason);
        Assert.Contains(second, fixture.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task Dispose_DisposesEverySubscription_EndsAPendingWait_AndTakesNoMore()
    {
        await using var fixture = new BroadcasterFixture();
        var a = await SubscribeAsync(fixture, "a", "tasks/a");
        var b = await SubscribeAsync(fixture, "b", "tasks/b");
        using var late = await SubscribeAsync(fixture, "late", "tasks/c");
        var set = new SubscriptionSet();
        set.TryAdd(a);
        set.TryAdd(b);
        Assert.Empty(Drain(set));
        var wait = set.WaitToReadAsync().AsTask();

        await set.DisposeAsync();

        await wait.WithTimeout();
        Assert.Equal(SubscriptionEndReason.Unsubscribed, a.EndReason);
        Assert.Equal(SubscriptionEndReason.Unsubscribed, b.EndReason);
        Assert.Equal(0, set.Count);
        Assert.False(set.TryAdd(late));
        Assert.Null(late.EndReason);
        Assert.Same(late, Assert.Single(fixture.Broadcaster.Subscriptions));
        set.Dispose(); // twice is harmless
    }

    [Fact]
    public void SubscriptionThatFailsToWait_EndsWithFailed_IsRemovedAndDisposed_AndTheFailureGoesToTheCallback()
    {
        var failure = new IOException("history unavailable");
        var failing = Substitute.For<ISubscription>();
        failing.Id.Returns("failing");
        failing.WaitToReadAsync(Arg.Any<CancellationToken>()).Returns(ValueTask.FromException<bool>(failure));
        var faults = new List<(ISubscription Subscription, Exception Error)>();
        using var set = new SubscriptionSet((subscription, error) => faults.Add((subscription, error)));
        set.TryAdd(failing);

        Assert.True(set.TryRead(out var subscription, out var item));

        Assert.Same(failing, subscription);
        Assert.Equal(SubscriptionItemKind.Ended, item.Kind);
        Assert.Equal(SubscriptionEndReason.Failed, item.EndReason);
        var fault = Assert.Single(faults);
        Assert.Same(failing, fault.Subscription);
        Assert.Same(failure, fault.Error);
        failing.Received(1).Dispose();
        Assert.Equal(0, set.Count);
        Assert.False(set.TryRead(out _, out _));
    }

    [Fact]
    public async Task SubscriptionThatFailsToRead_EndsWithFailed_WhileTheOthersKeepDelivering()
    {
        await using var fixture = new BroadcasterFixture();
        var healthy = await SubscribeAsync(fixture, "healthy", "tasks/a");
        await PublishAsync(fixture, "tasks/a", 2);
        await DispatchedAsync(fixture);
        var failing = Substitute.For<ISubscription>();
        failing.Id.Returns("failing");
        failing.TryRead(out Arg.Any<SubscriptionItem>()).Returns(_ => throw new IOException("broken"));
        using var set = new SubscriptionSet(); // no callback: the failure is still contained
        set.TryAdd(failing);
        set.TryAdd(healthy);

        var items = Drain(set);

        Assert.Equal(["failing", "healthy", "healthy"], items.Select(i => i.Id));
        Assert.Equal(SubscriptionEndReason.Failed, items[0].Item.EndReason);
        Assert.All(items.Skip(1), i => Assert.Equal(SubscriptionItemKind.Event, i.Item.Kind));
        failing.Received(1).Dispose();
        Assert.Same(healthy, Assert.Single(set.Subscriptions));
    }

    [Fact]
    public async Task TryGet_Subscriptions_AndCount_ReflectTheSet()
    {
        await using var fixture = new BroadcasterFixture();
        var a = await SubscribeAsync(fixture, "a", "tasks/a");
        var b = await SubscribeAsync(fixture, "b", "tasks/b");
        using var set = new SubscriptionSet();
        set.TryAdd(a);
        set.TryAdd(b);

        Assert.Equal(2, set.Count);
        Assert.Equal(["a", "b"], set.Subscriptions.Select(s => s.Id).Order());
        Assert.True(set.TryGet("b", out var found));
        Assert.Same(b, found);
        Assert.False(set.TryGet("c", out _));
        Assert.Throws<ArgumentNullException>(() => set.TryGet(null!, out _));
        Assert.Throws<ArgumentNullException>(() => set.TryAdd(null!));
        Assert.Throws<ArgumentNullException>(() => set.Remove(null!));
        Assert.Throws<ArgumentNullException>(() => new SubscriptionSet(null!));
    }
}
