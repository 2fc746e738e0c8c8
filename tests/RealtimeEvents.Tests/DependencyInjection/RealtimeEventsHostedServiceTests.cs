using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RealtimeEvents.Broadcasting;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Tests.DependencyInjection;

public sealed class RealtimeEventsHostedServiceTests
{
    [Fact]
    public async Task StartAsync_InvalidOption_Throws_ValidateOnStart()
    {
        using var host = BuildHost(services => services.AddRealtimeEvents(o => o.SubscriptionQueueCapacity = 0));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()).WithTimeout();

        Assert.Contains("RealtimeEvents:SubscriptionQueueCapacity", ex.Message, StringComparison.Ordinal);
        Assert.Contains("it is 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidConfigurationValue_Throws_NamingTheSetting()
    {
        using var host = BuildHost(
            services => services.AddRealtimeEvents(),
            new() { ["RealtimeEvents:History:MaxAge"] = "31.00:00:00" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()).WithTimeout();

        Assert.Contains("RealtimeEvents:History:MaxAge", ex.Message, StringComparison.Ordinal);
        Assert.Contains("31.00:00:00", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ValidConfiguration_BindsTheSection()
    {
        using var host = BuildHost(
            services => services.AddRealtimeEvents(),
            new() { ["RealtimeEvents:SubscriptionQueueCapacity"] = "7", ["RealtimeEvents:History:MaxEvents"] = "70" });

        await host.StartAsync().WithTimeout();
        var options = host.Services.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value;
        await host.StopAsync().WithTimeout();

        Assert.Equal(7, options.SubscriptionQueueCapacity);
        Assert.Equal(70, options.History.MaxEvents);
    }

    [Fact]
    public async Task StartAsync_StartsTheDispatcher()
    {
        using var host = BuildHost(services => services.AddRealtimeEvents());
        var broadcaster = BroadcasterOf(host);
        Assert.False(broadcaster.Dispatcher.IsRunning);

        await host.StartAsync().WithTimeout();

        Assert.True(broadcaster.Dispatcher.IsRunning);
        await host.StopAsync().WithTimeout();
    }

    [Fact]
    public async Task StartedHost_DeliversPublishedEventsToSubscribers()
    {
        using var host = BuildHost(services => services.AddRealtimeEvents());
        await host.StartAsync().WithTimeout();
        var broadcaster = host.Services.GetRequiredService<IEventBroadcaster>();
        await using var subscription = await broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = ["executions/*"] }).WithTimeout();

        await host.Services.GetRequiredService<IEventPublisher>().PublishAsync(ExecutionEvents.Started("e1")).WithTimeout();
        var items = await subscription.ReadItemsAsync(1);

        Assert.Equal(EventTypes.Execution.Started, items[0].Event!.Type);
        await host.StopAsync().WithTimeout();
    }

    [Fact]
    public async Task StopAsync_DeliversWhatWasPublished_ThenEndsLiveSubscriptionsWithShutdown()
    {
        using var host = BuildHost(services => services.AddRealtimeEvents());
        await host.StartAsync().WithTimeout();
        var broadcaster = host.Services.GetRequiredService<IEventBroadcaster>();
        await using var first = await broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = ["executions/e1"] }).WithTimeout();
        await using var second = await broadcaster.SubscribeAsync(new SubscriptionRequest()).WithTimeout();
        for (var i = 1; i <= 3; i++)
        {
            // Not progress events: those carry a conflation key and would supersede each other in the unread queue.
            await broadcaster.PublishAsync(new EventDraft(EventTypes.Execution.Started, "executions/e1")).WithTimeout();
        }

        await host.StopAsync().WithTimeout();

        foreach (var subscription in new[] { first, second })
        {
            var items = await subscription.ReadItemsAsync(4);
            Assert.Equal(
                [SubscriptionItemKind.Event, SubscriptionItemKind.Event, SubscriptionItemKind.Event, SubscriptionItemKind.Ended],
                items.Select(i => i.Kind));
            Assert.Equal([1L, 2, 3], items.Take(3).Select(i => i.Event!.Sequence));
            Assert.Equal(SubscriptionEndReason.Shutdown, items[3].EndReason);
            Assert.Equal(SubscriptionEndReason.Shutdown, subscription.EndReason);
            Assert.False(await subscription.WaitToReadAsync().AsTask().WithTimeout());
        }

        Assert.Empty(broadcaster.Subscriptions);
    }

    [Fact]
    public async Task StopAsync_ThenPublishingAndSubscribing_AreRefused()
    {
        using var host = BuildHost(services => services.AddRealtimeEvents());
        await host.StartAsync().WithTimeout();
        var broadcaster = host.Services.GetRequiredService<IEventBroadcaster>();

        await host.StopAsync().WithTimeout();

        Assert.False(BroadcasterOf(host).Dispatcher.IsRunning);
        Assert.False(broadcaster.TryPublish(ExecutionEvents.Started("e1"), out _));
        var ex = await Assert.ThrowsAsync<SubscriptionRejectedException>(() => broadcaster.SubscribeAsync(new SubscriptionRequest()).AsTask()).WithTimeout();
        Assert.Equal(SubscriptionErrorCodes.ShuttingDown, ex.Code);
    }

    private static EventBroadcaster BroadcasterOf(IHost host) => (EventBroadcaster)host.Services.GetRequiredService<IEventBroadcaster>();

    private static IHost BuildHost(Action<IServiceCollection> configure, Dictionary<string, string?>? configuration = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        configure(builder.Services);
        return builder.Build();
    }
}
