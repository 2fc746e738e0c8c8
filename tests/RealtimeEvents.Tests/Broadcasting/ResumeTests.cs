using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class ResumeTests
{
    [Fact]
    public async Task ResumeAfterAPosition_ReplaysExactlyTheMissedMatchingEvents_ThenContinuesLive()
    {
        await using var fixture = new BroadcasterFixture();
        await fixture.PublishManyAsync(10, "executions/e1");
        await fixture.PublishManyAsync(5, "tasks/t1");
        var after = new EventPosition(fixture.Log.CurrentPosition.Epoch, 4);

        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
        {
            Topics = ["executions/e1"],
            ResumeAfter = after,
        }).WithTimeout();
        await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(99, "executions/e1"));
        var items = await subscription.ReadItemsAsync(7);

        Assert.Equal(ResumeStatus.Complete, subscription.Resume);
        Assert.Equal([5L, 6, 7, 8, 9, 10, 16], items.Select(i => i.Event!.Sequence));
    }

    [Fact]
    public async Task ResumeFromTheStartOfTheEpoch_ReplaysEverything()
    {
        await using var fixture = new BroadcasterFixture();
        await fixture.PublishManyAsync(3);

        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
        {
            ResumeAfter = new EventPosition(fixture.Log.CurrentPosition.Epoch, 0),
        }).WithTimeout();

        Assert.Equal([1L, 2, 3], (await subscription.ReadItemsAsync(3)).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public async Task ResumeFromAnotherEpoch_SaysSoFirst_ThenReplaysWhatThisLogHas()
    {
        await using var fixture = new BroadcasterFixture();
        await fixture.PublishManyAsync(2);

        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
        {
            ResumeAfter = new EventPosition("previous-run", 500),
        }).WithTimeout();
        await fixture.PublishManyAsync(1);
        var items = await subscription.ReadItemsAsync(4);

        Assert.Equal(ResumeStatus.EpochChanged, subscription.Resume);
        Assert.Equal(GapReason.EpochChanged, items[0].Gap!.Reason);
        Assert.False(items[0].Gap!.Recoverable);
        Assert.Equal([1L, 2, 3], items.Skip(1).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public async Task ResumeOlderThanHistory_SaysWhichPositionsAreGone_ThenReplaysTheRest()
    {
        await using var fixture = new BroadcasterFixture(o => o.History.MaxEvents = 5);
        await using (await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout())
        {
            // keeps the dispatcher running while history is filled
        }

        await fixture.PublishManyAsync(20);
        var epoch = fixture.Log.CurrentPosition.Epoch;

        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
        {
            ResumeAfter = new EventPosition(epoch, 3),
        }).WithTimeout();
        var items = await subscription.ReadItemsAsync(6);

        Assert.Equal(ResumeStatus.Truncated, subscription.Resume);
        var gap = items[0].Gap!;
        Assert.Equal(GapReason.HistoryTruncated, gap.Reason);
        Assert.Null(gap.MissedCount);
        Assert.Equal(new EventPosition(epoch, 4), gap.FirstMissed);
        Assert.Equal(new EventPosition(epoch, 15), gap.LastMissed);
        Assert.False(gap.Recoverable);
        Assert.Equal([16L, 17, 18, 19, 20], items.Skip(1).Select(i => i.Event!.Sequence));
    }

    public static TheoryData<int, int> HandoffCases => new()
    {
        { 100_000, 7 },   // roomy queue: the replay/live handoff alone is under test
        { 8, 5 },         // tiny queue: the live queue overflows during the replay, which history must cover
    };

    [Theory]
    [MemberData(nameof(HandoffCases))]
    public async Task ResumeWhilePublishersRun_DeliversEveryEventExactlyOnceInOrder_OrReportsTheExactGap(int capacity, int pageSize)
    {
        for (var attempt = 0; attempt < 25; attempt++)
        {
            await using var fixture = new BroadcasterFixture(o =>
            {
                o.SubscriptionQueueCapacity = capacity;
                o.ReplayPageSize = pageSize;
                o.History.MaxEvents = 100_000;
            });
            await using (await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout())
            {
            }

            const int Total = 3_000;
            var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var publisher = Task.Run(async () =>
            {
                for (var i = 1; i <= Total; i++)
                {
                    await fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(i, i % 3 == 0 ? "tasks/other" : "executions/e1"));
                    if (i == Total / 3)
                    {
                        halfway.SetResult();
                    }
                }
            });

            await halfway.Task.WithTimeout();
            var resumeAfter = new EventPosition(fixture.Log.CurrentPosition.Epoch, 100 + attempt);
            await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
            {
                Topics = ["executions/**"],
                ResumeAfter = resumeAfter,
            }).WithTimeout();

            var expected = Enumerable.Range((int)resumeAfter.Sequence + 1, Total - (int)resumeAfter.Sequence)
                .Where(i => i % 3 != 0).Select(i => (long)i).ToList();
            var seen = new List<long>();
            long missedPositions = 0;
            var items = await subscription.ReadUntilAsync(item =>
            {
                if (item.Event is { } evt)
                {
                    seen.Add(evt.Sequence);
                }
                else if (item.Gap is { } gap)
                {
                    Assert.Equal(GapReason.Overflow, gap.Reason);
                    Assert.NotNull(gap.MissedCount);
                    missedPositions += gap.MissedCount!.Value;
                    seen.AddRange(expected.Where(s => s >= gap.FirstMissed!.Value.Sequence && s <= gap.LastMissed!.Value.Sequence).Select(s => -s));
                }

                return Math.Abs(seen.Count > 0 ? seen[^1] : 0) == expected[^1];
            });
            await publisher.WithTimeout();

            Assert.Equal(ResumeStatus.Complete, subscription.Resume);
            // Every expected event appears exactly once, in order, either delivered (+seq) or reported missing (-seq).
            Assert.True(expected.SequenceEqual(seen.Select(Math.Abs)), "Every expected event must be delivered or reported missing exactly once; gaps and every 50th event: " + string.Join(" | ", items.Where(i => i.Kind != SubscriptionItemKind.Event || i.Event!.Sequence % 50 == 0).Take(40)));
            Assert.Equal(expected, seen.Select(Math.Abs));
            Assert.Equal(seen.Count(s => s < 0), missedPositions);
            if (capacity >= Total)
            {
                Assert.Equal(0, missedPositions);
            }
        }
    }

    [Fact]
    public async Task Snapshot_ComesFirst_ThenOnlyEventsAfterItsPosition()
    {
        var provider = new ExecutionStateProvider();
        await using var fixture = new BroadcasterFixture(build: b => b.AddSnapshotProvider("executions/*", provider));
        provider.Broadcaster = fixture.Broadcaster;
        await using (await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout())
        {
        }

        await fixture.PublishManyAsync(3, "executions/e1");
        provider.Capture(); // state reflects events 1..3
        await fixture.PublishManyAsync(2, "executions/e1");

        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
        {
            Topics = ["executions/e1"],
            Snapshot = true,
        }).WithTimeout();
        var items = await subscription.ReadItemsAsync(3);

        var snapshot = items[0].Snapshot!;
        Assert.Equal("executions/e1", snapshot.Topic);
        Assert.Equal(3, snapshot.Position.Sequence);
        Assert.Equal("""{"count":3}""", snapshot.State.ToString());
        Assert.Same(snapshot, Assert.Single(subscription.Snapshots));
        Assert.Equal([4L, 5], items.Skip(1).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public async Task Snapshot_WithoutAProvider_IsRejected()
    {
        await using var fixture = new BroadcasterFixture();

        var ex = await Assert.ThrowsAsync<SubscriptionRejectedException>(() => fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
        {
            Topics = ["executions/e1"],
            Snapshot = true,
        }).AsTask()).WithTimeout();

        Assert.Equal(SubscriptionErrorCodes.SnapshotUnavailable, ex.Code);
        Assert.Empty(fixture.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task Snapshot_ProviderFailure_IsRejectedWithItsOwnCode()
    {
        var provider = NSubstitute.Substitute.For<ISnapshotProvider>();
        NSubstitute.SubstituteExtensions.Returns(
            provider.GetSnapshotAsync("executions/e1", NSubstitute.Arg.Any<CancellationToken>()),
            _ => ValueTask.FromException<EventSnapshot>(new InvalidOperationException("database down")));
        await using var fixture = new BroadcasterFixture(build: b => b.AddSnapshotProvider("executions/*", provider));

        var ex = await Assert.ThrowsAsync<SubscriptionRejectedException>(() => fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
        {
            Topics = ["executions/e1"],
            Snapshot = true,
        }).AsTask()).WithTimeout();

        Assert.Equal(SubscriptionErrorCodes.SnapshotFailed, ex.Code);
        Assert.Contains("database down", ex.Message, StringComparison.Ordinal);
    }

    private sealed class ExecutionStateProvider : ISnapshotProvider
    {
        private EventSnapshot? _captured;

        public IEventBroadcaster? Broadcaster { get; set; }

        public void Capture()
        {
            var position = Broadcaster!.CurrentPosition;
            _captured = new EventSnapshot("executions/e1", EventData.FromJson($$"""{"count":{{position.Sequence}}}"""), position);
        }

        public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken) =>
            ValueTask.FromResult(_captured ?? throw new InvalidOperationException("nothing captured"));
    }
}
