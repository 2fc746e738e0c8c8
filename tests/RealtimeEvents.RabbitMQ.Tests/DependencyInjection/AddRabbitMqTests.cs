using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.DependencyInjection;

public sealed class AddRabbitMqTests
{
    private static HostApplicationBuilder Builder(Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        return builder;
    }

    [Fact]
    public async Task AddRabbitMq_ReplacesTheInMemoryLog_AndTheNodeAttaches()
    {
        var stream = TestBroker.NewStreamName("di");
        var builder = Builder();
        builder.Services.AddRealtimeEvents().AddRabbitMq(o =>
        {
            o.ConnectionString = TestBroker.Uri;
            o.StreamName = stream;
        });
        using var host = builder.Build();
        try
        {
            await host.StartAsync().WithTimeout();
            var log = Assert.IsType<RabbitMqEventLog>(host.Services.GetRequiredService<IEventLog>());
            await log.WaitUntilAttachedAsync(CancellationToken.None).WithTimeout();

            var published = await host.Services.GetRequiredService<IEventPublisher>()
                .PublishAsync(new EventDraft(EventTypes.Execution.Started, "executions/e1")).WithTimeout();
            Assert.Equal(log.CurrentPosition.Epoch, published.Epoch);
            var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WithTimeout();
            Assert.Equal(HealthStatus.Healthy, health.Entries[RabbitMqRealtimeEventsBuilderExtensions.HealthCheckName].Status);
            await host.StopAsync().WithTimeout();
        }
        finally
        {
            await TestBroker.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public void WithoutAddRabbitMq_TheLogStaysInMemory()
    {
        var builder = Builder();
        builder.Services.AddRealtimeEvents();
        using var host = builder.Build();

        Assert.Equal("InMemoryEventLog", host.Services.GetRequiredService<IEventLog>().GetType().Name);
    }

    [Fact]
    public void Options_AreBoundFromTheRealtimeEventsRabbitMqSection()
    {
        var builder = Builder(new()
        {
            ["RealtimeEvents:RabbitMq:ConnectionString"] = "amqp://user:pw@rabbit.internal:5673/vh",
            ["RealtimeEvents:RabbitMq:StreamName"] = "orders-events",
            ["RealtimeEvents:RabbitMq:MaxLengthBytes"] = "2147483648",
            ["RealtimeEvents:RabbitMq:MaxAge"] = "06:00:00",
            ["RealtimeEvents:RabbitMq:PublishTimeout"] = "00:00:03",
            ["RealtimeEvents:RabbitMq:MaxPendingPublishes"] = "64",
        });
        builder.Services.AddRealtimeEvents().AddRabbitMq();
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<RabbitMqEventLogOptions>>().Value;
        Assert.Equal("amqp://user:pw@rabbit.internal:5673/vh", options.ConnectionString);
        Assert.Equal("orders-events", options.StreamName);
        Assert.Equal(2L << 30, options.MaxLengthBytes);
        Assert.Equal(TimeSpan.FromHours(6), options.MaxAge);
        Assert.Equal(TimeSpan.FromSeconds(3), options.PublishTimeout);
        Assert.Equal(64, options.MaxPendingPublishes);
    }

    [Fact]
    public void Configure_IsAppliedAfterConfiguration()
    {
        var builder = Builder(new() { ["RealtimeEvents:RabbitMq:StreamName"] = "from-config", ["RealtimeEvents:RabbitMq:ConnectionString"] = "amqp://127.0.0.1:1/" });
        builder.Services.AddRealtimeEvents().AddRabbitMq(o => o.StreamName = "from-code");
        using var host = builder.Build();

        Assert.Equal("from-code", host.Services.GetRequiredService<IOptions<RabbitMqEventLogOptions>>().Value.StreamName);
    }

    [Fact]
    public async Task AMissingConnectionString_FailsAtStartup_SayingWhatToSet()
    {
        var builder = Builder();
        builder.Services.AddRealtimeEvents().AddRabbitMq();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()).WithTimeout();
        Assert.Contains("RealtimeEvents:RabbitMq:ConnectionString is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ConnectionString", "http://rabbit:5672", "must be an amqp:// or amqps:// URI")]
    [InlineData("StreamName", "amq.events", "must not start with 'amq.'")]
    [InlineData("Prefetch", "5", "Prefetch must be between 10 and 65535")]
    [InlineData("MaxPendingPublishes", "0", "MaxPendingPublishes must be between 1 and 65536")]
    [InlineData("MaxSegmentSizeBytes", "2147483648", "MaxSegmentSizeBytes must be between 4096 and 1073741824")]
    [InlineData("PublishTimeout", "00:00:00.010", "PublishTimeout must be between")]
    [InlineData("MaxAge", "00:00:00", "MaxAge must be at least")]
    public async Task InvalidOptions_FailAtStartup_NamingTheValue(string key, string value, string message)
    {
        var builder = Builder(new()
        {
            ["RealtimeEvents:RabbitMq:ConnectionString"] = "amqp://127.0.0.1:1/",
            ["RealtimeEvents:RabbitMq:" + key] = value,
        });
        builder.Services.AddRealtimeEvents().AddRabbitMq();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()).WithTimeout();
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CallingTwice_RegistersOneLogAndOneHealthCheck()
    {
        var builder = Builder();
        builder.Services.AddRealtimeEvents().AddRabbitMq(o => o.ConnectionString = "amqp://127.0.0.1:1/").AddRabbitMq();
        using var host = builder.Build();

        Assert.Single(builder.Services, d => d.ServiceType == typeof(RabbitMqEventLog));
        var checks = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        Assert.Single(checks, r => r.Name == RabbitMqRealtimeEventsBuilderExtensions.HealthCheckName);
    }
}
