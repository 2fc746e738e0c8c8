using BenchmarkDotNet.Attributes;
using RealtimeEvents.Benchmarks.Support;

namespace RealtimeEvents.Benchmarks;

/// <summary>
/// Resuming from history: a subscription with <see cref="SubscriptionRequest.ResumeAfter"/> 1,000 events back in a log of
/// 10,000, read until it has all 1,000, against reading the same range straight from the log in pages (the least a
/// resume can cost). Figures are per replayed event.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class HistoryReplayBenchmarks
{
    private const int Retained = 10_000;
    private const int Replayed = 1000;
    private const int PageSize = 256;

    private BenchmarkHost _host = null!;
    private EventPosition _resumeAfter;

    [GlobalSetup]
    public void Setup()
    {
        _host = new BenchmarkHost(o => o.ReplayPageSize = PageSize);
        for (var i = 0; i < Retained; i++)
        {
            if (!_host.Broadcaster.TryPublish(BenchmarkEvents.Draft(), out _))
            {
                throw new InvalidOperationException("The in-memory log refused an event.");
            }
        }

        var current = _host.Log.CurrentPosition;
        _resumeAfter = new EventPosition(current.Epoch, current.Sequence - Replayed);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _host.DisposeAsync();

    /// <summary><see cref="IEventLog.ReadAsync"/> in pages of 256 from the same position: no subscription, no filter.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Replayed)]
    public async Task<int> Log_ReadPages()
    {
        var read = 0;
        var after = _resumeAfter;
        while (read < Replayed)
        {
            var page = await _host.Log.ReadAsync(after, PageSize);
            read += page.Events.Count;
            after = page.Events[^1].Position;
        }

        return read;
    }

    /// <summary>Subscribe with a resume position, read the 1,000 replayed events, unsubscribe.</summary>
    [Benchmark(OperationsPerInvoke = Replayed)]
    public async Task<int> Subscription_Resume()
    {
        await using var subscription = await _host.Broadcaster.SubscribeAsync(
            new SubscriptionRequest { Topics = [BenchmarkEvents.Topic], ResumeAfter = _resumeAfter });
        var read = 0;
        while (read < Replayed && await subscription.WaitToReadAsync())
        {
            while (read < Replayed && subscription.TryRead(out var item))
            {
                if (item.Kind == SubscriptionItemKind.Event)
                {
                    read++;
                }
            }
        }

        return read;
    }
}
