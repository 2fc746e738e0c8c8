using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.SignalR.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Hubs;

/// <summary>Faults a review found, each kept from coming back.</summary>
public sealed class RegressionTests
{
    [Fact]
    public async Task AHubThatRefusesInOnConnectedAfterTheBase_ReleasesTheConnectionSlot()
    {
        await using var host = await SignalRTestHost.StartAsync(
            transport: o => o.MaxConnections = 1,
            map: app => app.MapRealtimeEventsHub<RefusingHub>(SignalRTestHost.HubPath));

        for (var i = 0; i < 3; i++)
        {
            var removed = host.WhenNextConnectionRemoved();
            await using var refused = await SignalRProtocolClient.ConnectAsync(host.HubUri, readWelcome: false);
            var end = await refused.ReceiveUntilClosedAsync();
            await removed.WithTimeout(); // released, though OnDisconnectedAsync never runs for a failed OnConnectedAsync

            Assert.True(end.Close?.Error is not null, $"Expected SignalR's close with the hub's error, got {end.Close}");
            Assert.DoesNotContain(end.Messages, m => m.GetString("code") == "too_many_connections");
        }

        Assert.Empty(host.Connections.Connections);
    }

    [Fact]
    public async Task ParallelSubscribesWithOneId_GiveOneSubscribed_AndOneDuplicate()
    {
        var authorizing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await SignalRTestHost.StartAsync(
            realtime: events => events.Services.AddSingleton<ISubscriptionAuthorizer>(new GateAuthorizer(authorizing, release.Task)),
            configure: builder => builder.Services.AddSignalR(o => o.MaximumParallelInvocationsPerClient = 4));
        await using var client = await host.ConnectAsync();

        var first = await client.SendInvocationAsync("Subscribe", new { id = "a", topics = new[] { "tasks/x" } });
        await authorizing.Task.WithTimeout(); // the first is inside the (slow) authorizer
        var second = await client.SendInvocationAsync("Subscribe", new { id = "a", topics = new[] { "tasks/y" } });
        release.SetResult();

        var replies = new[] { await client.WaitForCompletionAsync(first), await client.WaitForCompletionAsync(second) };
        Assert.Equal("subscribed", replies[0].Result.GetProperty("op").GetString());
        Assert.Equal("duplicate_subscription", replies[1].Result.GetProperty("code").GetString());
        var subscription = Assert.Single(host.Broadcaster.Subscriptions);
        Assert.Contains("tasks/x", subscription.Filter.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AtShutdown_AStalledSignalRClient_DoesNotDelayTheWebSocketClientsClose()
    {
        await using var host = await SignalRTestHost.StartAsync(
            transport: o =>
            {
                o.ShutdownFlushTimeout = TimeSpan.FromSeconds(3);
                o.CloseTimeout = TimeSpan.FromSeconds(3);
            },
            configure: SmallSocketBuffers.OnServer,
            map: app =>
            {
                app.MapRealtimeEventsHub(SignalRTestHost.HubPath);
                app.MapRealtimeEvents("/realtime");
            });
        using var invoker = SmallSocketBuffers.ClientInvoker();
        await using var stalled = await host.ConnectAsync(invoker: invoker);
        await stalled.SubscribeAsync("s", topics: ["tasks/**"]);
        var pad = new string('x', 2000);
        for (var i = 0; i < 500; i++)
        {
            await host.Publisher.PublishAsync(Drafts.Numbered(i, pad: pad)).WithTimeout();
        }

        await host.Broadcaster.WaitForDispatchAsync(host.Broadcaster.CurrentPosition).WithTimeout();
        using var webSocket = new ClientWebSocket();
        webSocket.Options.AddSubProtocol("realtime-events.v1.json");
        await webSocket.ConnectAsync(new Uri(host.HubUri.ToString().Replace(SignalRTestHost.HubPath, "/realtime/ws", StringComparison.Ordinal)),
            CancellationToken.None).WithTimeout();
        var stalledRemoved = host.WhenConnectionRemoved(stalled.ConnectionId);

        var stopping = Task.Run(host.StopAsync);
        var buffer = new byte[16 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await webSocket.ReceiveAsync(buffer, CancellationToken.None).WithTimeout();
        }
        while (result.MessageType != WebSocketMessageType.Close);

        // The WebSocket client was told to go away while the stalled SignalR client was still being flushed.
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
        Assert.False(stalledRemoved.IsCompleted, "The WebSocket close waited for the stalled SignalR connection's flush.");
        await stopping.WithTimeout();
    }

    public sealed class RefusingHub(RealtimeEventsHubBridge bridge) : RealtimeEventsHub(bridge)
    {
        public override async Task OnConnectedAsync()
        {
            await base.OnConnectedAsync();
            throw new HubException("Not today.");
        }
    }

    private sealed class GateAuthorizer(TaskCompletionSource authorizing, Task release) : ISubscriptionAuthorizer
    {
        public async ValueTask<SubscriptionAuthorizationResult> AuthorizeAsync(SubscriptionAuthorizationContext context, CancellationToken cancellationToken)
        {
            authorizing.TrySetResult();
            await release.WaitAsync(cancellationToken);
            return SubscriptionAuthorizationResult.Allow;
        }
    }
}
