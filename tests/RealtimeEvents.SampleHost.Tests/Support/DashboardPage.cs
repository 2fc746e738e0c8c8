using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>One dashboard page through the hooks the page keeps for its tests: data-testid, data-id, data-percent, data-seq.</summary>
public sealed partial class DashboardPage(IPage page)
{
    /// <summary>Matches a number above zero as the page writes it into data-percent ("12.5", "100").</summary>
    [GeneratedRegex(@"^(?!0*(\.0*)?$)[0-9]+(\.[0-9]+)?$")]
    public static partial Regex PositivePercent();

    public IPage Page => page;

    public ILocator ConnectionState => page.GetByTestId("connection-state");

    public ILocator ConnectionId => page.GetByTestId("connection-id");

    public ILocator LastPosition => page.GetByTestId("last-position");

    public ILocator TransportSelect => page.GetByTestId("transport-select");

    public ILocator EventRows => page.GetByTestId("event-row");

    public ILocator Execution(string id) => page.Locator($"[data-testid='execution'][data-id='{id}']");

    public ILocator ExecutionStatus(string id) => Execution(id).GetByTestId("execution-status");

    public ILocator ExecutionProgress(string id) => Execution(id).GetByTestId("execution-progress");

    public ILocator Agents(string id) => Execution(id).GetByTestId("agent");

    /// <summary>Clicks "Start execution" and returns the id from the API's answer to the page's POST.</summary>
    public async Task<string> StartExecutionAsync()
    {
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByTestId("start-execution").ClickAsync(),
            r => r.Request.Method == "POST" && new Uri(r.Url).AbsolutePath.TrimEnd('/') == "/api/executions");
        Assert.Equal(202, response.Status);
        var body = await response.JsonAsync();
        return body?.GetProperty("id").GetString() ?? throw new InvalidOperationException("The API's answer has no id.");
    }

    /// <summary>Reads what the page shows of one execution, in one evaluation so the parts are consistent.</summary>
    public async Task<ExecutionView> ReadExecutionAsync(string id)
    {
        var json = await Execution(id).EvaluateAsync<JsonElement>(
            """
            e => ({
              status: e.querySelector("[data-testid='execution-status']")?.textContent.trim() ?? null,
              percent: e.querySelector("[data-testid='execution-progress']")?.getAttribute("data-percent") ?? null,
              agents: [...e.querySelectorAll("[data-testid='agent']")].map(a => ({
                id: a.getAttribute("data-id"),
                status: a.querySelector("[data-testid='agent-status']")?.textContent.trim() ?? null,
                percent: a.getAttribute("data-percent") ?? a.querySelector("[data-percent]")?.getAttribute("data-percent") ?? null,
              })),
            })
            """);
        return ExecutionView.From(json);
    }

    /// <summary>Reads the data-seq and data-position ("epoch:seq") of every event-log row, hidden ones included.</summary>
    public async Task<IReadOnlyList<(long Seq, string Position)>> ReadEventRowsAsync()
    {
        var rows = await EventRows.EvaluateAllAsync<JsonElement>(
            "rows => rows.map(r => ({ seq: Number(r.getAttribute('data-seq')), position: r.getAttribute('data-position') }))");
        return [.. rows.EnumerateArray().Select(r => (r.GetProperty("seq").GetInt64(), r.GetProperty("position").GetString() ?? ""))];
    }
}
