using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RealtimeEvents.Benchmarks.Support;

namespace RealtimeEvents.Benchmarks;

/// <summary>
/// Publish→deliver through a RabbitMQ stream, next to the in-memory log: one node built through the real DI stack
/// (<c>AddRealtimeEvents().AddRabbitMq(...)</c>, hosted services started, the log attached to a fresh stream), one
/// subscriber via <see cref="IEventBroadcaster.SubscribeAsync"/>, and <see cref="IEventPublisher.PublishAsync"/>. Figures
/// are per event (one event published and read by the one subscriber). The broker's address comes from
/// <c>REALTIME_RABBITMQ_URI</c>.
/// </summary>
/// <remarks>
/// Two questions, one category each, each with the in-memory log as its baseline:
/// <list type="bullet">
/// <item><b>Throughput</b>: publish <see cref="BatchEvents"/> events with at most <see cref="InFlight"/>
/// <c>PublishAsync</c> calls outstanding, while the subscriber reads; the invocation ends when it has read all of them.</item>
/// <item><b>Sequential</b>: publish one event, await it, read it from the subscription, then the next: the round trip of
/// one event when nothing else is in flight.</item>
/// </list>
/// With RabbitMQ, <c>PublishAsync</c> completes only when the broker has confirmed the event and this node's tail has
/// read it back with its offset (the offset is its sequence), so every event makes two trips through the broker before
/// the dispatcher routes it. Each benchmark case gets a stream of its own, deleted in cleanup.
/// </remarks>
[MemoryDiagnoser]
[ShortInProcessJob]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RabbitMqPublishDeliverBenchmarks
{
    /// <summary>Events per throughput invocation. Below the subscription queue's default capacity (1024), so nothing drops.</summary>
    public const int BatchEvents = 1000;

    /// <summary>The most <c>PublishAsync</c> calls outstanding in the throughput benchmarks (below the log's default 1024 pending publishes).</summary>
    public const int InFlight = 256;

    /// <summary>Events per sequential invocation, one at a time.</summary>
    public const int SequentialEvents = 100;

    private const string Throughput = "Throughput";
    private const string Sequential = "Sequential";

    private readonly Task[] _publishers = new Task[InFlight];
    private SubscriberHost? _host;
    private EventDraft _draft = null!;
    private int _next;

    // Setup and cleanup block on purpose: BenchmarkDotNet 0.14's in-process toolchain calls an async GlobalSetup or
    // GlobalCleanup without awaiting it (dotnet/BenchmarkDotNet#1738, fixed in 0.15), so the benchmark would start before
    // the log attached, and the stream would outlive the run.
    [GlobalSetup(Targets = [nameof(InMemory_Throughput), nameof(InMemory_Sequential)])]
    public void SetupMemory() => Setup(BenchmarkLog.Memory);

    [GlobalSetup(Targets = [nameof(RabbitMq_Throughput), nameof(RabbitMq_Sequential)])]
    public void SetupRabbitMq() => Setup(BenchmarkLog.RabbitMq);

    [GlobalCleanup]
    public void Cleanup()
    {
        _host?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _host = null;
    }

    /// <summary>The in-memory log: publish a batch with up to <see cref="InFlight"/> calls outstanding; the subscriber reads it all.</summary>
    [BenchmarkCategory(Throughput)]
    [Benchmark(Baseline = true, OperationsPerInvoke = BatchEvents)]
    public Task InMemory_Throughput() => PublishBatchAsync();

    /// <summary>The RabbitMQ stream log: the same batch.</summary>
    [BenchmarkCategory(Throughput)]
    [Benchmark(OperationsPerInvoke = BatchEvents)]
    public Task RabbitMq_Throughput() => PublishBatchAsync();

    /// <summary>The in-memory log: publish one event, await it, read it; repeat.</summary>
    [BenchmarkCategory(Sequential)]
    [Benchmark(Baseline = true, OperationsPerInvoke = SequentialEvents)]
    public Task InMemory_Sequential() => PublishSequentiallyAsync();

    /// <summary>The RabbitMQ stream log: the same, one event at a time.</summary>
    [BenchmarkCategory(Sequential)]
    [Benchmark(OperationsPerInvoke = SequentialEvents)]
    public Task RabbitMq_Sequential() => PublishSequentiallyAsync();

    private void Setup(BenchmarkLog log)
    {
        _draft = BenchmarkEvents.Draft();
        _host = SubscriberHost.StartAsync(log).GetAwaiter().GetResult();
    }

    private async Task PublishBatchAsync()
    {
        _next = 0;
        var reader = ReadAsync(_host!.Subscription, BatchEvents);
        for (var i = 0; i < _publishers.Length; i++)
        {
            _publishers[i] = PublishLoopAsync(_host!.Broadcaster);
        }

        await Task.WhenAll(_publishers);
        await reader;
    }

    /// <summary>One of <see cref="InFlight"/> publishers: each awaits its own call, so at most that many are outstanding.</summary>
    private async Task PublishLoopAsync(IEventBroadcaster broadcaster)
    {
        while (Interlocked.Increment(ref _next) <= BatchEvents)
        {
            await broadcaster.PublishAsync(_draft);
        }
    }

    private async Task PublishSequentiallyAsync()
    {
        var broadcaster = _host!.Broadcaster;
        var subscription = _host.Subscription;
        for (var i = 0; i < SequentialEvents; i++)
        {
            await broadcaster.PublishAsync(_draft);
            await ReadAsync(subscription, 1);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> events; a gap notice or an end throws (the figures would measure loss).</summary>
    private static async Task ReadAsync(ISubscription subscription, int count)
    {
        var received = 0;
        while (true)
        {
            while (subscription.TryRead(out var item))
            {
                if (item.Kind != SubscriptionItemKind.Event)
                {
                    throw new InvalidOperationException($"Expected only events, got {item}: the benchmark would measure loss, not delivery.");
                }

                if (++received == count)
                {
                    return;
                }
            }

            if (!await subscription.WaitToReadAsync())
            {
                throw new InvalidOperationException("The subscription ended during the benchmark.");
            }
        }
    }
}
