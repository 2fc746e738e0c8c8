using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using RealtimeEvents.EventLog;
using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class DispatcherTests
{
    [Fact]
    public async Task DispatcherThatFallsBehindHistory_TellsEverySubscriberWhichPositionsItLost()
    {
        GatedEventLog? gated = null;
        await using var fixture = new BroadcasterFixture(
            o => o.History.MaxEvents = 3,
            b => b.UseEventLog(sp =>
            {
                var options = sp.GetService(typeof(IOptions<RealtimeEventsOptions>)) as IOptions<RealtimeEventsOptions>;
                return gated = new GatedEventLog(new InMemoryEventLog(options!, (TimeProvider)sp.GetService(typeof(TimeProvider))!));
            }));
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = ["executions/**"] }).WithTimeout();

        gated!.Close();
        await fixture.PublishManyAsync(10); // the log keeps only 8..10 while the dispatcher cannot read
        gated.Open();
        var items = await subscription.ReadItemsAsync(4);

        var gap = items[0].Gap!;
        Assert.Equal(GapReason.HistoryTruncated, gap.Reason);
        Assert.Null(gap.MissedCount);
        Assert.Equal(1, gap.FirstMissed!.Value.Sequence);
        Assert.Equal(7, gap.LastMissed!.Value.Sequence);
        Assert.False(gap.Recoverable);
        Assert.Equal([8L, 9, 10], items.Skip(1).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public async Task DispatcherSurvivesALogThatThrows_AndRoutesWhatComesAfter()
    {
        GatedEventLog? gated = null;
        await using var fixture = new BroadcasterFixture(build: b => b.UseEventLog(sp =>
        {
            var options = (IOptions<RealtimeEventsOptions>)sp.GetService(typeof(IOptions<RealtimeEventsOptions>))!;
            return gated = new GatedEventLog(new InMemoryEventLog(options, (TimeProvider)sp.GetService(typeof(TimeProvider))!));
        }));
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();

        gated!.FailNextRead();
        await fixture.PublishManyAsync(3);

        // After a failure the dispatcher waits (on the injected clock) before retrying, rather than spinning.
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        while (!fixture.Time.HasPendingTimers)
        {
            await Task.Yield();
            timeout.Token.ThrowIfCancellationRequested();
        }

        Assert.True(gated.Failed);
        Assert.Equal(0, subscription.QueueDepth);
        fixture.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([1L, 2, 3], (await subscription.ReadItemsAsync(3)).Select(i => i.Event!.Sequence));
    }

    [Fact]
    public async Task AnEmptyTruncatedRead_IsAnnouncedAsAGap_NotPassedOverSilently()
    {
        // A broker-backed log that was unreachable while retention ran answers "truncated" with nothing to route yet.
        GatedEventLog? gated = null;
        await using var fixture = new BroadcasterFixture(build: b => b.UseEventLog(sp =>
        {
            var options = (IOptions<RealtimeEventsOptions>)sp.GetService(typeof(IOptions<RealtimeEventsOptions>))!;
            return gated = new GatedEventLog(new InMemoryEventLog(options, (TimeProvider)sp.GetService(typeof(TimeProvider))!));
        }));
        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
        await fixture.PublishManyAsync(1);
        Assert.Equal(1, (await subscription.ReadItemsAsync(1))[0].Event!.Sequence);

        gated!.Close();
        await fixture.PublishManyAsync(3); // 2, 3, 4
        gated.TruncateNextReadThrough(3);
        gated.Open();
        var items = await subscription.ReadItemsAsync(2);

        var gap = items[0].Gap!;
        Assert.Equal(GapReason.HistoryTruncated, gap.Reason);
        Assert.Equal(2, gap.FirstMissed!.Value.Sequence);
        Assert.Equal(3, gap.LastMissed!.Value.Sequence);
        Assert.Equal(4, items[1].Event!.Sequence);
    }

    /// <summary>An event log whose reads can be held back or made to fail once, to put the dispatcher in a known state.</summary>
    private sealed class GatedEventLog(IEventLog inner) : IEventLog
    {
        private volatile TaskCompletionSource _gate = Completed();
        private int _failNext;
        private long _truncateThrough = -1;

        public bool Failed { get; private set; }

        public EventPosition CurrentPosition => inner.CurrentPosition;

        public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _gate.TrySetResult();

        public void FailNextRead() => Interlocked.Exchange(ref _failNext, 1);

        /// <summary>The next read answers "truncated" with no events and the newest position at <paramref name="sequence"/>.</summary>
        public void TruncateNextReadThrough(long sequence) => Interlocked.Exchange(ref _truncateThrough, sequence);

        public ValueTask<RealtimeEvent> AppendAsync(EventDraft draft, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(draft, cancellationToken);

        public bool TryAppend(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? appended) => inner.TryAppend(draft, out appended);

        public async ValueTask<EventLogReadResult> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken = default)
        {
            await _gate.Task.WaitAsync(cancellationToken);
            if (Interlocked.Exchange(ref _failNext, 0) == 1)
            {
                Failed = true;
                throw new IOException("simulated log failure");
            }

            if (Interlocked.Exchange(ref _truncateThrough, -1) is var through and >= 0)
            {
                return new EventLogReadResult([], ResumeStatus.Truncated, new EventPosition(after.Epoch, through));
            }

            return await inner.ReadAsync(after, maxCount, cancellationToken);
        }

        public ValueTask WaitForEventsAsync(EventPosition after, CancellationToken cancellationToken) =>
            inner.WaitForEventsAsync(after, cancellationToken);

        public bool CanResumeFrom(EventPosition position) => inner.CanResumeFrom(position);

        private static TaskCompletionSource Completed()
        {
            var tcs = new TaskCompletionSource();
            tcs.SetResult();
            return tcs;
        }
    }
}
