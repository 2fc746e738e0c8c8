using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;
using RealtimeEvents.SignalR.Internal;

namespace RealtimeEvents.SignalR;

/// <summary>
/// Gives a SignalR hub RealtimeEvents' subscriptions. <see cref="RealtimeEventsHub"/> uses it; a host with its own hub
/// injects it and forwards four calls: <see cref="OnConnectedAsync"/>, <see cref="OnDisconnectedAsync"/>,
/// <see cref="SubscribeAsync"/> and <see cref="UnsubscribeAsync"/>.
/// </summary>
/// <remarks>
/// Each SignalR connection gets a connection of its own on the node, like a WebSocket client: it counts towards
/// <c>MaxConnections</c>, is listed by the management endpoints with transport <c>signalr</c>, obeys the same transport
/// limits, and is flushed at shutdown. One send loop per connection drains its subscriptions and awaits every write,
/// so a stalled client holds up nobody, and its backlog stays within its subscriptions' bounded queues.
/// </remarks>
public sealed class RealtimeEventsHubBridge
{
    private static readonly object ItemKey = new();

    private readonly IServiceProvider _services;
    private readonly IServiceScopeFactory _scopes;
    private readonly SignalRLimits _limits;
    private ConnectionManager? _manager;
    private int _shutdownHooked;

    internal RealtimeEventsHubBridge(IServiceProvider services, SignalRLimits limits)
    {
        _services = services;
        _scopes = services.GetRequiredService<IServiceScopeFactory>();
        _limits = limits;
    }

    private ConnectionManager Manager => _manager ??= ConnectionManager.For(_services);

    /// <summary>Call from the hub's <c>OnConnectedAsync</c>: opens the connection's subscriptions and sends <c>welcome</c>.</summary>
    /// <param name="hub">The hub (<c>this</c>).</param>
    /// <returns>A task that completes when the connection is set up.</returns>
    /// <remarks>
    /// When the node already has <c>MaxConnections</c> connections or is shutting down, the client gets an <c>error</c>
    /// message (<c>too_many_connections</c> or <c>shutting_down</c>) and the connection is closed with reconnect allowed.
    /// </remarks>
    public async Task OnConnectedAsync(Hub hub)
    {
        ArgumentNullException.ThrowIfNull(hub);
        var manager = Manager;
        HookShutdown(manager);
        var context = hub.Context;
        if (!manager.TryReserve())
        {
            var code = manager.Stopping.IsCancellationRequested ? ProtocolErrorCodes.ShuttingDown : ProtocolErrorCodes.TooManyConnections;
            SignalRLog.ConnectionRefused(manager.Logger, code, manager.Options.MaxConnections);
            manager.Metrics.CountRejected(code);
            var refusal = Message(RealtimeProtocol.Error, buffer => ServerMessages.Error(buffer, null, code, code == ProtocolErrorCodes.ShuttingDown
                ? "The server is shutting down; connect again shortly."
                : $"This server already has {manager.Options.MaxConnections} connections; try again later or another node."));
            context.Items[ItemKey] = refusal;
            await hub.Clients.Caller.SendAsync(refusal.Op, refusal, context.ConnectionAborted).ConfigureAwait(false);
            SignalRConnection.RequestClose(context);
            return;
        }

        var connection = new SignalRConnection(context, hub.Clients.Caller, manager, _scopes, _limits);
        context.Items[ItemKey] = connection;
        manager.Register(connection);
        connection.Start();
    }

    /// <summary>Call from the hub's <c>OnDisconnectedAsync</c>: ends the connection's subscriptions and releases what it held.</summary>
    /// <param name="hub">The hub (<c>this</c>).</param>
    /// <param name="exception">The exception SignalR passed, if any.</param>
    /// <returns>A task that completes when everything is released.</returns>
    public Task OnDisconnectedAsync(Hub hub, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(hub);
        return hub.Context.Items.TryGetValue(ItemKey, out var value) && value is SignalRConnection connection
            ? connection.DisconnectedAsync()
            : Task.CompletedTask;
    }

