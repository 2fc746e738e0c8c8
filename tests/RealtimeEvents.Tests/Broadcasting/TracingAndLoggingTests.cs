using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Broadcasting;

public sealed class TracingAndLoggingTests
{
    [Fact]
    public async Task Publish_StartsAProducerActivity_WithTypeTopicAndPosition()
    {
        await using var fixture = new BroadcasterFixture();
        var topic = "executions/trace-" + Guid.NewGuid().ToString("N"); // other tests publish concurrently
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "RealtimeEvents",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("realtime_events.topic"), topic))
                {
                    activities.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var published = await fixture.Broadcaster.PublishAsync(new EventDraft(EventTypes.Execution.Started, topic));
        Assert.True(fixture.Broadcaster.TryPublish(new EventDraft(EventTypes.Execution.Completed, topic), out var second));

        Assert.Equal(2, activities.Count);
        Assert.All(activities, a => Assert.Equal("RealtimeEvents.Publish", a.OperationName));
        Assert.All(activities, a => Assert.Equal(ActivityKind.Producer, a.Kind));
        Assert.Equal([published.Position.ToString(), second.Position.ToString()], activities.Select(a => a.GetTagItem("realtime_events.position")));
        Assert.Equal([EventTypes.Execution.Started, EventTypes.Execution.Completed], activities.Select(a => a.GetTagItem("realtime_events.type")));
    }

    [Fact]
    public async Task EveryDrop_IsLogged_WithAStableEventId_AndLaggingEndsAreWarnings()
    {
        var logs = new CollectingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddRealtimeEvents(o =>
        {
            o.SubscriptionQueueCapacity = 1;
            o.LagPolicy = LagPolicy.EndSubscription;
            o.MaxConsecutiveOverflows = 3;
        });
        await using var provider = services.BuildServiceProvider();
        var broadcaster = provider.GetRequiredService<IEventBroadcaster>();
        await using var subscription = await broadcaster.SubscribeAsync(new SubscriptionRequest { Id = "slow" }).WithTimeout();

        for (var i = 1; i <= 6; i++)
        {
            await broadcaster.PublishAsync(BroadcasterFixture.Draft(i));
        }

        // No reads until the dispatcher has routed enough to end it, so the drop count is exact.
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        while (subscription.EndReason is null)
        {
            await Task.Yield();
            timeout.Token.ThrowIfCancellationRequested();
        }

        await subscription.ReadUntilAsync(item => item.Kind == SubscriptionItemKind.Ended);

        var drops = logs.Entries.Where(e => e.Id.Id == 12).ToList();
        Assert.Equal(3, drops.Count); // capacity 1: drops at events 2, 3 and 4, the third overflow ends it
        Assert.All(drops, d => Assert.Equal(LogLevel.Debug, d.Level));
        Assert.Contains("Subscription slow dropped event", drops[0].Message, StringComparison.Ordinal);
        var lagging = Assert.Single(logs.Entries, e => e.Id.Id == 13);
        Assert.Equal(LogLevel.Warning, lagging.Level);
        Assert.Contains(logs.Entries, e => e.Id.Id == 1 && e.Category == "RealtimeEvents.Dispatcher");
    }
}
