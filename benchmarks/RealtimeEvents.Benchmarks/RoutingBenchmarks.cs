using System.Globalization;
using BenchmarkDotNet.Attributes;
using RealtimeEvents.Benchmarks.Support;
using RealtimeEvents.Broadcasting;
using RealtimeEvents.Routing;

namespace RealtimeEvents.Benchmarks;

/// <summary>
/// Routing cost against the number of subscriptions that do <em>not</em> match: one event, one matching subscription,
/// and either nothing else (the baseline) or 10,000 other subscriptions. Figures are per routed event.
/// </summary>
/// <remarks>
/// Each invocation routes 1000 distinct pre-stamped events on <c>executions/exec-1</c> to a subscription on that exact
/// topic, then empties its queue straight through <see cref="SubscriptionQueue.TryDequeue"/> (the cheapest possible
/// read, so the router's share of the figure is as large as it can be). The target compares the two 10,000 cases that
/// the router's index is built for (other exact topics; patterns under other prefixes) with the baseline. Two cases are
/// outside the target: a single other pattern subscription, which shows that what the pattern case adds is the prefix
/// walk that any pattern switches on, not the count; and 10,000 patterns whose wildcard comes right after a segment
/// the event's topic shares (<c>executions/*/agents/agent-i</c>), which shows the index's limit: they are all indexed
/// under <c>executions</c>, so every event under it is checked against each of them.
/// </remarks>
[MemoryDiagnoser]
[ShortInProcessJob]
public class RoutingBenchmarks
{
    private const int Events = 1000;
    private const int Others = 10_000;

    private BenchmarkHost _host = null!;
    private RealtimeEvent[] _events = [];
    private (SubscriptionRouter Router, SubscriptionQueue Queue) _alone;
    private (SubscriptionRouter Router, SubscriptionQueue Queue) _onePatternOther;
    private (SubscriptionRouter Router, SubscriptionQueue Queue) _exactOthers;
    private (SubscriptionRouter Router, SubscriptionQueue Queue) _patternOthers;
    private (SubscriptionRouter Router, SubscriptionQueue Queue) _sharedPrefixOthers;

    [GlobalSetup]
    public void Setup()
    {
        _host = new BenchmarkHost();
        _events = BenchmarkEvents.StampMany(BenchmarkEvents.Draft(), Events);
        _alone = Build(_ => null);
        _onePatternOther = Build(i => i == 0 ? "tenants/t0/**" : null);
        _exactOthers = Build(i => "executions/other-" + i.ToString(CultureInfo.InvariantCulture));
        _patternOthers = Build(i => "tenants/t" + i.ToString(CultureInfo.InvariantCulture) + "/**");
        _sharedPrefixOthers = Build(i => "executions/*/agents/agent-" + i.ToString(CultureInfo.InvariantCulture));
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _host.DisposeAsync();

    /// <summary>One subscription in the router, and it matches.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int OneSubscription() => RouteAll(_alone);

    /// <summary>
    /// Outside the target, to read the next two: plus a single non-matching pattern subscription. Any pattern at all
    /// switches on the prefix walk (one lookup per ancestor of the topic), whatever the number of subscriptions.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int OneOther_Pattern() => RouteAll(_onePatternOther);

    /// <summary>Plus 10,000 subscriptions to other exact topics (<c>executions/other-i</c>).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int TenThousandOthers_ExactTopics() => RouteAll(_exactOthers);

    /// <summary>Plus 10,000 subscriptions to patterns under other prefixes (<c>tenants/ti/**</c>).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int TenThousandOthers_Patterns() => RouteAll(_patternOthers);

    /// <summary>Outside the target: plus 10,000 patterns that all share the event's first segment before the wildcard.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int TenThousandOthers_SharedPrefixPatterns() => RouteAll(_sharedPrefixOthers);

    private int RouteAll((SubscriptionRouter Router, SubscriptionQueue Queue) target)
    {
        var delivered = 0;
        foreach (var evt in _events)
        {
            delivered += target.Router.Route(evt);
        }

        var read = 0;
        while (target.Queue.TryDequeue(out _))
        {
            read++;
        }

        return delivered == Events && read == Events
            ? delivered
            : throw new InvalidOperationException($"Routed {delivered} and read {read} of {Events}: exactly one subscription must match.");
    }

    private (SubscriptionRouter, SubscriptionQueue) Build(Func<int, string?> otherTopic)
    {
        var router = new SubscriptionRouter();
        var matching = _host.CreateDetachedSubscription("matching", EventFilter.Create([BenchmarkEvents.Topic]), capacity: 1024, out var queue);
        router.Add(matching);
        for (var i = 0; i < Others; i++)
        {
            if (otherTopic(i) is { } topic)
            {
                router.Add(_host.CreateDetachedSubscription("other-" + i, EventFilter.Create([topic]), capacity: 1024, out _));
            }
        }

        return (router, queue);
    }
}