    /// <summary>
    /// Call from a hub method <c>Subscribe(JsonElement request)</c>: subscribes with the fields of the protocol's
    /// <c>subscribe</c> message (docs/protocol.md).
    /// </summary>
    /// <param name="hub">The hub (<c>this</c>).</param>
    /// <param name="request">The request as the client sent it; it is checked here, with the protocol's error codes.</param>
    /// <returns>
    /// The reply: <c>subscribed</c>, or <c>error</c> with a stable code. The same reply is sent as a hub message before
    /// this completes; that message is ordered with the data, so it precedes the subscription's first event.
    /// </returns>
    public async Task<RealtimeHubMessage> SubscribeAsync(Hub hub, JsonElement request)
    {
        ArgumentNullException.ThrowIfNull(hub);
        if (Connection(hub) is not { } connection)
        {
            return Refusal(hub);
        }

        var reply = await connection.SubscribeAsync(request).ConfigureAwait(false);
        return await SentAsync(hub, reply).ConfigureAwait(false);
    }

    /// <summary>Call from a hub method <c>Unsubscribe(JsonElement id)</c>: ends a subscription of this connection.</summary>
    /// <param name="hub">The hub (<c>this</c>).</param>
    /// <param name="id">The subscription's id, as the client sent it.</param>
    /// <returns>
    /// The reply: <c>unsubscribed</c>, after which nothing of the subscription arrives, or <c>error</c>
    /// (<c>unknown_subscription</c>, <c>invalid_field</c>). It is sent as a hub message too.
    /// </returns>
    public async Task<RealtimeHubMessage> UnsubscribeAsync(Hub hub, JsonElement id)
    {
        ArgumentNullException.ThrowIfNull(hub);
        if (Connection(hub) is not { } connection)
        {
            return Refusal(hub);
        }

        var reply = await connection.UnsubscribeAsync(id).ConfigureAwait(false);
        return await SentAsync(hub, reply).ConfigureAwait(false);
    }

    private static async Task<RealtimeHubMessage> SentAsync(Hub hub, MessageConnection.Reply reply)
    {
        try
        {
            await reply.Sent.WaitAsync(hub.Context.ConnectionAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The connection ended first; the reply goes nowhere either way.
        }

        return new RealtimeHubMessage(reply.Op, reply.Utf8Json);
    }

    private static SignalRConnection? Connection(Hub hub) =>
        hub.Context.Items.TryGetValue(ItemKey, out var value)
            ? value as SignalRConnection
            : throw new InvalidOperationException(
                "This hub connection was not opened through RealtimeEventsHubBridge: call OnConnectedAsync(this) from the hub's OnConnectedAsync "
                + "(and OnDisconnectedAsync(this, exception) from its OnDisconnectedAsync), or derive from RealtimeEventsHub and call base.");

    private static RealtimeHubMessage Refusal(Hub hub) => (RealtimeHubMessage)hub.Context.Items[ItemKey]!;

    private static RealtimeHubMessage Message(string op, Action<System.Buffers.IBufferWriter<byte>> write) =>
        new(op, ServerMessages.ToArray(write));

    /// <summary>
    /// SignalR aborts its connections in its own <c>ApplicationStopping</c> callback. This one is registered on the first
    /// connection, after SignalR's, and token callbacks run in reverse order of registration, so it runs first. It starts
    /// the shutdown of every connection of the node (WebSocket and SSE too, so theirs is not delayed), then waits
    /// (bounded by the flush and close timeouts) until the SignalR transports have closed, so queued events and the
    /// close message with reconnect allowed go out before SignalR aborts what is left.
    /// </summary>
    private void HookShutdown(ConnectionManager manager)
    {
        if (Interlocked.Exchange(ref _shutdownHooked, 1) == 0)
        {
            manager.Stopping.Register(static state => ((RealtimeEventsHubBridge)state!).FlushForShutdown(), this);
        }
    }

    private void FlushForShutdown()
    {
        var manager = Manager;
        manager.CloseAllForShutdown();
        var closing = manager.Connections.OfType<SignalRConnection>().Select(c => c.TransportClosed).ToArray();
        var limit = manager.Options.ShutdownFlushTimeout + manager.Options.CloseTimeout;
        if (!Task.WaitAll(closing, limit))
        {
            SignalRLog.ShutdownFlushTimedOut(manager.Logger, closing.Count(t => !t.IsCompleted), limit);
        }
    }
}
