using RealtimeEvents.Broadcasting;
using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class SubscriptionQueueTests
{
    private static List<SubscriptionQueue.QueueItem> DrainAll(SubscriptionQueue queue)
    {
        var items = new List<SubscriptionQueue.QueueItem>();
        while (queue.TryDequeue(out var item))
        {
            items.Add(item);
        }

        return items;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(10_000)]
    public void Overflow_DropsTheOldest_AndReportsExactCountAndPositionsBeforeTheNextEvent(int capacity)
    {
        var queue = new SubscriptionQueue(capacity, LagPolicy.KeepDropping, 3);
        const int Extra = 7;
        var outcomes = new List<RealtimeEvent>();
        for (var seq = 1; seq <= capacity + Extra; seq++)
        {
            if (queue.Enqueue(TestEvents.Stamped(seq)).Dropped is { } dropped)
            {
                outcomes.Add(dropped);
            }
        }

        var items = DrainAll(queue);

        Assert.Equal(Enumerable.Range(1, Extra).Select(i => (long)i), outcomes.Select(e => e.Sequence));
        Assert.Equal(Extra, queue.Dropped);
        var drop = Assert.IsType<SubscriptionQueue.DropRecord>(items[0].Drop);
        Assert.Equal(Extra, drop.Count);
        Assert.Equal(TestEvents.At(1), drop.First);
        Assert.Equal(TestEvents.At(Extra), drop.Last);
        Assert.Equal(Enumerable.Range(Extra + 1, capacity).Select(i => (long)i), items.Skip(1).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public void Overflow_AfterSomeReads_ReportsOnlyWhatWasDroppedSince()
    {
        var queue = new SubscriptionQueue(2, LagPolicy.KeepDropping, 3);
        queue.Enqueue(TestEvents.Stamped(1));
        queue.Enqueue(TestEvents.Stamped(2));
        Assert.True(queue.TryDequeue(out var first));
        queue.Enqueue(TestEvents.Stamped(3));
        queue.Enqueue(TestEvents.Stamped(4)); // drops 2

        var items = DrainAll(queue);

        Assert.Equal(1, first.Event!.Sequence);
        Assert.Equal(new SubscriptionQueue.DropRecord(1, TestEvents.At(2), TestEvents.At(2)), items[0].Drop);
        Assert.Equal([3L, 4], items.Skip(1).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public void Conflation_ReplacesTheOlderPendingEvent_AndKeepsLogOrder()
    {
        var queue = new SubscriptionQueue(10, LagPolicy.KeepDropping, 3);
        queue.Enqueue(TestEvents.Stamped(1, conflationKey: "A"));
        queue.Enqueue(TestEvents.Stamped(2));
        var outcome = queue.Enqueue(TestEvents.Stamped(3, conflationKey: "A"));

        var items = DrainAll(queue);

        Assert.True(outcome.Conflated);
        Assert.Equal(1, queue.Conflated);
        Assert.Equal([2L, 3], items.Select(i => i.Event!.Sequence));
    }

    [Fact]
    public void Conflation_FreesTheSlot_SoUnrelatedEventsAreNotPushedOut()
    {
        var queue = new SubscriptionQueue(2, LagPolicy.KeepDropping, 3);
        queue.Enqueue(TestEvents.Stamped(1, topic: "tasks/other"));
        for (var seq = 2; seq <= 100; seq++)
        {
            Assert.Null(queue.Enqueue(TestEvents.Stamped(seq, conflationKey: "progress")).Dropped);
        }

        var items = DrainAll(queue);

        Assert.Equal(0, queue.Dropped);
        Assert.Equal(98, queue.Conflated);
        Assert.Equal([1L, 100], items.Select(i => i.Event!.Sequence));
    }

    [Fact]
    public void Conflation_NeverSupersedesATerminalEvent()
    {
        var queue = new SubscriptionQueue(10, LagPolicy.KeepDropping, 3);
        queue.Enqueue(TestEvents.Stamped(1, conflationKey: "A"));
        queue.Enqueue(TestEvents.Stamped(2, type: EventTypes.Task.Completed, conflationKey: "A"));
        queue.Enqueue(TestEvents.Stamped(3, conflationKey: "A"));

        var items = DrainAll(queue);

        // The completed event keeps its place; only progress 1 is superseded by progress 3.
        Assert.Equal([2L, 3], items.Select(i => i.Event!.Sequence));
        Assert.True(items[0].Event!.IsTerminal);
    }

    [Fact]
    public void Conflation_OfAnEventAlreadyRead_DoesNothing()
    {
        var queue = new SubscriptionQueue(10, LagPolicy.KeepDropping, 3);
        queue.Enqueue(TestEvents.Stamped(1, conflationKey: "A"));
        Assert.True(queue.TryDequeue(out _));

        var outcome = queue.Enqueue(TestEvents.Stamped(2, conflationKey: "A"));

        Assert.False(outcome.Conflated);
        Assert.Equal([2L], DrainAll(queue).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public void ManyKeysAndDrops_KeepOrder_Bounds_AndTheNewestValuePerKey()
    {
        var random = new Random(1234);
        const int Capacity = 16;
        var queue = new SubscriptionQueue(Capacity, LagPolicy.KeepDropping, 3);
        var delivered = new List<RealtimeEvent>();
        var newestPerKey = new Dictionary<string, long>();
        long droppedSeen = 0;
        for (var seq = 1; seq <= 20_000; seq++)
        {
            var key = random.Next(4) == 0 ? null : "k" + random.Next(12);
            queue.Enqueue(TestEvents.Stamped(seq, conflationKey: key));
            if (key is not null)
            {
                newestPerKey[key] = seq;
            }

            Assert.InRange(queue.Count, 0, Capacity);
            var reads = random.Next(3);
            for (var r = 0; r < reads && queue.TryDequeue(out var item); r++)
            {
                if (item.Event is { } evt)
                {
                    delivered.Add(evt);
                }
                else
                {
                    droppedSeen += item.Drop!.Count!.Value;
                }
            }
        }

        foreach (var item in DrainAll(queue))
        {
            if (item.Event is { } evt)
            {
                delivered.Add(evt);
            }
            else
            {
                droppedSeen += item.Drop!.Count!.Value;
            }
        }

        Assert.True(delivered.Zip(delivered.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence), "delivery order");
        Assert.Equal(20_000, delivered.Count + droppedSeen + queue.Conflated);
        Assert.Equal(queue.Dropped, droppedSeen);
        foreach (var (key, newest) in newestPerKey)
        {
            var last = delivered.LastOrDefault(e => e.ConflationKey == key);
            Assert.True(last is null || last.Sequence <= newest);
        }

        // The very newest event of each key always survives when nothing later could push it out.
        Assert.Equal(20_000, delivered[^1].Sequence);
    }

    [Fact]
    public void LagPolicyEndSubscription_EndsADeadReader_AfterTheConfiguredOverflows_AndFreesTheQueue()
    {
        var queue = new SubscriptionQueue(2, LagPolicy.EndSubscription, maxConsecutiveOverflows: 3);
        var endedAt = 0;
        for (var seq = 1; seq <= 50 && endedAt == 0; seq++)
        {
            if (queue.Enqueue(TestEvents.Stamped(seq)).EndedForLag)
            {
                endedAt = seq;
            }
        }

        // Overflows count at the 1st, 3rd and 5th drop (a new overflow, then each further full queue lost): drop 5 is event 7.
        Assert.Equal(7, endedAt);
        Assert.Equal(SubscriptionEndReason.Lagging, queue.EndReason);
        Assert.Equal(0, queue.Count);
        var items = DrainAll(queue);
        Assert.Equal(SubscriptionEndReason.Lagging, Assert.Single(items).End);
        Assert.False(queue.Enqueue(TestEvents.Stamped(100)).EndedForLag);
    }

    [Fact]
    public void LagPolicyEndSubscription_ForgivesAReaderThatCatchesUp()
    {
        var queue = new SubscriptionQueue(2, LagPolicy.EndSubscription, maxConsecutiveOverflows: 2);
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.False(queue.Enqueue(TestEvents.Stamped((round * 3) + i + 1)).EndedForLag);
            }

            DrainAll(queue); // reads the gap notice and empties the queue: caught up
        }

        Assert.Null(queue.EndReason);
    }

    [Fact]
    public void LagPolicyKeepDropping_NeverEnds()
    {
        var queue = new SubscriptionQueue(1, LagPolicy.KeepDropping, maxConsecutiveOverflows: 1);
        for (var seq = 1; seq <= 1000; seq++)
        {
            Assert.False(queue.Enqueue(TestEvents.Stamped(seq)).EndedForLag);
        }

        Assert.Null(queue.EndReason);
        Assert.Equal(999, queue.Dropped);
    }

    [Fact]
    public async Task WaitToRead_CompletesWhenAnEventArrives()
    {
        var queue = new SubscriptionQueue(4, LagPolicy.KeepDropping, 3);

        var wait = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);
        queue.Enqueue(TestEvents.Stamped(1));

        Assert.True(await wait.WithTimeout());
        Assert.True(queue.TryDequeue(out var item));
        Assert.Equal(1, item.Event!.Sequence);
    }

    [Fact]
    public async Task WaitToRead_HonoursCancellation_AndCanWaitAgainAfterwards()
    {
        var queue = new SubscriptionQueue(4, LagPolicy.KeepDropping, 3);
        using var cts = new CancellationTokenSource();

        var wait = queue.WaitToReadAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WithTimeout());

        var again = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        queue.Enqueue(TestEvents.Stamped(1));
        Assert.True(await again.WithTimeout());
    }

    [Fact]
    public async Task End_KeepingQueued_DeliversQueuedEventsThenTheEnd_ThenWaitReturnsFalse()
    {
        var queue = new SubscriptionQueue(4, LagPolicy.KeepDropping, 3);
        queue.Enqueue(TestEvents.Stamped(1));
        queue.Enqueue(TestEvents.Stamped(2));

        Assert.True(queue.End(SubscriptionEndReason.Shutdown, keepQueued: true));
        Assert.False(queue.End(SubscriptionEndReason.Unsubscribed, keepQueued: false));
        queue.Enqueue(TestEvents.Stamped(3));
        var items = DrainAll(queue);

        Assert.Equal([1L, 2], items.Take(2).Select(i => i.Event!.Sequence));
        Assert.Equal(SubscriptionEndReason.Shutdown, items[2].End);
        Assert.Equal(3, items.Count);
        Assert.False(await queue.WaitToReadAsync(CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task End_WakesAWaitingReader()
    {
        var queue = new SubscriptionQueue(4, LagPolicy.KeepDropping, 3);
        var wait = queue.WaitToReadAsync(CancellationToken.None).AsTask();

        queue.End(SubscriptionEndReason.Unsubscribed, keepQueued: false);

        Assert.True(await wait.WithTimeout());
        Assert.True(queue.TryDequeue(out var item));
        Assert.Equal(SubscriptionEndReason.Unsubscribed, item.End);
    }

    [Fact]
    public async Task ConcurrentWriterAndReader_DeliverEverythingInOrder_OrReportTheExactDrops()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var queue = new SubscriptionQueue(8, LagPolicy.KeepDropping, 3);
            const int Total = 5_000;
            var writer = Task.Run(() =>
            {
                for (var seq = 1; seq <= Total; seq++)
                {
                    queue.Enqueue(TestEvents.Stamped(seq));
                }

                queue.End(SubscriptionEndReason.Shutdown, keepQueued: true);
            });

            long expected = 1;
            var done = false;
            while (!done && await queue.WaitToReadAsync(CancellationToken.None).WithTimeout())
            {
                while (queue.TryDequeue(out var item))
                {
                    if (item.Drop is { } drop)
                    {
                        Assert.Equal(expected, drop.First.Sequence);
                        Assert.Equal(drop.Last.Sequence - drop.First.Sequence + 1, drop.Count);
                        expected = drop.Last.Sequence + 1;
                    }
                    else if (item.Event is { } evt)
                    {
                        Assert.Equal(expected, evt.Sequence);
                        expected++;
                    }
                    else
                    {
                        done = true;
                    }
                }
            }

            await writer.WithTimeout();
            Assert.Equal(Total + 1, expected);
        }
    }
}
