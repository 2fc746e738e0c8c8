using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using RealtimeEvents.SampleHost.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace RealtimeEvents.SampleHost.Tests.Dashboard;

/// <summary>An administrator disconnects the dashboard's WebSocket while an execution runs; the page reconnects and resumes.</summary>
[Collection(SampleHostCollection.Name)]
public sealed class DashboardReconnectTests(SampleHostFixture host, BrowserFixture browser, ITestOutputHelper output)
{
    [Fact]
    public async Task ForcedDisconnect_WhileAnExecutionRuns_ReconnectsAndResumes_WithoutAGapOrADuplicate()
    {
        await using var session = await BrowserSession.StartAsync(browser, output, nameof(ForcedDisconnect_WhileAnExecutionRuns_ReconnectsAndResumes_WithoutAGapOrADuplicate));
        var dashboard = await session.OpenDashboardAsync(host.BaseAddress);
        await Expect(dashboard.ConnectionState).ToHaveTextAsync("connected");
        await Expect(dashboard.ConnectionId).Not.ToHaveTextAsync("—");
        var connectionId = (await dashboard.ConnectionId.TextContentAsync())!.Trim();

        // "reconnecting" may last only a few milliseconds (the first retry waits 0 to 500 ms): record every text the
        // indicator shows instead of hoping to poll at the right moment.
        await dashboard.ConnectionState.EvaluateAsync(
            """
            e => {
              window.__connectionStates = [];
              new MutationObserver(() => window.__connectionStates.push(e.textContent.trim()))
                .observe(e, { childList: true, characterData: true, subtree: true });
            }
            """);
        var id = await dashboard.StartExecutionAsync();
        await Expect(dashboard.ExecutionProgress(id)).ToHaveAttributeAsync("data-percent", DashboardPage.PositivePercent());

        using var http = host.CreateHttpClient();
        using var disconnect = await http.DeleteAsync($"/realtime/admin/connections/{Uri.EscapeDataString(connectionId)}").WithTimeout();
        var statusAtDisconnect = (await http.GetFromJsonAsync<JsonElement>($"/api/executions/{id}").WithTimeout()).GetProperty("status").GetString();

        Assert.Equal(HttpStatusCode.NoContent, disconnect.StatusCode);
        Assert.Equal("running", statusAtDisconnect);
        await dashboard.Page.WaitForFunctionAsync("() => window.__connectionStates.includes('reconnecting')");
        await Expect(dashboard.ConnectionState).ToHaveTextAsync("connected");
        await Expect(dashboard.ConnectionId).Not.ToHaveTextAsync(new Regex("^(—|" + Regex.Escape(connectionId) + ")$"));
        var states = await dashboard.Page.EvaluateAsync<string[]>("() => window.__connectionStates");
        Assert.True(
            Array.IndexOf(states, "reconnecting") < Array.LastIndexOf(states, "connected"),
            "The indicator should show reconnecting, then connected: " + string.Join(" → ", states));

        await Expect(dashboard.ExecutionStatus(id)).ToHaveTextAsync("completed");
        await Expect(dashboard.ExecutionProgress(id)).ToHaveAttributeAsync("data-percent", "100");
        await Expect(dashboard.Agents(id).GetByTestId("agent-status")).ToHaveTextAsync(["completed", "completed", "completed"]);

        // Once nothing runs, the log stops growing: wait until the page has received the host's newest event.
        await Eventually.ReadUntilAsync(
            () => http.GetFromJsonAsync<JsonElement>("/api/executions"),
            list => list.EnumerateArray().All(e => e.GetProperty("status").GetString() != "running"),
            "every execution finishing");
        var newest = (await http.GetFromJsonAsync<JsonElement>("/realtime/admin/stats").WithTimeout()).GetProperty("position").GetString()!;
        await Expect(dashboard.LastPosition).ToHaveTextAsync(newest);
        await AssertEveryEventShownOnceAsync(http, await dashboard.ReadEventRowsAsync());
        session.AssertNoPageErrors();
    }

    /// <summary>
    /// Compares the log's rows with history: between the oldest and the newest row, every event is shown exactly once,
    /// except one that a newer event with the same conflation key replaced while it was queued (shown instead; the
    /// protocol's "Ordering guarantees"). So a row lost or repeated around the reconnect fails, and conflation does not.
    /// </summary>
    private async Task AssertEveryEventShownOnceAsync(HttpClient http, IReadOnlyList<(long Seq, string Position)> rows)
    {
        Assert.NotEmpty(rows);
        var epochs = rows.Select(r => r.Position.Split(':')[0]).Distinct().ToList();
        Assert.Single(epochs);
        Assert.All(rows, r => Assert.Equal($"{epochs[0]}:{r.Seq}", r.Position));
        var repeated = rows.GroupBy(r => r.Seq).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, $"Events shown twice (seq): {string.Join(", ", repeated)}");

        var shown = rows.Select(r => r.Seq).ToHashSet();
        var (first, last) = (shown.Min(), shown.Max());
        var history = await EventHistory.ReadAsync(http, epochs[0], first - 1, last);
        var missing = new List<EventHistory.Entry>();
        var conflated = 0;
        for (var i = 0; i < history.Count; i++)
        {
            var entry = history[i];
            if (shown.Contains(entry.Seq))
            {
                continue;
            }

            var replacedByAShownEvent = entry.ConflationKey is { } key
                && history.Skip(i + 1).Any(later => later.ConflationKey == key && shown.Contains(later.Seq));
            if (replacedByAShownEvent)
            {
                conflated++;
            }
            else
            {
                missing.Add(entry);
            }
        }

        output.WriteLine($"event log: seq {first} to {last}, {shown.Count} rows, {conflated} events conflated by the server");
        Assert.True(missing.Count == 0, "Events missing from the log: " + string.Join(", ", missing));
        Assert.Empty(shown.Except(history.Select(e => e.Seq)));
    }
}
