using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.AspNetCore.WebSockets;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.SignalR.Internal;

/// <summary>
/// One SignalR client. Its requests arrive as hub invocations; the shared send loop of <see cref="MessageConnection"/>
/// sends every message as a hub message to this connection alone and awaits each write, so SignalR's buffers hold at
/// most one message of a stalled client and the backlog stays in the subscriptions' bounded queues.
/// </summary>
internal sealed class SignalRConnection : MessageConnection
{
    private readonly HubCallerContext _context;
    private readonly IClientProxy _caller;
    private readonly IServiceProvider _requestServices;
    private readonly SignalRLimits _limits;
    private readonly TaskCompletionSource _transportClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _completion = Task.CompletedTask;
    private volatile bool _clientGone;

    public SignalRConnection(HubCallerContext context, IClientProxy caller, ConnectionManager manager, IServiceProvider services, SignalRLimits limits)
        : base("signalr", context.User ?? new System.Security.Claims.ClaimsPrincipal(), RemoteAddressOf(context), manager)
    {
        _context = context;
        _caller = caller;
        _requestServices = context.GetHttpContext()?.RequestServices ?? services;
        _limits = limits;

        // Fires once the transport has sent what SignalR wrote last (its close message) and closed; it lives as long as
        // SignalR's connection, so the registration is not disposed with this one (which ends first).
        var closed = context.Features.Get<IConnectionLifetimeFeature>()?.ConnectionClosed ?? context.ConnectionAborted;
        closed.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), _transportClosed);
    }

    /// <summary>Gets a task that completes when SignalR's transport has closed.</summary>
    public Task TransportClosed => _transportClosed.Task;

    /// <summary>SignalR's keep-alive pings are the heartbeat.</summary>
    protected override bool SendsHeartbeats => false;

    /// <summary>Queues <c>welcome</c> and starts the send loop.</summary>
    public void Start()
    {
        EnqueueReply(RealtimeProtocol.Welcome,
            buffer => ServerMessages.Welcome(buffer, Id, Manager.Broadcaster.CurrentPosition, Options, _limits.KeepAliveInterval, _limits.MaximumReceiveMessageSize));
        _completion = RunAsync();
    }

    /// <summary>Handles <c>Subscribe(request)</c>.</summary>
    public async ValueTask<Reply> SubscribeAsync(JsonElement request)
    {
        if (CheckRate(null) is { } limited)
        {
            return limited;
        }

        var message = ClientMessageParser.ParseSubscribeRequest(request);
        return message.IsValid
            ? await SubscribeAsync(message.Request!, _requestServices).ConfigureAwait(false)
            : Violation(message.Id, message.ErrorCode!, message.ErrorMessage!);
    }

    /// <summary>Handles <c>Unsubscribe(id)</c>.</summary>
    public Reply Unsubscribe(JsonElement id)
    {
        if (CheckRate(null) is { } limited)
        {
            return limited;
        }

        var text = id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        return ClientMessageParser.IsValidId(text)
            ? Unsubscribe(text!)
            : Violation(null, ProtocolErrorCodes.InvalidField, "Unsubscribe takes the subscription's id: a string of 1 to 128 characters.");
    }

    /// <summary>The client is gone (SignalR's <c>OnDisconnectedAsync</c>): stop, and wait until everything is released.</summary>
    public Task DisconnectedAsync()
    {
        _clientGone = true;
        Close(WebSocketCloseStatus.NormalClosure, "Closed by the client.", flush: false); // no-op when a close is already under way
        return _completion;
    }

    protected override async ValueTask SendMessageAsync(string op, ReadOnlyMemory<byte> utf8Json, CancellationToken token) =>
        // SignalR writes the message into the connection's pipe before this completes, and completes once the pipe has
        // room again: awaiting it is the backpressure.
        await _caller.SendAsync(op, new RealtimeHubMessage(op, utf8Json), token).ConfigureAwait(false);

    protected override ValueTask CloseTransportAsync(CloseRequest close)
    {
        if (_clientGone)
        {
            return default;
        }

        if (close.Status == WebSocketCloseStatus.EndpointUnavailable)
        {
            // Going away (shutdown): SignalR sends its close message with reconnect allowed, so the client resumes, here
            // or on another node. SignalR's own shutdown would abort the connection without one.
            RequestClose(_context);
            return default;
        }

        _context.Abort(); // an administrator or abuse: SignalR tells the client not to reconnect
        return default;
    }

    /// <summary>Closes a SignalR connection with reconnect allowed (falls back to an abort when the transport can't).</summary>
    public static void RequestClose(HubCallerContext context)
    {
        if (context.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetime)
        {
            lifetime.RequestClose();
        }
        else
        {
            context.Abort();
        }
    }

    private static string? RemoteAddressOf(HubCallerContext context) =>
        context.GetHttpContext()?.Connection.RemoteIpAddress?.ToString();

    private async Task RunAsync()
    {
        try
        {
            await SendLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            DisposeLimits();
            Finish();
            Manager.Unregister(this);
            Manager.Release();
        }
    }
}
