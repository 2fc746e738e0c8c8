using Microsoft.Extensions.DependencyInjection;
using NSubstitute;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Tests.DependencyInjection;

public sealed class RealtimeEventsBuilderExtensionsTests
{
    [Theory]
    [InlineData("exec-*", "'*' must be a whole segment")]
    [InlineData("executions/**/agents", "'**' may only be the last segment")]
    [InlineData("executions//*", "segments must not be empty")]
    public void AddSnapshotProvider_MalformedPattern_ThrowsArgumentException_WithTheReason(string pattern, string reason)
    {
        var builder = new ServiceCollection().AddRealtimeEvents();

        var ex = Assert.Throws<ArgumentException>(() => builder.AddSnapshotProvider(pattern, Substitute.For<ISnapshotProvider>()));

        Assert.Equal("topicPattern", ex.ParamName);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("executions/e 1")]
    [InlineData("executions/")]
    [InlineData("")]
    public void AddSnapshotProvider_MalformedTopic_ThrowsArgumentException_NamingTheRule(string topic)
    {
        var builder = new ServiceCollection().AddRealtimeEvents();

        var ex = Assert.Throws<ArgumentException>(() => builder.AddSnapshotProvider(topic, _ => Substitute.For<ISnapshotProvider>()));

        Assert.Equal("topicPattern", ex.ParamName);
        Assert.Contains(EventNames.TopicRule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSnapshotProvider_Generic_MalformedPattern_ThrowsArgumentException_AndRegistersNothing()
    {
        var services = new ServiceCollection();
        var builder = services.AddRealtimeEvents();

        Assert.Throws<ArgumentException>(() => builder.AddSnapshotProvider<StubSnapshotProvider>("exec-*"));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(StubSnapshotProvider));
    }

    [Fact]
    public void AddSnapshotProvider_NullArguments_ThrowArgumentNullException()
    {
        var builder = new ServiceCollection().AddRealtimeEvents();

        Assert.Throws<ArgumentNullException>(() => builder.AddSnapshotProvider(null!, Substitute.For<ISnapshotProvider>()));
        Assert.Throws<ArgumentNullException>(() => builder.AddSnapshotProvider("a/*", (ISnapshotProvider)null!));
        Assert.Throws<ArgumentNullException>(() => builder.AddSnapshotProvider("a/*", (Func<IServiceProvider, ISnapshotProvider>)null!));
        Assert.Throws<ArgumentNullException>(() => ((IRealtimeEventsBuilder)null!).AddSnapshotProvider("a/*", _ => Substitute.For<ISnapshotProvider>()));
    }

    [Fact]
    public async Task AddSnapshotProvider_RegisteredProvider_ServesSnapshotSubscriptions()
    {
        var provider = Substitute.For<ISnapshotProvider>();
        var state = EventData.FromJson("""{"status":"running"}""");
        provider.GetSnapshotAsync("executions/e1", Arg.Any<CancellationToken>())
            .Returns(call => ValueTask.FromResult(new EventSnapshot("executions/e1", state, new EventPosition("e1", 0))));
        var services = new ServiceCollection();
        services.AddRealtimeEvents().AddSnapshotProvider("executions/*", provider);
        await using var built = services.BuildServiceProvider();

        await using var subscription = await built.GetRequiredService<IEventBroadcaster>()
            .SubscribeAsync(new SubscriptionRequest { Topics = ["executions/e1"], Snapshot = true }).WithTimeout();

        var snapshot = Assert.Single(subscription.Snapshots);
        Assert.Equal(state, snapshot.State);
        await provider.Received(1).GetSnapshotAsync("executions/e1", Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task AddSnapshotProvider_Generic_ResolvesTheProviderFromDI()
    {
        var services = new ServiceCollection();
        services.AddRealtimeEvents().AddSnapshotProvider<StubSnapshotProvider>("tasks/*");
        await using var built = services.BuildServiceProvider();

        await using var subscription = await built.GetRequiredService<IEventBroadcaster>()
            .SubscribeAsync(new SubscriptionRequest { Topics = ["tasks/t1"], Snapshot = true }).WithTimeout();

        Assert.Equal("tasks/t1", Assert.Single(subscription.Snapshots).Topic);
        Assert.Equal(1, built.GetRequiredService<StubSnapshotProvider>().Calls);
    }

    [Fact]
    public void UseEventLog_ReplacesTheInMemoryLog()
    {
        var log = Substitute.For<IEventLog>();
        var services = new ServiceCollection();

        services.AddRealtimeEvents().UseEventLog(_ => log);
        using var built = services.BuildServiceProvider();

        Assert.Same(log, built.GetRequiredService<IEventLog>());
        Assert.Single(services, d => d.ServiceType == typeof(IEventLog));
    }

    [Fact]
    public void UseEventLog_TheBroadcasterUsesTheReplacementLog()
    {
        var log = Substitute.For<IEventLog>();
        log.CurrentPosition.Returns(new EventPosition("broker", 41));
        var services = new ServiceCollection();
        services.AddRealtimeEvents().UseEventLog(_ => log);
        using var built = services.BuildServiceProvider();

        var broadcaster = built.GetRequiredService<IEventBroadcaster>();

        Assert.Equal(new EventPosition("broker", 41), broadcaster.CurrentPosition);
    }

    [Fact]
    public void UseEventLog_SurvivesALaterAddRealtimeEventsCall()
    {
        var log = Substitute.For<IEventLog>();
        var services = new ServiceCollection();
        services.AddRealtimeEvents().UseEventLog(_ => log);

        services.AddRealtimeEvents();
        using var built = services.BuildServiceProvider();

        Assert.Same(log, built.GetRequiredService<IEventLog>());
    }

    [Fact]
    public void UseEventLog_CreatesTheLogOnce()
    {
        var created = 0;
        var services = new ServiceCollection();
        services.AddRealtimeEvents().UseEventLog(_ =>
        {
            created++;
            return Substitute.For<IEventLog>();
        });
        using var built = services.BuildServiceProvider();

        Assert.Same(built.GetRequiredService<IEventLog>(), built.GetRequiredService<IEventLog>());
        _ = built.GetRequiredService<IEventBroadcaster>();
        Assert.Equal(1, created);
    }

    [Fact]
    public void UseEventLog_NullArguments_ThrowArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddRealtimeEvents().UseEventLog(null!));
        Assert.Throws<ArgumentNullException>(() => ((IRealtimeEventsBuilder)null!).UseEventLog(_ => Substitute.For<IEventLog>()));
    }

    internal sealed class StubSnapshotProvider : ISnapshotProvider
    {
        public int Calls { get; private set; }

        public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(new EventSnapshot(topic, EventData.FromJson("{}"), new EventPosition("e1", 0)));
        }
    }
}
