using System.Text.Json;
using Microsoft.AspNetCore.SignalR;

namespace RealtimeEvents.SignalR;

/// <summary>
/// The RealtimeEvents hub: clients call <c>Subscribe(request)</c> and <c>Unsubscribe(id)</c> and receive the protocol's
/// messages as hub messages (<c>welcome</c>, <c>subscribed</c>, <c>event</c>, <c>events</c>, <c>overflow</c>,
/// <c>unsubscribed</c>, <c>error</c>), each carrying the JSON object of docs/protocol.md. Map it with
/// <c>app.MapRealtimeEventsHub("/realtime/hub")</c>.
/// </summary>
/// <remarks>
/// Derive from it to add methods of your own; an override of <see cref="OnConnectedAsync"/> or
/// <see cref="OnDisconnectedAsync"/> must call the base. A hub that can't derive from it uses
/// <see cref="RealtimeEventsHubBridge"/> directly.
/// </remarks>
public class RealtimeEventsHub : Hub
{
    /// <summary>Initializes a new instance of the <see cref="RealtimeEventsHub"/> class.</summary>
    /// <param name="bridge">The bridge, registered by <c>AddRealtimeEvents().AddSignalR()</c>.</param>
    public RealtimeEventsHub(RealtimeEventsHubBridge bridge)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        Bridge = bridge;
    }

    /// <summary>Gets the bridge that holds this hub's subscriptions.</summary>
    protected RealtimeEventsHubBridge Bridge { get; }

    /// <summary>Opens the connection's subscriptions and sends <c>welcome</c>; an override must call it.</summary>
    /// <returns>A task that completes when the connection is set up.</returns>
    public override Task OnConnectedAsync() => Bridge.OnConnectedAsync(this);

    /// <summary>Ends the connection's subscriptions; an override must call it.</summary>
    /// <param name="exception">The exception that closed the connection, if any.</param>
    /// <returns>A task that completes when everything is released.</returns>
    public override Task OnDisconnectedAsync(Exception? exception) => Bridge.OnDisconnectedAsync(this, exception);

    /// <summary>Subscribes: <paramref name="request"/> has the fields of the protocol's <c>subscribe</c> message.</summary>
    /// <param name="request">For example <c>{"id":"a","topics":["executions/**"],"resumeAfter":"k3f9:41"}</c>.</param>
    /// <returns><c>subscribed</c> or <c>error</c>, also sent as a hub message ahead of the subscription's first event.</returns>
    public Task<RealtimeHubMessage> Subscribe(JsonElement request) => Bridge.SubscribeAsync(this, request);

    /// <summary>Ends the subscription <paramref name="id"/>.</summary>
    /// <param name="id">The subscription's id (a string).</param>
    /// <returns><c>unsubscribed</c> or <c>error</c>, also sent as a hub message.</returns>
    public Task<RealtimeHubMessage> Unsubscribe(JsonElement id) => Bridge.UnsubscribeAsync(this, id);
}
