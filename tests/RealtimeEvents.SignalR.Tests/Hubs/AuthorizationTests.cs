using System.Collections.Concurrent;
using System.Net;
using RealtimeEvents.SignalR.Tests.Support;

namespace RealtimeEvents.SignalR.Tests.Hubs;

public sealed class AuthorizationTests
{
    [Fact]
    public async Task ASubscriptionAuthorizer_Denies_WithForbidden_AndSeesTheSignalRTransportAndUser()
    {
        var asked = new ConcurrentQueue<(string Transport, string? User)>();
        await using var host = await SignalRTestHost.StartAsync(
            requireAuthorization: true,
            realtime: b => b.AddSubscriptionAuthorizer(context =>
            {
                asked.Enqueue((context.Transport, context.User.Identity?.Name));
                return context.User.FindFirst("tenant")?.Value is { } tenant && context.Filter.IsConfinedTo("tenants/" + tenant)
                    ? SubscriptionAuthorizationResult.Allow
                    : SubscriptionAuthorizationResult.Deny("Subscribe to topics under tenants/{your tenant} only.");
            }));
        await using var alice = await host.ConnectAsync(user: "alice");

        var denied = await alice.SubscribeAsync("theirs", topics: ["tenants/bob/**"]);
        var allowed = await alice.SubscribeAsync("mine", topics: ["tenants/alice/**"]);
        await host.Publisher.PublishAsync(Drafts.Numbered(1, "tenants/bob/x"));
        await host.Publisher.PublishAsync(Drafts.Numbered(2, "tenants/alice/x"));

        Assert.Equal("error", denied.GetProperty("op").GetString());
        Assert.Equal("forbidden", denied.GetProperty("code").GetString());
        Assert.Equal("theirs", denied.GetProperty("id").GetString());
        Assert.Equal("Subscribe to topics under tenants/{your tenant} only.", denied.GetProperty("message").GetString());
        Assert.Equal("subscribed", allowed.GetProperty("op").GetString());
        Assert.Equal([("signalr", "alice"), ("signalr", "alice")], asked);
        var others = new List<HubMessage>();
        Assert.Equal([2], (await alice.ReceiveEventsAsync("mine", 1, others)).Select(Drafts.NumberOf));
        Assert.Empty(others);
        Assert.Single(host.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task AHubThatRequiresAuthorization_RefusesAnonymousUpgrades_With401_AndAcceptsUsers()
    {
        await using var host = await SignalRTestHost.StartAsync(requireAuthorization: true);

        var status = await SignalRProtocolClient.ConnectExpectingRefusalAsync(host.HubUri);
        await using var alice = await host.ConnectAsync(user: "alice");
        var reply = await alice.SubscribeAsync("s", topics: ["tasks/a"]);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("subscribed", reply.GetProperty("op").GetString());
        Assert.True(host.Connections.TryGet(alice.ConnectionId, out var connection));
        Assert.Equal("alice", connection.User.Identity?.Name);
        Assert.Single(host.Connections.Connections); // the refused upgrade never became a connection
    }
}
