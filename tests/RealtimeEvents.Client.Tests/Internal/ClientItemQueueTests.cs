using RealtimeEvents.Client.Internal;

namespace RealtimeEvents.Client.Tests.Internal;

public sealed class ClientItemQueueTests
{
    private static RealtimeEvent Event(long seq) =>
        RealtimeEvent.Create(new EventDraft("task.progress", "tasks/t-1"), "e" + seq, DateTimeOffset.UnixEpoch, new EventPosition("ep", seq));

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(10000)]
    public void Write_WhenFull_DropsOldestAndReportsOneGapBeforeTheRest(int capacity)
    {
        var queue = new ClientItemQueue(capacity);
        var total = capacity * 3;
        for (var i = 1; i <= total; i++)
        {
            queue.Write(SubscriptionItem.ForEvent(Event(i)));
            Assert.True(queue.Buffered <= capacity);
        }

        Assert.True(queue.TryRead(out var gap));
        Assert.Equal(SubscriptionItemKind.Gap, gap.Kind);
        Assert.Equal(total - capacity, gap.Gap!.MissedCount);
        Assert.Equal(1, gap.Gap.FirstMissed!.Value.Sequence);
        Assert.Equal(total - capacity, gap.Gap.LastMissed!.Value.Sequence);
        Assert.True(gap.Gap.Recoverable);
        for (var i = total - capacity + 1; i <= total; i++)
        {
            Assert.True(queue.TryRead(out var item));
            Assert.Equal(i, item.Event!.Sequence);
        }

        Assert.False(queue.TryRead(out _));
        Assert.Equal(total - capacity, queue.Dropped);
    }

    [Fact]
    public void Write_DroppingAServerGap_MergesItIntoTheNotice()
    {
        var queue = new ClientItemQueue(2);
        queue.Write(SubscriptionItem.ForGap(new GapNotice(GapReason.EpochChanged, null, null, null, recoverable: false)));
        queue.Write(SubscriptionItem.ForEvent(Event(5)));
        queue.Write(SubscriptionItem.ForEvent(Event(6)));

        Assert.True(queue.TryRead(out var gap));
        Assert.Equal(GapReason.EpochChanged, gap.Gap!.Reason);
        Assert.False(gap.Gap.Recoverable);
        Assert.True(queue.TryRead(out var next));
        Assert.Equal(5, next.Event!.Sequence);
    }

    [Fact]
    public async Task Complete_AddsTheEndEvenWhenFull_AndCompletesAfterItIsRead()
    {
        var queue = new ClientItemQueue(1);
        queue.Write(SubscriptionItem.ForEvent(Event(1)));
        queue.Complete(SubscriptionEndReason.Shutdown);

        var items = new List<SubscriptionItem>();
        await foreach (var item in queue.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            items.Add(item);
        }

        Assert.Equal([SubscriptionItemKind.Event, SubscriptionItemKind.Ended], items.Select(i => i.Kind));
        Assert.Equal(SubscriptionEndReason.Shutdown, items[1].EndReason);
        Assert.True(queue.Completion.IsCompleted);
    }

    [Fact]
    public async Task WaitForSpaceAsync_CompletesWhenTheReaderTakesAnItem()
    {
        var queue = new ClientItemQueue(1);
        queue.Write(SubscriptionItem.ForEvent(Event(1)));
        var space = queue.WaitForSpaceAsync(CancellationToken.None);
        Assert.False(space.IsCompleted);

        Assert.True(queue.TryRead(out _));

        await space.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
