using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.Diagnostics;
using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class MetricsTests
{
    [Fact]
    public async Task Meter_CountsPublishedDeliveredDroppedConflated_AndTracksSubscriptionsAndDepth()
    {
        await using var fixture = new BroadcasterFixture(o => o.SubscriptionQueueCapacity = 2);
        var meter = fixture.Services.GetRequiredService<RealtimeEventsMetrics>().Meter;
        Assert.Equal("RealtimeEvents", meter.Name);
        var totals = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name + ".count", 1, (_, v) => v + 1));
        listener.Start();

        await using var subscription = await fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
        await fixture.Broadcaster.PublishAsync(TaskEvents.Progress("t1", 10));
        await fixture.Broadcaster.PublishAsync(TaskEvents.Progress("t1", 20)); // supersedes 10
        await fixture.PublishManyAsync(3); // overflows the 2-slot queue
        await fixture.WaitForDispatchAsync();
        listener.RecordObservableInstruments();
        var depth = totals.GetValueOrDefault("realtime_events.queue.depth");
        await subscription.ReadItemsAsync(3); // gap + 2 events

        Assert.Equal(5, totals["realtime_events.published"]);
        Assert.Equal(1, totals["realtime_events.conflated"]);
        Assert.Equal(2, totals["realtime_events.dropped"]);
        Assert.Equal(2, totals["realtime_events.delivered"]);
        Assert.Equal(2, totals["realtime_events.delivery.latency.count"]);
        Assert.Equal(1, totals["realtime_events.subscriptions"]);
        Assert.Equal(2, depth);

        await subscription.DisposeAsync();
        Assert.Equal(0, totals["realtime_events.subscriptions"]);
    }
}
