using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.SignalR.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Hubs;

/// <summary>Hubs of the host's own: one that derives from RealtimeEventsHub, one that composes the bridge, and mistakes.</summary>
public sealed class CustomHubTests
{
    [Fact]
    public async Task AHubComposingTheBridge_GetsSubscriptionsAndItsOwnMethods()
    {
        await using var host = await SignalRTestHost.StartAsync(map: app => app.MapHub<OpsHub>("/ops/hub"));
        await using var client = await SignalRProtocolClient.ConnectAsync(OpsUri(host));

        Assert.Equal("pong", (await client.InvokeAsync("Echo", "pong")).GetString());
        var subscribed = await client.SubscribeAsync("ops", topics: ["tasks/**"]);
        Assert.Equal("subscribed", subscribed.GetProperty("op").GetString());
        await host.Publisher.PublishAsync(Drafts.Numbered(1)).WithTimeout();
        var events = await client.ReceiveEventsAsync("ops", 1);
        Assert.Equal(1, Drafts.NumberOf(events[0]));

        var unsubscribed = await client.UnsubscribeAsync("ops");
        Assert.Equal("unsubscribed", unsubscribed.GetProperty("op").GetString());
        Assert.Equal("signalr", Assert.Single(host.Connections.Connections).Transport);
    }

    [Fact]
    public async Task ADerivedHub_KeepsTheBaseMethods_AndAddsItsOwn()
    {
        await using var host = await SignalRTestHost.StartAsync(map: app => app.MapRealtimeEventsHub<DerivedHub>("/ops/hub"));
        await using var client = await SignalRProtocolClient.ConnectAsync(OpsUri(host));

        Assert.Equal(2, (await client.InvokeAsync("Twice", 1)).GetInt32());
        Assert.Equal("subscribed", (await client.SubscribeAsync("d", topics: ["tasks/**"])).GetProperty("op").GetString());
    }

    [Fact]
    public async Task AHubThatDoesNotForwardOnConnected_FailsItsSubscribe_WithAnErrorThatSaysWhatToDo()
    {
        await using var host = await SignalRTestHost.StartAsync(
            configure: builder => builder.Services.AddSignalR(o => o.EnableDetailedErrors = true),
            map: app => app.MapHub<ForgetfulHub>("/ops/hub"));
        await using var client = await SignalRProtocolClient.ConnectAsync(OpsUri(host), readWelcome: false);

        var completion = await client.InvokeForCompletionAsync("Subscribe", new { id = "a", topics = new[] { "tasks/**" } });

        Assert.NotNull(completion.Error);
        Assert.Contains("call OnConnectedAsync(this) from the hub's OnConnectedAsync", completion.Error, StringComparison.Ordinal);
        Assert.Empty(host.Connections.Connections);
    }

    [Fact]
    public void MappingTheHub_WithoutAddSignalR_SaysWhatToCall()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddRealtimeEvents();
        builder.Services.AddSignalR();
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapRealtimeEventsHub("/realtime/hub"));
        Assert.Contains("AddRealtimeEvents().AddSignalR()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RealtimeHubMessage_IsWrittenAsItsJson_AndReadBack()
    {
        var message = new RealtimeHubMessage("error", """{"op":"error","code":"forbidden","message":"no"}"""u8.ToArray());

        var json = JsonSerializer.Serialize(new { arguments = new[] { message } });
        var read = JsonSerializer.Deserialize<RealtimeHubMessage>("""{"op":"pong","position":null}""")!;

        Assert.Equal("""{"arguments":[{"op":"error","code":"forbidden","message":"no"}]}""", json);
        Assert.True(message.IsError);
        Assert.Equal("pong", read.Op);
        Assert.False(read.IsError);
        Assert.Equal("""{"op":"pong","position":null}""", read.ToString());
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<RealtimeHubMessage>("""{"code":"x"}"""));
    }

    private static Uri OpsUri(SignalRTestHost host) => new(host.HubUri.ToString().Replace(SignalRTestHost.HubPath, "/ops/hub", StringComparison.Ordinal));

    /// <summary>A hub that cannot derive from RealtimeEventsHub: it forwards the four calls to the bridge.</summary>
    public sealed class OpsHub(RealtimeEventsHubBridge events) : Hub
    {
        public override Task OnConnectedAsync() => events.OnConnectedAsync(this);

        public override Task OnDisconnectedAsync(Exception? exception) => events.OnDisconnectedAsync(this, exception);

        public Task<RealtimeHubMessage> Subscribe(JsonElement request) => events.SubscribeAsync(this, request);

        public Task<RealtimeHubMessage> Unsubscribe(JsonElement id) => events.UnsubscribeAsync(this, id);

        public string Echo(string text) => text;
    }

    public sealed class DerivedHub(RealtimeEventsHubBridge bridge) : RealtimeEventsHub(bridge)
    {
        public int Twice(int value) => value * 2;
    }

    /// <summary>Forgets to forward OnConnectedAsync.</summary>
    public sealed class ForgetfulHub(RealtimeEventsHubBridge events) : Hub
    {
        public Task<RealtimeHubMessage> Subscribe(JsonElement request) => events.SubscribeAsync(this, request);
    }
}
