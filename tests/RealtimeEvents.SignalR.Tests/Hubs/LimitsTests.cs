using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.SignalR.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Hubs;

/// <summary>The transport limits apply to SignalR connections as to WebSocket ones.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task ANodeAtMaxConnections_SendsTooManyConnections_AndClosesWithReconnectAllowed()
    {
        await using var host = await SignalRTestHost.StartAsync(transport: o => o.MaxConnections = 1);
        await using var first = await host.ConnectAsync();
        await using var second = await SignalRProtocolClient.ConnectAsync(host.HubUri, readWelcome: false);

        var end = await second.ReceiveUntilClosedAsync();

        var error = Assert.Single(end.Messages);
        Assert.Equal("error", error.Target);
        Assert.Equal("too_many_connections", error.GetString("code"));
        Assert.True(end.Close is not null, $"No SignalR close message arrived (WebSocket close {end.Status}).");
        Assert.True(end.Close.AllowReconnect, "A full node is a reason to come back later, not to give up.");
        Assert.Single(host.Connections.Connections); // the first one, still served
        Assert.Equal("subscribed", (await first.SubscribeAsync("a", topics: ["tasks/**"])).GetProperty("op").GetString());
    }

    [Fact]
    public async Task InvocationsBeyondTheRate_GetRateLimited_AndTheConnectionGoesOn()
    {
        // The node's timer refills the rate budget; on a clock that stands still the burst is all there is.
        var time = new FakeTimeProvider();
        await using var host = await SignalRTestHost.StartAsync(
            transport: o =>
            {
                o.MessagesPerSecond = 1;
                o.MessageBurst = 2;
                o.MaxProtocolViolations = 100;
            },
            configure: builder => builder.Services.AddSingleton<TimeProvider>(time));
        await using var client = await host.ConnectAsync();

        var replies = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            var reply = await client.SubscribeAsync("s" + i, topics: ["tasks/**"]);
            replies.Add(reply.GetProperty("op").GetString() == "error" ? reply.GetProperty("code").GetString() : "subscribed");
        }

        Assert.Equal(["subscribed", "subscribed", "rate_limited", "rate_limited"], replies);
        Assert.Equal(2, Assert.Single(host.Connections.Connections).Subscriptions.Count);
    }

    [Fact]
    public async Task TooManyInvalidRequests_AbortTheConnection_WithoutReconnect()
    {
        await using var host = await SignalRTestHost.StartAsync(transport: o => o.MaxProtocolViolations = 2);
        await using var client = await host.ConnectAsync();
        var removed = host.WhenConnectionRemoved(client.ConnectionId);

        for (var i = 0; i < 2; i++)
        {
            var reply = await client.SubscribeRawAsync("""{"id":"x","topics":5}""");
            Assert.Equal("invalid_field", reply.GetProperty("code").GetString());
        }

        // The third one is over the limit: its error still goes out, then the connection is aborted (the invocation
        // itself is left without a completion; clients reject it when the connection closes).
        await client.SendInvocationAsync("Subscribe", new { id = "x", topics = 5 });
        var end = await client.ReceiveUntilClosedAsync();
        await removed.WithTimeout();

        var error = Assert.Single(end.Messages);
        Assert.Equal("invalid_field", error.GetString("code"));
        Assert.True(end.Close is not null, $"No SignalR close message arrived (WebSocket close {end.Status}).");
        Assert.NotEqual(true, end.Close.AllowReconnect);
        Assert.Empty(host.Connections.Connections);
    }
}
