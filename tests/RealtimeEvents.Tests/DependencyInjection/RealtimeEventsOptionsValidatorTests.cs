using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RealtimeEvents.DependencyInjection;

namespace RealtimeEvents.Tests.DependencyInjection;

public sealed class RealtimeEventsOptionsValidatorTests
{
    [Theory]
    [InlineData("SubscriptionQueueCapacity", "0", "RealtimeEvents:SubscriptionQueueCapacity must be between 1 and 1000000; it is 0.")]
    [InlineData("SubscriptionQueueCapacity", "1000001", "RealtimeEvents:SubscriptionQueueCapacity must be between 1 and 1000000; it is 1000001.")]
    [InlineData("SubscriptionQueueCapacity", "-1", "RealtimeEvents:SubscriptionQueueCapacity must be between 1 and 1000000; it is -1.")]
    [InlineData("MaxConsecutiveOverflows", "0", "RealtimeEvents:MaxConsecutiveOverflows must be between 1 and 1000; it is 0.")]
    [InlineData("MaxConsecutiveOverflows", "1001", "RealtimeEvents:MaxConsecutiveOverflows must be between 1 and 1000; it is 1001.")]
    [InlineData("ReplayPageSize", "0", "RealtimeEvents:ReplayPageSize must be between 1 and 10000; it is 0.")]
    [InlineData("ReplayPageSize", "10001", "RealtimeEvents:ReplayPageSize must be between 1 and 10000; it is 10001.")]
    [InlineData("History:MaxEvents", "0", "RealtimeEvents:History:MaxEvents must be between 1 and 10000000; it is 0.")]
    [InlineData("History:MaxEvents", "10000001", "RealtimeEvents:History:MaxEvents must be between 1 and 10000000; it is 10000001.")]
    [InlineData("History:MaxBytes", "10", "RealtimeEvents:History:MaxBytes must be between 1024 and 17179869184; it is 10.")]
    [InlineData("History:MaxBytes", "17179869185", "RealtimeEvents:History:MaxBytes must be between 1024 and 17179869184; it is 17179869185.")]
    [InlineData("History:MaxAge", "00:00:00", "RealtimeEvents:History:MaxAge must be between 00:00:01 and 30.00:00:00; it is 00:00:00.")]
    [InlineData("History:MaxAge", "00:00:00.999", "RealtimeEvents:History:MaxAge must be between 00:00:01 and 30.00:00:00; it is 00:00:00.9990000.")]
    [InlineData("History:MaxAge", "31.00:00:00", "RealtimeEvents:History:MaxAge must be between 00:00:01 and 30.00:00:00; it is 31.00:00:00.")]
    [InlineData("History:MaxAge", "-00:01:00", "RealtimeEvents:History:MaxAge must be between 00:00:01 and 30.00:00:00; it is -00:01:00.")]
    [InlineData("LagPolicy", "7", "RealtimeEvents:LagPolicy must be KeepDropping or EndSubscription; it is 7.")]
    public void InvalidValue_FailsWithAnOptionsValidationException_NamingTheSettingAndItsValue(string setting, string value, string expected)
    {
        using var provider = Build(o => Apply(o, setting, value));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value);

        Assert.Equal(typeof(RealtimeEventsOptions), ex.OptionsType);
        Assert.Equal([expected], ex.Failures);
        Assert.Contains("RealtimeEvents:" + setting, ex.Message, StringComparison.Ordinal);
        Assert.Contains("it is " + expected.Split("it is ")[1], ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SubscriptionQueueCapacity", "1")]
    [InlineData("SubscriptionQueueCapacity", "1000000")]
    [InlineData("MaxConsecutiveOverflows", "1")]
    [InlineData("MaxConsecutiveOverflows", "1000")]
    [InlineData("ReplayPageSize", "1")]
    [InlineData("ReplayPageSize", "10000")]
    [InlineData("History:MaxEvents", "1")]
    [InlineData("History:MaxEvents", "10000000")]
    [InlineData("History:MaxBytes", "1024")]
    [InlineData("History:MaxBytes", "17179869184")]
    [InlineData("History:MaxAge", "00:00:01")]
    [InlineData("History:MaxAge", "30.00:00:00")]
    [InlineData("LagPolicy", "1")]
    public void BoundaryValue_IsValid(string setting, string value)
    {
        using var provider = Build(o => Apply(o, setting, value));

        var options = provider.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value;

        Assert.NotNull(options);
    }

    [Fact]
    public void SeveralInvalidValues_AreAllReported()
    {
        using var provider = Build(o =>
        {
            o.SubscriptionQueueCapacity = 0;
            o.ReplayPageSize = 0;
            o.History.MaxAge = TimeSpan.Zero;
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RealtimeEventsOptions>>().Value);

        Assert.Equal(3, ex.Failures.Count());
        Assert.Contains("RealtimeEvents:SubscriptionQueueCapacity", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RealtimeEvents:ReplayPageSize", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RealtimeEvents:History:MaxAge", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = new RealtimeEventsOptionsValidator().Validate(null, new RealtimeEventsOptions());

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Validate_NullHistory_Fails_NamingTheSetting()
    {
        var result = new RealtimeEventsOptionsValidator().Validate(null, new RealtimeEventsOptions { History = null! });

        Assert.True(result.Failed);
        Assert.Equal(["RealtimeEvents:History must not be null."], result.Failures);
    }

    [Fact]
    public void Validate_NullOptions_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => new RealtimeEventsOptionsValidator().Validate(null, null!));

    private static ServiceProvider Build(Action<RealtimeEventsOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddRealtimeEvents(configure);
        return services.BuildServiceProvider();
    }

    private static void Apply(RealtimeEventsOptions options, string setting, string value)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        switch (setting)
        {
            case "SubscriptionQueueCapacity": options.SubscriptionQueueCapacity = int.Parse(value, culture); break;
            case "MaxConsecutiveOverflows": options.MaxConsecutiveOverflows = int.Parse(value, culture); break;
            case "ReplayPageSize": options.ReplayPageSize = int.Parse(value, culture); break;
            case "LagPolicy": options.LagPolicy = (LagPolicy)int.Parse(value, culture); break;
            case "History:MaxEvents": options.History.MaxEvents = int.Parse(value, culture); break;
            case "History:MaxBytes": options.History.MaxBytes = long.Parse(value, culture); break;
            case "History:MaxAge": options.History.MaxAge = TimeSpan.Parse(value, culture); break;
            default: throw new ArgumentOutOfRangeException(nameof(setting), setting, "Unknown setting.");
        }
    }
}
