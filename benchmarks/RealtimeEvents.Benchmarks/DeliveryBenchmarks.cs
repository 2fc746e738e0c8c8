using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using RealtimeEvents.Benchmarks.Support;
using RealtimeEvents.Broadcasting;
using RealtimeEvents.Routing;

namespace RealtimeEvents.Benchmarks;

/// <summary>
/// Delivery alone, on one thread: already-stamped events go through <see cref="SubscriptionRouter.Route"/> into every
/// subscription's <see cref="SubscriptionQueue"/> and are read back with <see cref="ISubscription.TryRead"/>. What the
/// dispatcher and a reader do per delivery, without the per-event cost of publishing (stamp, serialize, append) and
/// without the thread hop. Figures are per delivery; the target is 0 bytes allocated.
/// </summary>
/// <remarks>
/// Same rounds as <see cref="PublishDeliverBenchmarks"/> (100,000 deliveries per invocation, at most 1000 events per
/// round). The baseline writes the same pre-stamped events into N bounded <c>DropOldest</c> channels and reads them dry.
/// </remarks>
[MemoryDiagnoser]
[ShortInProcessJob]
public class DeliveryBenchmarks
{
    private const int Deliveries = PublishDeliverBenchmarks.Deliveries;

    private BenchmarkHost _host = null!;
    private SubscriptionRouter _router = null!;
    private Subscription[] _subscriptions = [];
    private Channel<RealtimeEvent>[] _channels = [];
    private RealtimeEvent[] _events = [];
    private int _rounds;

    [Params(1, 100, 10_000)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var eventsPerRound = Math.Min(1000, Deliveries / Subscribers);
        _rounds = Deliveries / (Subscribers * eventsPerRound);
        _events = BenchmarkEvents.StampMany(BenchmarkEvents.Draft(), eventsPerRound);

        _host = new BenchmarkHost();
        _router = new SubscriptionRouter();
        var filter = EventFilter.Create([BenchmarkEvents.Topic]);
        _subscriptions = new Subscription[Subscribers];
        _channels = new Channel<RealtimeEvent>[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            _subscriptions[i] = _host.CreateDetachedSubscription("sub-" + i, filter, capacity: 1024, out _);
            _router.Add(_subscriptions[i]);
            _channels[i] = Channel.CreateBounded<RealtimeEvent>(
                new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _host.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Deliveries)]
    public int Channels()
    {
        var delivered = 0;
        for (var round = 0; round < _rounds; round++)
        {
            foreach (var evt in _events)
            {
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

        return Check(delivered);
    }

    [Benchmark(OperationsPerInvoke = Deliveries)]
    public int RouterAndQueues()
    {
        var delivered = 0;
        for (var round = 0; round < _rounds; round++)
        {
            foreach (var evt in _events)
            {
                _router.Route(evt);
            }

            foreach (var subscription in _subscriptions)
            {
                while (subscription.TryRead(out var item))
                {
                    if (item.Kind != SubscriptionItemKind.Event)
                    {
                        throw new InvalidOperationException($"Expected only events, got {item}.");
                    }

                    delivered++;
                }
            }
        }

        return Check(delivered);
    }

    private static int Check(int delivered) =>
        delivered == Deliveries ? delivered : throw new InvalidOperationException($"Delivered {delivered} of {Deliveries}.");
}
