using System.Globalization;
using RealtimeEvents.SampleHost.Tests.Support;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace RealtimeEvents.SampleHost.Tests.Dashboard;

/// <summary>A page opened while an execution runs starts from the snapshot, then follows the deltas like the first page.</summary>
[Collection(SampleHostCollection.Name)]
public sealed class DashboardSnapshotTests(SampleHostFixture host, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task ASecondPage_OpenedWhileAnExecutionRuns_ShowsItFromTheSnapshot_AndEndsInTheSameStateAsTheFirst()
    {
        await using var session = await BrowserSession.StartAsync(browser, output, nameof(ASecondPage_OpenedWhileAnExecutionRuns_ShowsItFromTheSnapshot_AndEndsInTheSameStateAsTheFirst));
        var first = await session.OpenDashboardAsync(host.BaseAddress);
        await Expect(first.ConnectionState).ToHaveTextAsync("connected");
        var id = await first.StartExecutionAsync();
        await Expect(first.ExecutionProgress(id)).ToHaveAttributeAsync("data-percent", DashboardPage.PositivePercent());

        var second = await session.OpenDashboardAsync(host.BaseAddress);
        await Expect(second.Execution(id)).ToBeVisibleAsync();
        var early = await second.ReadExecutionAsync(id);

        Assert.Equal("running", early.Status);
        Assert.True(double.Parse(early.Percent ?? "0", CultureInfo.InvariantCulture) > 0, $"The second page should show the progress made before it opened: {early}");
        Assert.Equal(3, early.Agents.Split(", ").Length);

        await Expect(first.ExecutionStatus(id)).ToHaveTextAsync("completed");
        await Expect(second.ExecutionStatus(id)).ToHaveTextAsync("completed");
        await Expect(second.ExecutionProgress(id)).ToHaveAttributeAsync("data-percent", "100");
        await Expect(second.Agents(id).GetByTestId("agent-status")).ToHaveTextAsync(["completed", "completed", "completed"]);
        await Expect(first.Agents(id).GetByTestId("agent-status")).ToHaveTextAsync(["completed", "completed", "completed"]);
        Assert.Equal(await first.ReadExecutionAsync(id), await second.ReadExecutionAsync(id));
        session.AssertNoPageErrors();
    }
}
