using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using RealtimeEvents.Benchmarks.Support;

namespace RealtimeEvents.Benchmarks;

/// <summary>
/// End to end in one process: publish (stamp, serialize once, append to the in-memory log), the dispatcher thread
/// routes to every subscription's bounded queue, and the benchmark thread reads every subscription dry. Figures are per
/// delivery (one event read by one subscriber).
/// </summary>
/// <remarks>
/// Every invocation makes <see cref="Deliveries"/> deliveries whatever the subscriber count (OperationsPerInvoke must be a
/// constant): rounds of <c>K</c> events to <c>N</c> subscribers, with <c>K</c> at most 1000 so it never exceeds the
/// default queue capacity (1024) and nothing is dropped. 1 subscriber: 100 rounds of 1000 events; 100: one round of
/// 1000; 10,000: one round of 10.
/// The baseline is what a team would hand-write instead: for each event, build the same event object (same id, same
/// one-time JSON serialization, via <see cref="BenchmarkEvents.Stamp"/>) and <c>TryWrite</c> it into N bounded
/// <c>DropOldest</c> channels, then read them dry — all on one thread, with no log, no history, no dispatcher hop.
/// A second hand-written variant moves the fan-out to another thread while the benchmark thread reads, which is the
/// library's own shape (publisher, one dispatcher thread, readers).
/// </remarks>
[MemoryDiagnoser]
[ShortInProcessJob]
public class PublishDeliverBenchmarks
{
    public const int Deliveries = 100_000;
    private const int MaxEventsPerRound = 1000;
    private const string BaselineEpoch = "baseline";

    private BenchmarkHost _host = null!;
    private EventDraft _draft = null!;
    private ISubscription[] _subscriptions = [];
    private Channel<RealtimeEvent>[] _channels = [];
    private RealtimeEvent[] _round = [];
    private int[] _received = [];
    private int _eventsPerRound;
    private int _rounds;
    private long _baselineSequence;

    [Params(1, 100, 10_000)]
    public int Subscribers { get; set; }

