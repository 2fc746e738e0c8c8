using System.Net.Http.Json;
using System.Text.Json;
using RealtimeEvents.SampleHost.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace RealtimeEvents.SampleHost.Tests.Dashboard;

/// <summary>The dashboard in Chromium follows an execution from the button to "completed" over each transport.</summary>
[Collection(SampleHostCollection.Name)]
public sealed class DashboardTransportTests(SampleHostFixture host, BrowserFixture browser, ITestOutputHelper output)
{
    [Theory]
    [InlineData("websocket")]
    [InlineData("signalr")]
    [InlineData("sse")]
    public async Task StartExecution_ShowsItsProgress_UntilItIsCompleted(string transport)
    {
        await using var session = await BrowserSession.StartAsync(browser, output, $"{nameof(StartExecution_ShowsItsProgress_UntilItIsCompleted)}_{transport}");
        var dashboard = await session.OpenDashboardAsync(host.BaseAddress, $"?transport={transport}");
        await Expect(dashboard.TransportSelect).ToHaveValueAsync(transport);
        await Expect(dashboard.ConnectionState).ToHaveTextAsync("connected");
        Assert.Equal(transport, await dashboard.Page.EvaluateAsync<string>("() => window.dashboard.client.transport"));
        Assert.Contains(await ConnectionTransportsAsync(), t => t == transport);

        var id = await dashboard.StartExecutionAsync();

        await Expect(dashboard.Execution(id)).ToBeVisibleAsync();
        await Expect(dashboard.ExecutionProgress(id)).ToHaveAttributeAsync("data-percent", "100");
        await Expect(dashboard.ExecutionStatus(id)).ToHaveTextAsync("completed");
        await Expect(dashboard.ExecutionProgress(id)).ToHaveAttributeAsync("role", "progressbar");
        await Expect(dashboard.ExecutionProgress(id)).ToHaveAttributeAsync("aria-valuenow", "100");
        await Expect(dashboard.Agents(id).GetByTestId("agent-status")).ToHaveTextAsync(["completed", "completed", "completed"]);
        await Expect(dashboard.Execution(id).GetByTestId("cancel-execution")).ToBeHiddenAsync();
        session.AssertNoPageErrors();
    }

    /// <summary>The transports of the host's connections, as its management endpoint lists them.</summary>
    private async Task<List<string?>> ConnectionTransportsAsync()
    {
        using var http = host.CreateHttpClient();
        var connections = await http.GetFromJsonAsync<JsonElement>("/realtime/admin/connections").WithTimeout();
        return [.. connections.EnumerateArray().Select(c => c.GetProperty("transport").GetString())];
    }
}
