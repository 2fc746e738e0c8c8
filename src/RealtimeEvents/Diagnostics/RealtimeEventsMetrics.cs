using System.Diagnostics.Metrics;

namespace RealtimeEvents.Diagnostics;

/// <summary>The <see cref="Meter"/> named <c>RealtimeEvents</c> and its instruments.</summary>
internal sealed class RealtimeEventsMetrics : IDisposable
{
    public const string MeterName = "RealtimeEvents";

    private readonly bool _ownsMeter;
    private Func<long>? _queueDepth;

    public RealtimeEventsMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Published = Meter.CreateCounter<long>("realtime_events.published", "{event}", "Events appended to the event log.");
        Delivered = Meter.CreateCounter<long>("realtime_events.delivered", "{event}", "Events read by subscribers.");
        Dropped = Meter.CreateCounter<long>("realtime_events.dropped", "{event}", "Events dropped from full subscription queues.");
        Conflated = Meter.CreateCounter<long>("realtime_events.conflated", "{event}", "Queued events superseded by a newer event with the same conflation key.");
        Subscriptions = Meter.CreateUpDownCounter<long>("realtime_events.subscriptions", "{subscription}", "Active subscriptions.");
        DeliveryLatency = Meter.CreateHistogram<double>("realtime_events.delivery.latency", "ms",
            "Time from publish to the subscriber reading the event.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 5000] });
        Meter.CreateObservableGauge("realtime_events.queue.depth", () => _queueDepth?.Invoke() ?? 0, "{event}",
            "Events waiting in all subscription queues.");
    }

    public Meter Meter { get; }

    public Counter<long> Published { get; }

    public Counter<long> Delivered { get; }

    public Counter<long> Dropped { get; }

    public Counter<long> Conflated { get; }

    public UpDownCounter<long> Subscriptions { get; }

    public Histogram<double> DeliveryLatency { get; }

    public void ObserveQueueDepth(Func<long> queueDepth) => _queueDepth = queueDepth;

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