    /// <summary>
    /// Events the in-memory history keeps for resumes: the default (10,000) and a smaller one. The baselines keep no
    /// history; retained events survive young-generation collections, which is most of the gap at one subscriber.
    /// </summary>
    [Params(10_000, 1_000)]
    public int HistoryEvents { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _eventsPerRound = Math.Min(MaxEventsPerRound, Deliveries / Subscribers);
        _rounds = Deliveries / (Subscribers * _eventsPerRound);
        if (_rounds * Subscribers * _eventsPerRound != Deliveries)
        {
            throw new InvalidOperationException($"{Subscribers} subscribers do not divide {Deliveries} deliveries into whole rounds.");
        }

        // Default queue capacity 1024 (>= events per round, so nothing drops); history per the HistoryEvents parameter.
        _host = new BenchmarkHost(o => o.History.MaxEvents = HistoryEvents);
        _draft = BenchmarkEvents.Draft();
        _subscriptions = new ISubscription[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            _subscriptions[i] = await _host.Broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = [BenchmarkEvents.Topic] });
        }

        _channels = new Channel<RealtimeEvent>[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            _channels[i] = Channel.CreateBounded<RealtimeEvent>(
                new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        }

        _round = new RealtimeEvent[_eventsPerRound];
        _received = new int[Subscribers];
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _host.DisposeAsync();

    /// <summary>The hand-written loop: stamp each event once, write it into every channel, then read every channel dry.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Deliveries)]
    public int Channels_OneThread()
    {
        var delivered = 0;
        for (var round = 0; round < _rounds; round++)
        {
            for (var k = 0; k < _eventsPerRound; k++)
            {
                var evt = BenchmarkEvents.Stamp(_draft, BaselineEpoch, ++_baselineSequence);
                foreach (var channel in _channels)
                {
                    channel.Writer.TryWrite(evt);
                }
            }

            foreach (var channel in _channels)
            {
                while (channel.Reader.TryRead(out _))
                {
                    delivered++;
                }
            }
        }

        return delivered == Deliveries ? delivered : throw new InvalidOperationException($"Delivered {delivered} of {Deliveries}.");
    }

    /// <summary>The hand-written loop with the library's shape: stamp here, fan out on another thread, read here meanwhile.</summary>
    [Benchmark(OperationsPerInvoke = Deliveries)]
    public async Task Channels_WriterThread()
    {
        for (var round = 0; round < _rounds; round++)
        {
            for (var k = 0; k < _round.Length; k++)
            {
                _round[k] = BenchmarkEvents.Stamp(_draft, BaselineEpoch, ++_baselineSequence);
            }

            var writer = Task.Run(FanOutRound);
            await DrainChannelsAsync(_eventsPerRound);
            await writer;
        }
    }

    /// <summary>The library: <c>TryPublish</c> K events, then read every subscription until each has all K.</summary>
    [Benchmark(OperationsPerInvoke = Deliveries)]
    public async Task RealtimeEvents_PublishDeliver()
    {
        var broadcaster = _host.Broadcaster;
        for (var round = 0; round < _rounds; round++)
        {
            for (var k = 0; k < _eventsPerRound; k++)
            {
                if (!broadcaster.TryPublish(_draft, out _))
                {
                    throw new InvalidOperationException("TryPublish refused an event.");
                }
            }

            await DrainSubscriptionsAsync(_eventsPerRound);
        }
    }

    private void FanOutRound()
    {
        foreach (var evt in _round)
        {
            foreach (var channel in _channels)
            {
                channel.Writer.TryWrite(evt);
            }
        }
    }

    /// <summary>
    /// Reads round-robin whatever is available, so the reader keeps pace with the writer instead of waiting for the last
    /// subscriber's last event; waits (without spinning) only when a whole pass found nothing.
    /// </summary>
    private async Task DrainSubscriptionsAsync(int perSubscription)
    {
        Array.Clear(_received);
        var incomplete = _subscriptions.Length;
        var first = 0;
        while (incomplete > 0)
        {
            var progressed = false;
            for (var i = first; i < _subscriptions.Length; i++)
            {
                var received = _received[i];
                if (received == perSubscription)
                {
                    continue;
                }

                var subscription = _subscriptions[i];
                while (received < perSubscription && subscription.TryRead(out var item))
                {
                    if (item.Kind != SubscriptionItemKind.Event)
                    {
                        throw new InvalidOperationException($"Expected only events, got {item}: the benchmark would measure drops, not delivery.");
                    }

                    received++;
                }

                if (received != _received[i])
                {
                    progressed = true;
                    _received[i] = received;
                    if (received == perSubscription)
                    {
                        incomplete--;
                    }
                }
            }

            while (first < _received.Length && _received[first] == perSubscription)
            {
                first++;
            }

            if (!progressed && incomplete > 0 && !await _subscriptions[first].WaitToReadAsync())
            {
                throw new InvalidOperationException("A subscription ended during the benchmark.");
            }
        }
    }

    private async Task DrainChannelsAsync(int perChannel)
    {
        Array.Clear(_received);
        var incomplete = _channels.Length;
        var first = 0;
        while (incomplete > 0)
        {
            var progressed = false;
            for (var i = first; i < _channels.Length; i++)
            {
                var received = _received[i];
                if (received == perChannel)
                {
                    continue;
                }

                var reader = _channels[i].Reader;
                while (received < perChannel && reader.TryRead(out _))
                {
                    received++;
                }

                if (received != _received[i])
                {
                    progressed = true;
                    _received[i] = received;
                    if (received == perChannel)
                    {
                        incomplete--;
                    }
                }
            }

            while (first < _received.Length && _received[first] == perChannel)
            {
                first++;
            }

            if (!progressed && incomplete > 0)
            {
                await _channels[first].Reader.WaitToReadAsync();
            }
        }
    }
}
