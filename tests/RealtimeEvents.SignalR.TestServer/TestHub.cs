using Microsoft.AspNetCore.SignalR;

namespace RealtimeEvents.SignalR.TestServer;

/// <summary>RealtimeEventsHub, plus a record of each connection's HTTP request for <c>POST /test/drop/{id}</c>.</summary>
internal sealed class TestHub(RealtimeEventsHubBridge bridge, HubTransports transports) : RealtimeEventsHub(bridge)
{
    public override async Task OnConnectedAsync()
    {
        if (Context.GetHttpContext() is { } transport)
        {
            transports.Add(Context.ConnectionId, transport);
        }

        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        transports.Remove(Context.ConnectionId);
        await base.OnDisconnectedAsync(exception);
    }
}
