using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RealtimeEvents.SampleHost.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SampleHost.Tests.Api;

/// <summary>The executions API the dashboard calls, over plain HTTP against the sample host process.</summary>
[Collection(SampleHostCollection.Name)]
public sealed class ExecutionsApiTests(SampleHostFixture host)
{
    [Fact]
    public async Task Post_WithAWorkflowAndAgents_Is202_WithTheLocationAndTheRunningState()
    {
        using var http = host.CreateHttpClient();

        using var response = await http.PostAsJsonAsync("/api/executions", new { workflow = "release-notes", agents = 2 }).WithTimeout();
        var state = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = state.GetProperty("id").GetString();
        Assert.Matches("^exec-[0-9]+$", id);
        Assert.Equal($"/api/executions/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("release-notes", state.GetProperty("workflow").GetString());
        Assert.Equal("running", state.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("finishedAt").ValueKind);
        Assert.Equal(["agent-1", "agent-2"], state.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Post_WithoutABody_StartsAnExecutionWithTheConfiguredAgents()
    {
        using var http = host.CreateHttpClient();

        using var response = await http.PostAsync("/api/executions", content: null).WithTimeout();
        var state = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(3, state.GetProperty("agents").GetArrayLength());
        Assert.False(string.IsNullOrEmpty(state.GetProperty("workflow").GetString()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public async Task Post_WithAgentsOutOfRange_Is400(int agents)
    {
        using var http = host.CreateHttpClient();

        using var response = await http.PostAsJsonAsync("/api/executions", new { agents }).WithTimeout();
        var problem = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid_field", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task GetList_HoldsNewExecutions_NewestFirst()
    {
        using var http = host.CreateHttpClient();
        var first = await StartAsync(http);
        var second = await StartAsync(http);

        using var response = await http.GetAsync("/api/executions").WithTimeout();
        var ids = (await ReadJsonAsync(response)).EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(ids.IndexOf(second) >= 0 && ids.IndexOf(second) < ids.IndexOf(first), $"{second} should be listed before {first}: {string.Join(", ", ids)}");
        Assert.Equal(ids.OrderByDescending(Number), ids);
    }

    [Fact]
    public async Task GetOne_IsTheExecution_AndAnUnknownIdIs404()
    {
        using var http = host.CreateHttpClient();
        var id = await StartAsync(http);

        using var known = await http.GetAsync($"/api/executions/{id}").WithTimeout();
        using var unknown = await http.GetAsync("/api/executions/exec-999999").WithTimeout();

        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(id, (await ReadJsonAsync(known)).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown_execution", (await ReadJsonAsync(unknown)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Cancel_ARunningExecution_Is202_ThenItIsCancelled_AndCancellingAgainIs409()
    {
        using var http = host.CreateHttpClient();
        var id = await StartAsync(http);

        using var cancel = await http.PostAsync($"/api/executions/{id}/cancel", content: null).WithTimeout();
        var accepted = await ReadJsonAsync(cancel);
        var cancelled = await Eventually.ReadUntilAsync(
            () => GetAsync(http, id), e => e.GetProperty("status").GetString() != "running", $"{id} stopping");
        using var again = await http.PostAsync($"/api/executions/{id}/cancel", content: null).WithTimeout();

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal($"/api/executions/{id}", cancel.Headers.Location?.OriginalString);
        Assert.Equal(id, accepted.GetProperty("id").GetString());
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, cancelled.GetProperty("finishedAt").ValueKind);
        Assert.All(cancelled.GetProperty("agents").EnumerateArray(), a => Assert.Equal("cancelled", a.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("already_finished", (await ReadJsonAsync(again)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Cancel_ACompletedExecution_Is409()
    {
        using var http = host.CreateHttpClient();
        var id = await StartAsync(http, agents: 1);
        var completed = await Eventually.ReadUntilAsync(
            () => GetAsync(http, id), e => e.GetProperty("status").GetString() != "running", $"{id} finishing");

        using var cancel = await http.PostAsync($"/api/executions/{id}/cancel", content: null).WithTimeout();

        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(100, completed.GetProperty("percent").GetDouble());
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
    }

    [Fact]
    public async Task Cancel_AnUnknownExecution_Is404()
    {
        using var http = host.CreateHttpClient();

        using var response = await http.PostAsync("/api/executions/exec-999999/cancel", content: null).WithTimeout();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("unknown_execution", (await ReadJsonAsync(response)).GetProperty("title").GetString());
    }

    private static async Task<string> StartAsync(HttpClient http, int agents = 3)
    {
        using var response = await http.PostAsJsonAsync("/api/executions", new { agents }).WithTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await ReadJsonAsync(response)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, string id)
    {
        using var response = await http.GetAsync($"/api/executions/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync().WithTimeout());

    private static int Number(string id) => int.Parse(id.AsSpan("exec-".Length), System.Globalization.CultureInfo.InvariantCulture);
}
