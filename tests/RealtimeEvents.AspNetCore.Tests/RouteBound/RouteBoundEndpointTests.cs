using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.RouteBound;

public sealed class RouteBoundEndpointTests
{
    private static readonly Action<WebApplication> MapExecutionEvents = app =>
        app.MapRealtimeEvents("/executions/{id}/events", context => new SubscriptionRequest { Topics = [$"executions/{context.Request.RouteValues["id"]}"] });

    private static Task<RealtimeEvent> PublishAsync(TestHost host, string type, string topic) =>
        host.Publisher.PublishAsync(new EventDraft(type, topic)).WithTimeout();

    [Fact]
    public async Task WebSocket_GetsWelcome_ThenTheRouteSubscription_AndOnlyItsExecutionsEvents()
    {
        await using var host = await TestHost.StartAsync(map: MapExecutionEvents);
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri("/executions/e1/events/ws"));

        var subscribed = await client.ReceiveAsync();
        Assert.Equal("subscribed", subscribed.GetProperty("op").GetString());
        Assert.Equal("route", subscribed.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, subscribed.GetProperty("resume").ValueKind);
        var subscription = Assert.Single(host.Broadcaster.Subscriptions);
        Assert.Equal(["executions/e1"], subscription.Filter.Topics);

        await PublishAsync(host, EventTypes.Execution.Started, "executions/e1");
        await PublishAsync(host, EventTypes.Execution.Started, "executions/e2");
        await PublishAsync(host, EventTypes.Execution.Started, "executions/e1/agents/a1");
        await PublishAsync(host, EventTypes.Execution.Completed, "executions/e1");

        var others = new List<JsonElement>();
        var events = await client.ReceiveEventsAsync("route", 2, others);
        Assert.Empty(others);
        Assert.All(events, e => Assert.Equal("executions/e1", e.GetProperty("topic").GetString()));
        Assert.Equal([EventTypes.Execution.Started, EventTypes.Execution.Completed], events.Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task WebSocket_ClientMayAddSubscriptionsOfItsOwn_NextToTheRouteOne()
    {
        await using var host = await TestHost.StartAsync(map: MapExecutionEvents);
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri("/executions/e1/events/ws"));
        Assert.Equal("route", (await client.ReceiveOpAsync("subscribed")).GetProperty("id").GetString());

        var own = await client.SubscribeAsync("mine", topics: ["tasks/**"]);
        Assert.Equal("subscribed", own.GetProperty("op").GetString());
        await PublishAsync(host, EventTypes.Task.Started, "tasks/t1");

        Assert.Equal("tasks/t1", Assert.Single(await client.ReceiveEventsAsync("mine", 1)).GetProperty("topic").GetString());
    }

    [Fact]
    public async Task Sse_GetsTheRouteSubscription_AndOnlyItsExecutionsEvents_EvenWhenTheQueryNamesOtherTopics()
    {
        await using var host = await TestHost.StartAsync(map: MapExecutionEvents);
        await using var client = await SseClient.ConnectAsync(host.HttpUri("/executions/e1/events/sse?topic=executions/e2&topic=**"));

        var subscribed = await client.ReadEventAsync();
        Assert.Equal("subscribed", subscribed.Event);
        Assert.Equal("route", subscribed.Json.GetProperty("id").GetString()); // the same id as over WebSocket
        Assert.Equal(["executions/e1"], Assert.Single(host.Broadcaster.Subscriptions).Filter.Topics);

        await PublishAsync(host, EventTypes.Execution.Started, "executions/e1");
        await PublishAsync(host, EventTypes.Execution.Started, "executions/e2");
        var last = await PublishAsync(host, EventTypes.Execution.Completed, "executions/e1");

        var others = new List<SseFrame>();
        var frames = await client.ReadMessagesAsync(2, others);
        Assert.Empty(others);
        Assert.All(frames, f => Assert.Equal("executions/e1", f.Json.GetProperty("topic").GetString()));
        Assert.Equal(last.Position.ToString(), frames[1].Id);
    }

    [Fact]
    public async Task Since_ResumesTheRouteSubscription_OverWebSocket()
    {
        await using var host = await TestHost.StartAsync(map: MapExecutionEvents);
        var since = host.Broadcaster.CurrentPosition;
        await PublishAsync(host, EventTypes.Execution.Started, "executions/e1");
        await PublishAsync(host, EventTypes.Execution.Started, "executions/e2");
        await PublishAsync(host, EventTypes.Agent.Started, "executions/e1");

        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri($"/executions/e1/events/ws?since={since}"));
        var subscribed = await client.ReceiveOpAsync("subscribed");
        Assert.Equal("complete", subscribed.GetProperty("resume").GetString());
        await PublishAsync(host, EventTypes.Execution.Completed, "executions/e1");

