using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
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
    private readonly IServiceScopeFactory _scopes;
    private readonly SignalRLimits _limits;
    private readonly TaskCompletionSource _transportClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // SignalR runs one invocation of a client at a time unless MaximumParallelInvocationsPerClient is raised; requests
    // are handled one at a time regardless, as on a WebSocket, so the id and count checks hold.
    private readonly SemaphoreSlim _requests = new(1, 1);
    private Task _completion = Task.CompletedTask;
    private volatile bool _clientGone;
    private int _transportEnded;

    public SignalRConnection(HubCallerContext context, IClientProxy caller, ConnectionManager manager, IServiceScopeFactory scopes, SignalRLimits limits)
        : base("signalr", context.User ?? new System.Security.Claims.ClaimsPrincipal(), RemoteAddressOf(context), manager)
    {
        _context = context;
        _caller = caller;
        _scopes = scopes;
        _limits = limits;

        // SignalR's connection ends: the client went away, or the hub's OnConnectedAsync failed after this was made. In
        // that case OnDisconnectedAsync never comes and SignalR does not abort its context either; only the transport's
        // close tells. Either way, stop and release everything.
        context.ConnectionAborted.Register(static state => ((SignalRConnection)state!).ClientGone(), this);

        // Fires once the transport has sent what SignalR wrote last (its close message) and closed. These registrations
        // live as long as SignalR's connection, so they are not disposed with this one (which ends first).
        var closed = context.Features.Get<IConnectionLifetimeFeature>()?.ConnectionClosed ?? context.ConnectionAborted;
        closed.Register(static state => ((SignalRConnection)state!).TransportEnded(), this);
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
        await _requests.WaitAsync(_context.ConnectionAborted).ConfigureAwait(false);
        try
        {
            if ((Closing() ?? CheckRate(null)) is { } refused)
            {
                return refused;
            }

            var message = ClientMessageParser.ParseSubscribeRequest(request);
            if (!message.IsValid)
            {
                return Violation(message.Id, message.ErrorCode!, message.ErrorMessage!);
            }

            // A scope per request for the authorizers: SignalR's own per-invocation scope is not reachable from here, and a
            // long-polling connection's HttpContext has no usable request services.
            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                return await SubscribeAsync(message.Request!, scope.ServiceProvider).ConfigureAwait(false);
            }
        }
        finally
        {
            _requests.Release();
        }
    }

    /// <summary>Handles <c>Unsubscribe(id)</c>.</summary>
    public async ValueTask<Reply> UnsubscribeAsync(JsonElement id)
    {
        await _requests.WaitAsync(_context.ConnectionAborted).ConfigureAwait(false);
        try
        {
            if ((Closing() ?? CheckRate(null)) is { } refused)
            {
                return refused;
            }

            var text = id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            return ClientMessageParser.IsValidId(text)
                ? Unsubscribe(text!)
                : Violation(null, ProtocolErrorCodes.InvalidField, "Unsubscribe takes the subscription's id: a string of 1 to 128 characters.");
        }
        finally
        {
            _requests.Release();
        }
    }

    /// <summary>The client is gone (SignalR's <c>OnDisconnectedAsync</c>): stop, and wait until everything is released.</summary>
    public Task DisconnectedAsync()
    {
        ClientGone();
        return _completion;
    }

    protected override async ValueTask SendMessageAsync(string op, ReadOnlyMemory<byte> utf8Json, CancellationToken token) =>
        // SignalR writes the message into the connection's pipe before this completes, and completes once the pipe has
        // room again: awaiting it is the backpressure.
        await _caller.SendAsync(op, new RealtimeHubMessage(op, utf8Json), token).ConfigureAwait(false);

    protected override ValueTask CloseTransportAsync(CloseRequest close)
    {
        EndTransport(close);
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

    private void TransportEnded()
    {
        _transportClosed.TrySetResult();
        ClientGone();
    }

    private void ClientGone()
    {
        _clientGone = true;
        Close(WebSocketCloseStatus.NormalClosure, "Closed by the client.", flush: false); // no-op when a close is already under way
    }

    /// <summary>Requests are refused once the connection is closing: nothing new may start while it flushes or ends.</summary>
    private Reply? Closing() => AcceptsRequests
        ? null
        : Refuse(ProtocolErrorCodes.ShuttingDown, "This connection is closing; connect again to subscribe.");

    /// <summary>
    /// Ends SignalR's connection once, when the send loop is done: with reconnect allowed when going away (shutdown), so
    /// the client resumes here or on another node; without, for an administrator's disconnect, abuse, or a send loop
    /// that failed or ran out of time.
    /// </summary>
    private void EndTransport(CloseRequest? close)
    {
        if (_clientGone || Interlocked.Exchange(ref _transportEnded, 1) == 1)
        {
            return;
        }

        if (close is { Status: WebSocketCloseStatus.EndpointUnavailable })
        {
            RequestClose(_context);
        }
        else
        {
            _context.Abort();
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await SendLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            EndTransport(PendingClose); // when the loop ended without closing (aborted): never leave SignalR's connection without a loop
            DisposeLimits();
            Finish();
            Manager.Unregister(this);
            Manager.Release();
        }
    }
}
