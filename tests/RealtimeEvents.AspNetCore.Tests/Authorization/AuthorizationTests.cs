using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.Authorization;

public sealed class AuthorizationTests
{
    private static Task<TestHost> StartAsync() => TestHost.StartAsync(
        configure: builder =>
        {
            builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
            builder.Services.AddAuthorization();
            builder.Services.AddRealtimeEvents().AddSubscriptionAuthorizer(context =>
                context.User.FindFirst("tenant")?.Value is { } tenant && context.Filter.IsConfinedTo("tenants/" + tenant)
                    ? SubscriptionAuthorizationResult.Allow
                    : SubscriptionAuthorizationResult.Deny("Subscribe to topics under tenants/{your tenant} only."));
        },
        map: app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapRealtimeEvents("/realtime").RequireAuthorization();
        });

    private static Uri As(TestHost host, string user) => new(host.WebSocketUri() + "?access_token=" + user);

    [Fact]
    public async Task AnonymousConnections_AreRefusedBeforeTheUpgrade()
    {
        await using var host = await StartAsync();
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(host.WebSocketUri(), CancellationToken.None).WithTimeout());
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);

        using var http = host.CreateHttpClient();
        using var sse = await http.GetAsync(new Uri("/realtime/sse?topic=tenants/alice/x", UriKind.Relative)).WithTimeout();
        Assert.Equal(HttpStatusCode.Unauthorized, sse.StatusCode);
    }

    [Theory]
    [InlineData("tenants/bob/**")]
    [InlineData("tenants/*")]
    [InlineData("tenants/**")]
    [InlineData("tenants/alicexyz/x")]
    [InlineData(null)]
    public async Task SubscriptionsOutsideTheUsersTenant_AreForbidden(string? topic)
    {
        await using var host = await StartAsync();
        await using var alice = await ProtocolClient.ConnectAsync(As(host, "alice"));

        var reply = await alice.SubscribeAsync("s", topics: topic is null ? null : [topic]);

        Assert.Equal("error", reply.GetProperty("op").GetString());
        Assert.Equal(ProtocolErrorCodes.Forbidden, reply.GetProperty("code").GetString());
        Assert.Equal("Subscribe to topics under tenants/{your tenant} only.", reply.GetProperty("message").GetString());
        Assert.Empty(host.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task TwoUsers_NeverSeeEachOthersEvents()
    {
        await using var host = await StartAsync();
        await using var alice = await ProtocolClient.ConnectAsync(As(host, "alice"));
        await using var bob = await ProtocolClient.ConnectAsync(As(host, "bob"));
        Assert.Equal("subscribed", (await alice.SubscribeAsync("mine", topics: ["tenants/alice/**"])).GetProperty("op").GetString());
        Assert.Equal("subscribed", (await bob.SubscribeAsync("mine", topics: ["tenants/bob/**"])).GetProperty("op").GetString());
        Assert.Equal(ProtocolErrorCodes.Forbidden, (await alice.SubscribeAsync("theirs", topics: ["tenants/bob/**"])).GetProperty("code").GetString());

        for (var i = 0; i < 50; i++)
        {
            await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, $"tenants/{(i % 2 == 0 ? "alice" : "bob")}/tasks/t{i}"));
        }

        var aliceEvents = await alice.ReceiveEventsAsync("mine", 25);
        var bobEvents = await bob.ReceiveEventsAsync("mine", 25);
        Assert.All(aliceEvents, e => Assert.StartsWith("tenants/alice/", e.GetProperty("topic").GetString(), StringComparison.Ordinal));
        Assert.All(bobEvents, e => Assert.StartsWith("tenants/bob/", e.GetProperty("topic").GetString(), StringComparison.Ordinal));

        // Nothing else is pending for either: the next message after a ping is the pong.
        await alice.SendAsync(new { op = "ping" });
        Assert.Equal("pong", (await alice.ReceiveAsync()).GetProperty("op").GetString());
        await bob.SendAsync(new { op = "ping" });
        Assert.Equal("pong", (await bob.ReceiveAsync()).GetProperty("op").GetString());
    }

    [Fact]
    public async Task TheConnectionsUser_IsShownByManagement()
    {
        await using var host = await StartAsync();
        await using var alice = await ProtocolClient.ConnectAsync(As(host, "alice"));

        var connection = Assert.Single(host.Connections.Connections);
        Assert.Equal("alice", connection.User.Identity?.Name);
    }
}