        var events = await client.ReceiveEventsAsync("route", 3);
        Assert.Equal([EventTypes.Execution.Started, EventTypes.Agent.Started, EventTypes.Execution.Completed],
            events.Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Since_ResumesTheRouteSubscription_OverSse()
    {
        await using var host = await TestHost.StartAsync(map: MapExecutionEvents);
        var since = host.Broadcaster.CurrentPosition;
        await PublishAsync(host, EventTypes.Execution.Started, "executions/e1");
        await PublishAsync(host, EventTypes.Execution.Started, "executions/e2");
        await PublishAsync(host, EventTypes.Agent.Started, "executions/e1");

        await using var client = await SseClient.ConnectAsync(host.HttpUri($"/executions/e1/events/sse?since={since}"));
        var subscribed = await client.ReadEventAsync();
        Assert.Equal("complete", subscribed.Json.GetProperty("resume").GetString());
        await PublishAsync(host, EventTypes.Execution.Completed, "executions/e1");

        var frames = await client.ReadMessagesAsync(3);
        Assert.Equal([EventTypes.Execution.Started, EventTypes.Agent.Started, EventTypes.Execution.Completed],
            frames.Select(f => f.Json.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task DeniedSubscription_Is403Forbidden_BeforeTheUpgradeOrTheStream()
    {
        var asked = new List<(string Transport, string Topic)>();
        await using var host = await TestHost.StartAsync(
            configure: builder => builder.Services.AddRealtimeEvents().AddSubscriptionAuthorizer(context =>
            {
                lock (asked)
                {
                    asked.Add((context.Transport, context.Filter.Topics.Single()));
                }

                return context.Filter.IsConfinedTo("executions/e1")
                    ? SubscriptionAuthorizationResult.Allow
                    : SubscriptionAuthorizationResult.Deny("Only execution e1 is yours.");
            }),
            map: MapExecutionEvents);

        using var refusedSse = await SseClient.GetAsync(host.HttpUri("/executions/e2/events/sse"));
        Assert.Equal(HttpStatusCode.Forbidden, refusedSse.StatusCode);
        using (var body = JsonDocument.Parse(await refusedSse.Content.ReadAsStringAsync().WithTimeout()))
        {
            Assert.Equal(403, body.RootElement.GetProperty("status").GetInt32());
            Assert.Equal(ProtocolErrorCodes.Forbidden, body.RootElement.GetProperty("code").GetString());
            Assert.Equal("Only execution e1 is yours.", body.RootElement.GetProperty("message").GetString());
        }

        using var refusedSocket = new ClientWebSocket();
        refusedSocket.Options.AddSubProtocol(RealtimeProtocol.SubProtocol);
        refusedSocket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => refusedSocket.ConnectAsync(host.WebSocketUri("/executions/e2/events/ws"), CancellationToken.None).WithTimeout());
        Assert.Equal(HttpStatusCode.Forbidden, refusedSocket.HttpStatusCode);

        // The same refusal as a raw upgrade request, to see its body.
        using var http = host.CreateHttpClient();
        using var upgrade = new HttpRequestMessage(HttpMethod.Get, "/executions/e2/events/ws");
        upgrade.Headers.Connection.Add("Upgrade");
        upgrade.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        upgrade.Headers.Add("Sec-WebSocket-Version", "13");
        upgrade.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        using var refusedUpgrade = await http.SendAsync(upgrade).WithTimeout();
        Assert.Equal(HttpStatusCode.Forbidden, refusedUpgrade.StatusCode);
        using (var body = JsonDocument.Parse(await refusedUpgrade.Content.ReadAsStringAsync().WithTimeout()))
        {
            Assert.Equal(ProtocolErrorCodes.Forbidden, body.RootElement.GetProperty("code").GetString());
        }

        Assert.Empty(host.Connections.Connections);
        Assert.Empty(host.Broadcaster.Subscriptions);

        // The authorizer saw the route's topic on both transports, and still lets the allowed execution through.
        await using var allowed = await SseClient.ConnectAsync(host.HttpUri("/executions/e1/events/sse"));
        Assert.Equal("subscribed", (await allowed.ReadEventAsync()).Event);
        lock (asked)
        {
            Assert.Contains(("sse", "executions/e2"), asked);
            Assert.Contains(("websocket", "executions/e2"), asked);
            Assert.Contains(("sse", "executions/e1"), asked);
        }
    }

    [Fact]
    public async Task InvalidSince_OnARouteBoundStream_Is400InvalidField()
    {
        await using var host = await TestHost.StartAsync(map: MapExecutionEvents);

        using var response = await SseClient.GetAsync(host.HttpUri("/executions/e1/events/sse?since=nope"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WithTimeout());
        Assert.Equal(ProtocolErrorCodes.InvalidField, body.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task RouteValueThatMakesAnInvalidTopic_Is400InvalidSubscription()
    {
        await using var host = await TestHost.StartAsync(map: MapExecutionEvents);

        using var response = await SseClient.GetAsync(host.HttpUri("/executions/e%20vil/events/sse"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WithTimeout());
        Assert.Equal(ProtocolErrorCodes.InvalidSubscription, body.RootElement.GetProperty("code").GetString());
        Assert.Empty(host.Broadcaster.Subscriptions);
    }
}
