using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using RealtimeEvents.Broadcasting;

namespace RealtimeEvents.Benchmarks.Support;

/// <summary>A broadcaster built through the real DI registration (<c>AddRealtimeEvents</c>), as a host would build it.</summary>
internal sealed class BenchmarkHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public BenchmarkHost(Action<RealtimeEventsOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddRealtimeEvents(configure);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Broadcaster = _services.GetRequiredService<IEventBroadcaster>();
        Log = _services.GetRequiredService<IEventLog>();
    }

    public IEventBroadcaster Broadcaster { get; }

    public IEventLog Log { get; }

    internal EventBroadcaster Internal => (EventBroadcaster)Broadcaster;

    /// <summary>
    /// Creates a subscription that is <em>not</em> registered with the broadcaster's router or dispatcher, for benchmarks
    /// that drive their own <see cref="Routing.SubscriptionRouter"/> on the benchmark thread.
    /// </summary>
    internal Subscription CreateDetachedSubscription(string id, EventFilter filter, int capacity, out SubscriptionQueue queue)
    {
        queue = new SubscriptionQueue(capacity, LagPolicy.KeepDropping, maxConsecutiveOverflows: 3);
        return new Subscription(Internal, id, filter, queue, Log, TimeProvider.System, NullLogger.Instance, pageSize: 256, snapshots: [], startPosition: Log.CurrentPosition);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
