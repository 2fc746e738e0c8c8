using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RealtimeEvents.Broadcasting;
using RealtimeEvents.DependencyInjection;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Tests.DependencyInjection;

public sealed class RealtimeEventsServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddRealtimeEvents_PublisherAndBroadcaster_AreTheSameSingleton()
    {
        await using var provider = Build(services => services.AddRealtimeEvents());

        var publisher = provider.GetRequiredService<IEventPublisher>();
        var broadcaster = provider.GetRequiredService<IEventBroadcaster>();

        Assert.Same(publisher, broadcaster);
        Assert.Same(broadcaster, provider.GetRequiredService<IEventBroadcaster>());
        Assert.Same(broadcaster, provider.GetRequiredService<EventBroadcaster>());
        Assert.IsType<EventBroadcaster>(broadcaster);
    }

    [Fact]
    public async Task AddRealtimeEvents_RegistersTheInMemoryLog_TheClockAndOneHostedService()
    {
        await using var provider = Build(services => services.AddRealtimeEvents());

        Assert.IsType<RealtimeEvents.EventLog.InMemoryEventLog>(provider.GetRequiredService<IEventLog>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        Assert.Single(provider.GetServices<IHostedService>().OfType<RealtimeEventsHostedService>());
    }

    [Fact]
    public async Task AddRealtimeEvents_KeepsAClockRegisteredBeforeIt()
    {
        var time = new FakeTimeProvider();
        await using var provider = Build(services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddRealtimeEvents();
        });

        var evt = await provider.GetRequiredService<IEventPublisher>().PublishAsync(new EventDraft("a.b", "t")).WithTimeout();

        Assert.Equal(time.GetUtcNow(), evt.Time);
    }

    [Fact]
    public void AddRealtimeEvents_ReturnsABuilderOverTheSameServices()
    {
        var services = new ServiceCollection();

        var builder = services.AddRealtimeEvents();

        Assert.Same(services, builder.Services);
    }

    [Fact]
    public void AddRealtimeEvents_NullServices_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => RealtimeEventsServiceCollectionExtensions.AddRealtimeEvents(null!));

    [Fact]
    public void AddRealtimeEvents_Twice_RegistersNothingTwice()
    {
        var once = new ServiceCollection();
        once.AddRealtimeEvents();
        var twice = new ServiceCollection();
        twice.AddRealtimeEvents();
        twice.AddRealtimeEvents();

        Assert.Equal(once.Count, twice.Count);
        Assert.Equal(
            once.Select(d => d.ServiceType.FullName).Order(StringComparer.Ordinal),
            twice.Select(d => d.ServiceType.FullName).Order(StringComparer.Ordinal));
        foreach (var serviceType in new[]
        {
            typeof(IEventLog), typeof(IEventPublisher), typeof(IEventBroadcaster), typeof(EventBroadcaster), typeof(TimeProvider),
            typeof(IValidateOptions<RealtimeEventsOptions>), typeof(IConfigureOptions<RealtimeEventsOptions>),
        })
        {
            Assert.Single(twice, d => d.ServiceType == serviceType);
        }

        Assert.Single(twice, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(RealtimeEventsHostedService));
    }

    [Fact]
    public async Task AddRealtimeEvents_Twice_StillResolvesOneBroadcaster_AndOneHostedService()
    {
        await using var provider = Build(services =>
        {
            services.AddRealtimeEvents();
            services.AddRealtimeEvents();
        });

        Assert.Same(provider.GetRequiredService<IEventPublisher>(), provider.GetRequiredService<IEventBroadcaster>());
        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Single(provider.GetServices<IValidateOptions<RealtimeEventsOptions>>());
    }

    [Fact]
    public async Task AddRealtimeEvents_Twice_AppliesBothConfigureActions_InOrder()
    {
        await using var provider = Build(services =>
        {
            services.AddRealtimeEvents(o =>
            {
                o.SubscriptionQueueCapacity = 10;
                o.ReplayPageSize = 5;
            });
            services.AddRealtimeEvents(o =>
            {
                o.ReplayPageSize = 7;
                o.History.MaxEvents = 99;
            });
        });

        var options = provider.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value;

        Assert.Equal(10, options.SubscriptionQueueCapacity);
        Assert.Equal(7, options.ReplayPageSize);
        Assert.Equal(99, options.History.MaxEvents);
    }

    [Fact]
    public async Task AddRealtimeEvents_WithoutConfiguration_UsesTheDocumentedDefaults()
    {
        await using var provider = Build(services => services.AddRealtimeEvents());

        var options = provider.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value;

        Assert.Equal(1024, options.SubscriptionQueueCapacity);
        Assert.Equal(LagPolicy.KeepDropping, options.LagPolicy);
        Assert.Equal(3, options.MaxConsecutiveOverflows);
        Assert.Equal(256, options.ReplayPageSize);
        Assert.Equal(10_000, options.History.MaxEvents);
        Assert.Equal(64L * 1024 * 1024, options.History.MaxBytes);
        Assert.Equal(TimeSpan.FromHours(1), options.History.MaxAge);
    }

    [Fact]
    public async Task AddRealtimeEvents_BindsTheRealtimeEventsConfigurationSection()
    {
        var configuration = Configuration(new()
        {
            ["RealtimeEvents:SubscriptionQueueCapacity"] = "10",
            ["RealtimeEvents:LagPolicy"] = "EndSubscription",
            ["RealtimeEvents:MaxConsecutiveOverflows"] = "5",
            ["RealtimeEvents:ReplayPageSize"] = "50",
            ["RealtimeEvents:History:MaxEvents"] = "500",
            ["RealtimeEvents:History:MaxBytes"] = "2048",
            ["RealtimeEvents:History:MaxAge"] = "00:05:00",
            ["Other:SubscriptionQueueCapacity"] = "99",
        });
        await using var provider = Build(services =>
        {
            services.AddSingleton(configuration);
            services.AddRealtimeEvents();
        });

        var options = provider.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value;

        Assert.Equal(10, options.SubscriptionQueueCapacity);
        Assert.Equal(LagPolicy.EndSubscription, options.LagPolicy);
        Assert.Equal(5, options.MaxConsecutiveOverflows);
        Assert.Equal(50, options.ReplayPageSize);
        Assert.Equal(500, options.History.MaxEvents);
        Assert.Equal(2048, options.History.MaxBytes);
        Assert.Equal(TimeSpan.FromMinutes(5), options.History.MaxAge);
    }

    [Fact]
    public async Task AddRealtimeEvents_ConfigureAction_RunsAfterConfigurationBinding()
    {
        var configuration = Configuration(new()
        {
            ["RealtimeEvents:SubscriptionQueueCapacity"] = "10",
            ["RealtimeEvents:History:MaxEvents"] = "500",
        });
        await using var provider = Build(services =>
        {
            services.AddSingleton(configuration);
            services.AddRealtimeEvents(o => o.SubscriptionQueueCapacity = 20);
        });

        var options = provider.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value;

        Assert.Equal(20, options.SubscriptionQueueCapacity);
        Assert.Equal(500, options.History.MaxEvents);
    }

    [Fact]
    public async Task AddRealtimeEvents_BoundHistoryLimits_ReachTheInMemoryLog()
    {
        var configuration = Configuration(new() { ["RealtimeEvents:History:MaxEvents"] = "3" });
        await using var provider = Build(services =>
        {
            services.AddSingleton(configuration);
            services.AddRealtimeEvents();
        });
        var publisher = provider.GetRequiredService<IEventPublisher>();
        var log = provider.GetRequiredService<IEventLog>();
        for (var i = 0; i < 5; i++)
        {
            await publisher.PublishAsync(new EventDraft("a.b", "t")).WithTimeout();
        }

        var read = await log.ReadAsync(new EventPosition(log.CurrentPosition.Epoch, 0), 100).WithTimeout();

        Assert.Equal([3L, 4, 5], read.Events.Select(e => e.Sequence));
        Assert.Equal(ResumeStatus.Truncated, read.Status);
    }

    [Fact]
    public async Task AddRealtimeEvents_InvalidBoundValue_FailsValidation_NamingTheSetting()
    {
        var configuration = Configuration(new() { ["RealtimeEvents:History:MaxEvents"] = "0" });
        await using var provider = Build(services =>
        {
            services.AddSingleton(configuration);
            services.AddRealtimeEvents();
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value);

        Assert.Contains("RealtimeEvents:History:MaxEvents", ex.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        configure(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
