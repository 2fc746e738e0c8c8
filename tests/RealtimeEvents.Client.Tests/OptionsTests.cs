using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace RealtimeEvents.Client.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingEveryProblem()
    {
        var error = Assert.Throws<ArgumentException>(() => new RealtimeEventsClient(new RealtimeEventsClientOptions
        {
            Endpoint = new Uri("ftp://example.com/realtime"),
            QueueCapacity = 0,
            Reconnect = { MaxAttempts = 0 },
        }));

        Assert.Contains("Endpoint must be an absolute http, https, ws or wss URI", error.Message, StringComparison.Ordinal);
        Assert.Contains("QueueCapacity must be between 1 and 1000000; it is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts must be at least 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRealtimeEventsClient_BindsTheConfigurationSection_ThenAppliesCode()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RealtimeEventsClient:Endpoint"] = "https://example.com/realtime",
            ["RealtimeEventsClient:QueueCapacity"] = "64",
            ["RealtimeEventsClient:Reconnect:MaxDelay"] = "00:00:30",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);

        services.AddRealtimeEventsClient(o => o.QueueFullMode = ClientQueueFullMode.Wait);
        services.AddRealtimeEventsClient();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RealtimeEventsClientOptions>>().Value;
        Assert.Equal(new Uri("https://example.com/realtime"), options.Endpoint);
        Assert.Equal(64, options.QueueCapacity);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Reconnect.MaxDelay);
        Assert.Equal(ClientQueueFullMode.Wait, options.QueueFullMode);
        Assert.Same(provider.GetRequiredService<RealtimeEventsClient>(), provider.GetRequiredService<RealtimeEventsClient>());
        Assert.Single(services, d => d.ServiceType == typeof(RealtimeEventsClient));
    }

    [Fact]
    public async Task AddRealtimeEventsClient_WithoutEndpoint_FailsValidation()
    {
        await using var provider = new ServiceCollection().AddRealtimeEventsClient().BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<RealtimeEventsClient>());
        Assert.Contains("RealtimeEventsClient:Endpoint", error.Message, StringComparison.Ordinal);
    }
}
