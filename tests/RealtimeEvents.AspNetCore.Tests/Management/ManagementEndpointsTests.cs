using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.Management;

public sealed class ManagementEndpointsTests
{
    private const string UserHeader = "X-Test-User"; // read by TestAuthenticationHandler

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path).WithTimeout();
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WithTimeout());
        return document.RootElement.Clone();
    }

    private static async Task<HttpResponseMessage> PostEventAsync(HttpClient http, string body) =>
        await http.PostAsync("/realtime/admin/events", new StringContent(body, Encoding.UTF8, "application/json")).WithTimeout();

    [Fact]
    public async Task ListConnections_ShowsAWebSocketConnectionWithItsSubscriptions()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s1", topics: ["tasks/t1", "tasks/**"], types: ["task.*"], minPriority: "high");
        await client.SubscribeAsync("s2", topics: ["executions/e1"]);
        var before = TimeProvider.System.GetUtcNow();
        using var http = host.CreateHttpClient();

        var (status, list) = await GetJsonAsync(http, "/realtime/admin/connections");

        Assert.Equal(HttpStatusCode.OK, status);
        var connection = Assert.Single(list.EnumerateArray());
        Assert.Equal(client.Welcome.GetProperty("connectionId").GetString(), connection.GetProperty("id").GetString());
        Assert.Equal("websocket", connection.GetProperty("transport").GetString());
        Assert.Equal(JsonValueKind.Null, connection.GetProperty("user").ValueKind); // anonymous
        Assert.Equal("127.0.0.1", connection.GetProperty("remoteAddress").GetString());
        var connectedAt = connection.GetProperty("connectedAt").GetDateTimeOffset();
        Assert.InRange(connectedAt, before - TimeSpan.FromMinutes(1), before + TimeSpan.FromSeconds(1));
        Assert.Equal(0, connection.GetProperty("queueDepth").GetInt64());
        Assert.Equal(0, connection.GetProperty("dropped").GetInt64());
        Assert.Equal(0, connection.GetProperty("oldestPendingMs").GetDouble());

        var subscriptions = connection.GetProperty("subscriptions").EnumerateArray().OrderBy(s => s.GetProperty("id").GetString()).ToList();
        Assert.Equal(["s1", "s2"], subscriptions.Select(s => s.GetProperty("id").GetString()));
        var s1 = subscriptions[0];
        Assert.Equal(["tasks/t1", "tasks/**"], s1.GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["task.*"], s1.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("high", s1.GetProperty("minPriority").GetString());
        Assert.Equal(0, s1.GetProperty("queueDepth").GetInt32());
        Assert.Equal(0, s1.GetProperty("dropped").GetInt64());
        Assert.Equal(0, s1.GetProperty("oldestPendingMs").GetDouble());
        Assert.True(s1.TryGetProperty("delivered", out _));
        Assert.True(s1.TryGetProperty("createdAt", out _));
        Assert.Equal(["executions/e1"], subscriptions[1].GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task ListConnections_ShowsAnSseConnectionAndTheLastPositionSent()
    {
        await using var host = await TestHost.StartAsync();
        await using var sse = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));
        Assert.Equal("subscribed", (await sse.ReadEventAsync()).Event);
        var published = await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Started, "tasks/t1")).WithTimeout();
        Assert.Single(await sse.ReadMessagesAsync(1));
        using var http = host.CreateHttpClient();

        var (_, list) = await GetJsonAsync(http, "/realtime/admin/connections");

        var connection = Assert.Single(list.EnumerateArray());
        Assert.Equal("sse", connection.GetProperty("transport").GetString());
        Assert.Equal(published.Position.ToString(), connection.GetProperty("lastPosition").GetString());
        Assert.Equal("sse", Assert.Single(connection.GetProperty("subscriptions").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task GetConnection_ById_ReturnsIt_AndAnUnknownIdIs404()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        var id = client.Welcome.GetProperty("connectionId").GetString();
        using var http = host.CreateHttpClient();

        var (status, connection) = await GetJsonAsync(http, $"/realtime/admin/connections/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, connection.GetProperty("id").GetString());
        Assert.Empty(connection.GetProperty("subscriptions").EnumerateArray());

        var (missingStatus, error) = await GetJsonAsync(http, "/realtime/admin/connections/c-nope");
        Assert.Equal(HttpStatusCode.NotFound, missingStatus);
        Assert.Equal(404, error.GetProperty("status").GetInt32());
        Assert.Equal(ProtocolErrorCodes.UnknownConnection, error.GetProperty("code").GetString());
        Assert.Contains("c-nope", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteConnection_ClosesTheClientsSocketWith1008_AndTheConnectionIsGone()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s1", topics: ["tasks/**"]);
        var id = client.Welcome.GetProperty("connectionId").GetString();
        using var http = host.CreateHttpClient();
        var removed = host.WhenConnectionRemoved(c => c.Id == id);

        using var response = await http.DeleteAsync($"/realtime/admin/connections/{id}").WithTimeout();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var (status, description, _) = await client.ReceiveUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("Disconnected by an administrator.", description);
        await removed.WithTimeout();
        Assert.Equal(HttpStatusCode.NotFound, (await GetJsonAsync(http, $"/realtime/admin/connections/{id}")).Status);
        Assert.Empty(host.Broadcaster.Subscriptions);

        using var again = await http.DeleteAsync($"/realtime/admin/connections/{id}").WithTimeout();
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(ProtocolErrorCodes.UnknownConnection, (await ReadJsonAsync(again)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task DeleteConnection_EndsAnSseStream()
    {
        await using var host = await TestHost.StartAsync();
        await using var sse = await SseClient.ConnectAsync(host.HttpUri("/realtime/sse?topic=tasks/**"));
        Assert.Equal("subscribed", (await sse.ReadEventAsync()).Event);
        var connection = Assert.Single(host.Connections.Connections);
        var removed = host.WhenConnectionRemoved(c => c.Id == connection.Id);
        using var http = host.CreateHttpClient();

        using var response = await http.DeleteAsync($"/realtime/admin/connections/{connection.Id}").WithTimeout();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await sse.ReadToEndAsync());
        await removed.WithTimeout();
    }

    [Fact]
    public async Task PostEvent_Returns201WithTheStampedEvent_AndSubscribersReceiveIt()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s1", topics: ["tasks/**"]);
        using var http = host.CreateHttpClient();

        using var response = await PostEventAsync(http, """
            {"type":"task.progress","topic":"tasks/t1","priority":"high","data":{"percent":40},"meta":{"tenant":"acme"},"id":"evt-1","conflationKey":"t1-progress"}
            """);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stamped = await ReadJsonAsync(response);
        Assert.Equal("evt-1", stamped.GetProperty("id").GetString());
        Assert.Equal("task.progress", stamped.GetProperty("type").GetString());
        Assert.Equal("tasks/t1", stamped.GetProperty("topic").GetString());
        Assert.Equal("high", stamped.GetProperty("priority").GetString());
        Assert.Equal(40, stamped.GetProperty("data").GetProperty("percent").GetInt32());
        Assert.Equal("acme", stamped.GetProperty("meta").GetProperty("tenant").GetString());
        Assert.Equal("t1-progress", stamped.GetProperty("conflationKey").GetString());
        var position = new EventPosition(stamped.GetProperty("epoch").GetString()!, stamped.GetProperty("seq").GetInt64());
        Assert.Equal(host.Broadcaster.CurrentPosition, position);

        var received = Assert.Single(await client.ReceiveEventsAsync("s1", 1));
        Assert.Equal(stamped.GetRawText(), received.GetRawText());
    }

    [Fact]
    public async Task PostEvent_WithOnlyTypeAndTopic_UsesTheDefaults()
    {
        await using var host = await TestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await PostEventAsync(http, """{"type":"task.started","topic":"tasks/t1","data":null,"meta":null}""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stamped = await ReadJsonAsync(response);
        Assert.Equal("normal", stamped.GetProperty("priority").GetString());
        Assert.False(string.IsNullOrEmpty(stamped.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData("""{"topic":"tasks/t1"}""", "\"type\" is required")]
    [InlineData("""{"type":"task.started"}""", "\"topic\" is required")]
    [InlineData("""{"type":42,"topic":"tasks/t1"}""", "\"type\" must be a string")]
    [InlineData("""{"type":"task.started","topic":"tasks//t1"}""", "Topic 'tasks//t1' is invalid")]
    [InlineData("""{"type":"task.started","topic":"tasks/*"}""", "is invalid")]
    [InlineData("""{"type":"Not A Type","topic":"tasks/t1"}""", "is invalid")]
    [InlineData("""{"type":"task.started","topic":"tasks/t1","priority":"urgent"}""", "\"priority\" must be low, normal, high or critical")]
    [InlineData("""{"type":"task.started","topic":"tasks/t1","priority":3}""", "\"priority\" must be a string")]
    [InlineData("""{"type":"task.started","topic":"tasks/t1","meta":{"tenant":1}}""", "\"meta\" must be an object of string values")]
    [InlineData("""{"type":"task.started","topic":"tasks/t1","meta":["tenant"]}""", "\"meta\" must be an object of string values")]
    [InlineData("""[{"type":"task.started","topic":"tasks/t1"}]""", "must be a JSON object")]
    [InlineData("\"task.started\"", "must be a JSON object")]
    [InlineData("""{"type":"task.started",""", "must be a JSON object")]
    [InlineData("", "must be a JSON object")]
    public async Task PostEvent_InvalidBody_Is400InvalidEvent_AndPublishesNothing(string body, string reason)
    {
        await using var host = await TestHost.StartAsync();
        var before = host.Broadcaster.CurrentPosition;
        using var http = host.CreateHttpClient();

        using var response = await PostEventAsync(http, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ReadJsonAsync(response);
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal(ProtocolErrorCodes.InvalidEvent, error.GetProperty("code").GetString());
        Assert.Contains(reason, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, host.Broadcaster.CurrentPosition);
    }

    [Fact]
    public async Task Stats_ReportPositionDispatcherConnectionsAndSubscriptions()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s1", topics: ["tasks/**"]);
        await client.SubscribeAsync("s2", topics: ["executions/**"]);
        var last = await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Started, "tasks/t1")).WithTimeout();
        await host.Broadcaster.WaitForDispatchAsync(last.Position).WithTimeout();
        using var http = host.CreateHttpClient();

        var (status, stats) = await GetJsonAsync(http, "/realtime/admin/stats");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(last.Position.ToString(), stats.GetProperty("position").GetString());
        var dispatcher = stats.GetProperty("dispatcher");
        Assert.True(dispatcher.GetProperty("running").GetBoolean());
        Assert.Equal(0, dispatcher.GetProperty("lag").GetInt64());
        Assert.Equal(0, dispatcher.GetProperty("consecutiveFailures").GetInt32());
        Assert.Equal(1, stats.GetProperty("connections").GetInt32());
        Assert.Equal(2, stats.GetProperty("subscriptions").GetInt32());
    }

    [Fact]
    public async Task RequireAuthorization_OnTheManagementGroup_Is401WithoutAUser_403ForOthers_AndLetsTheAdminIn()
    {
        await using var host = await TestHost.StartAsync(
            configure: builder =>
            {
                builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
                    .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
                builder.Services.AddAuthorizationBuilder()
                    .AddPolicy("admin", policy => policy.RequireAuthenticatedUser().RequireUserName("admin"));
            },
            map: app =>
            {
                app.MapRealtimeEvents("/realtime");
                app.MapRealtimeEventsManagement("/realtime/admin").RequireAuthorization("admin");
            });
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri(),
            options => options.SetRequestHeader(UserHeader, "alice"));
        using var http = host.CreateHttpClient();

        foreach (var path in new[] { "/realtime/admin/connections", "/realtime/admin/stats" })
        {
            using var anonymous = await http.GetAsync(path).WithTimeout();
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

            using var bob = await SendAsUserAsync(http, HttpMethod.Get, path, "bob");
            Assert.Equal(HttpStatusCode.Forbidden, bob.StatusCode);
        }

        using var anonymousPost = await PostEventAsync(http, """{"type":"task.started","topic":"tasks/t1"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousPost.StatusCode);
        var id = client.Welcome.GetProperty("connectionId").GetString();
        using var bobDelete = await SendAsUserAsync(http, HttpMethod.Delete, $"/realtime/admin/connections/{id}", "bob");
        Assert.Equal(HttpStatusCode.Forbidden, bobDelete.StatusCode);
        Assert.Single(host.Connections.Connections);

        using var admin = await SendAsUserAsync(http, HttpMethod.Get, "/realtime/admin/connections", "admin");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        var connection = Assert.Single((await ReadJsonAsync(admin)).EnumerateArray());
        Assert.Equal("alice", connection.GetProperty("user").GetString());
    }

    private static async Task<HttpResponseMessage> SendAsUserAsync(HttpClient http, HttpMethod method, string path, string user)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add(UserHeader, user);
        return await http.SendAsync(request).WithTimeout();
    }
}
