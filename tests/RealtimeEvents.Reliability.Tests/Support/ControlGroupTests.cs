using System.Net;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.Support;

/// <summary>The control group the suites lean on passes a clean run and fails one where a subscriber lost its stream.</summary>
public sealed class ControlGroupTests
{
    [Fact]
    public async Task CleanRun_EveryClientGetsEveryEvent()
    {
        await using var host = await TestHost.StartAsync();
        await using var group = await ControlGroup.StartAsync(host, clients: 3, eventsPerSecond: 500);
        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "elsewhere")).WithTimeout();
        await WaitForPublishedAsync(group, 200);

        var result = await group.StopAndVerifyAsync();

        Assert.Equal(3, result.Clients);
        Assert.True(result.Published >= 200);
        Assert.Equal(result.Published * 3, result.Delivered);
    }

    [Fact]
    public async Task ClientDisconnectedByTheServer_FailsVerification()
    {
        await using var host = await TestHost.StartAsync();
        using var admin = host.CreateHttpClient();
        await using var group = await ControlGroup.StartAsync(host, clients: 2, eventsPerSecond: 500);
        await WaitForPublishedAsync(group, 50);

        var connection = host.Connections.Connections.First();
        using var response = await admin.DeleteAsync(new Uri($"/realtime/admin/connections/{connection.Id}", UriKind.Relative)).WithTimeout();
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var failure = await Assert.ThrowsAnyAsync<Exception>(group.StopAndVerifyAsync);
        Assert.Contains("closed the connection", failure.Message, StringComparison.Ordinal);
    }

    private static async Task WaitForPublishedAsync(ControlGroup group, long count)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (group.Published < count)
        {
            await timer.WaitForNextTickAsync(timeout.Token);
        }
    }
}
