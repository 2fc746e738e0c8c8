using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>
/// A WebSocket client: RealtimeEvents' protocol (<c>re-ws</c>), SignalR's JSON hub protocol without negotiation
/// (<c>re-signalr</c>, <c>signalr</c>), or the hand-rolled baseline's plain event messages (<c>handrolled</c>).
/// Each message is read whole into one buffer (grown from the pool when a batch needs it) and scanned as bytes.
/// </summary>
internal sealed class WebSocketLoadClient : LoadClient
{
    private const int InitialBufferBytes = 4096;
    private const int MaxErrorChars = 300;
    private const byte RecordSeparator = 0x1E;
    private const string SubProtocol = "realtime-events.v1.json";

    private static readonly byte[] SubscribeMessage =
        Encoding.UTF8.GetBytes($$"""{"op":"subscribe","id":"load","topics":["{{Scenarios.Topic}}"]}""");

    private static readonly byte[] HandshakeRecord = Encoding.UTF8.GetBytes("""{"protocol":"json","version":1}""" + "\u001e");

    private static readonly byte[] SubscribeInvocation = Encoding.UTF8.GetBytes(
        $$"""{"type":1,"invocationId":"0","target":"Subscribe","arguments":[{"id":"load","topics":["{{Scenarios.Topic}}"]}]}""" + "\u001e");

    private static readonly byte[] PingRecord = Encoding.UTF8.GetBytes("""{"type":6}""" + "\u001e");

    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly bool _overflowNotices;
    private Phase _phase;

    public WebSocketLoadClient(int index, ClientContext context)
        : base(index, context)
    {
        _overflowNotices = context.Scenario.IsRealtimeEvents();
        IsSignalR = context.Scenario is Scenario.RealtimeSignalR or Scenario.PlainSignalR;
    }

    private enum Phase
    {
        Opening,
        AwaitHandshake,
        AwaitSubscribed,
        Connected,
        Failed,
    }

    /// <summary>Gets a value indicating whether the connection speaks SignalR and so needs keep-alive pings.</summary>
    public bool IsSignalR { get; }

    private static ReadOnlySpan<byte> EmptyHandshakeResponse => "{}"u8;

    private static ReadOnlySpan<byte> SubscribedOp => "\"op\":\"subscribed\""u8;

    private static ReadOnlySpan<byte> ErrorOp => "\"op\":\"error\""u8;

    private static ReadOnlySpan<byte> SubscribedTarget => "\"target\":\"subscribed\""u8;

    private static ReadOnlySpan<byte> ErrorTarget => "\"target\":\"error\""u8;

    private static ReadOnlySpan<byte> CloseRecord => "\"type\":7"u8;

    private static ReadOnlySpan<byte> CompletionRecord => "\"type\":3"u8;

    private static ReadOnlySpan<byte> ErrorField => "\"error\":"u8;

    private static ReadOnlySpan<byte> CodeField => "\"code\":\""u8;

    public override void Abort() => _socket.Abort();

    /// <summary>Sends SignalR's ping record unless another send is under way (then that send keeps the connection alive).</summary>
    public async Task TrySendPingAsync()
    {
        if (!IsConnected || IsDisconnected || !_sendLock.Wait(0))
        {
            return;
        }

        try
        {
            await _socket.SendAsync(PingRecord, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The receive loop sees the broken connection and counts it.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    protected override async Task<string> RunAsync()
    {
        var target = new UriBuilder(Context.Target) { Scheme = Context.Target.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        _socket.Options.CollectHttpResponseDetails = true;
        if (Context.Scenario == Scenario.RealtimeWebSocket)
        {
            _socket.Options.AddSubProtocol(SubProtocol);
        }

        try
        {
            await _socket.ConnectAsync(target, Context.Handlers.Invoker(Index), Context.ShuttingDown);
        }
        catch (WebSocketException) when (_socket.HttpStatusCode is not 0 and not HttpStatusCode.SwitchingProtocols)
        {
            var status = _socket.HttpStatusCode;
            return $"HTTP {(int)status} ({status})";
        }

        switch (Context.Scenario)
        {
            case Scenario.RealtimeWebSocket:
                await SendAsync(SubscribeMessage);
                _phase = Phase.AwaitSubscribed;
                break;
            case Scenario.RealtimeSignalR or Scenario.PlainSignalR:
                await SendAsync(HandshakeRecord);
                _phase = Phase.AwaitHandshake;
                break;
            default:
                _phase = Phase.Connected;
                MarkConnected();
                break;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            while (true)
            {
                await WaitWhileStalledAsync();
                var length = 0;
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        buffer = Grow(buffer, length);
                    }

                    var result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return $"closed by the server ({(int?)_socket.CloseStatus} {_socket.CloseStatusDescription})";
                    }

                    length += result.Count;
                    if (result.EndOfMessage)
                    {
                        break;
                    }
                }

                var now = Stopwatch.GetTimestamp();
                if (_phase == Phase.Connected)
                {
                    Stats.Scan(buffer.AsSpan(0, length), now, _overflowNotices);
                    continue;
                }

                var previous = _phase;
                _phase = OnHandshakeMessage(buffer.AsSpan(0, length), now);
                if (_phase == Phase.Failed)
                {
                    return "failed while subscribing";
                }

                if (previous == Phase.AwaitHandshake && _phase == Phase.AwaitSubscribed)
                {
                    await SendAsync(SubscribeInvocation);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Grow(byte[] buffer, int length)
    {
        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    private static string Text(ReadOnlySpan<byte> message) =>
        Encoding.UTF8.GetString(message[..Math.Min(message.Length, MaxErrorChars)]);

    /// <summary>One message before the client is connected: the next phase (failures are reported here).</summary>
    private Phase OnHandshakeMessage(ReadOnlySpan<byte> message, long now)
    {
        if (_phase == Phase.AwaitHandshake)
        {
            var end = message.IndexOf(RecordSeparator);
            if (end < 0 || !message[..end].SequenceEqual(EmptyHandshakeResponse))
            {
                MarkFailed("SignalR handshake refused: " + Text(message));
                return Phase.Failed;
            }

            var rest = message[(end + 1)..];
            if (Context.Scenario == Scenario.PlainSignalR)
            {
                MarkConnected();
                Stats.Scan(rest, now, _overflowNotices);
                return Phase.Connected;
            }

            // RealtimeEvents' hub refuses a connection over its limits right after the handshake (error, then close).
            return IsSignalRRefusal(rest) ? Phase.Failed : Phase.AwaitSubscribed;
        }

        if (Context.Scenario == Scenario.RealtimeWebSocket)
        {
            if (message.IndexOf(SubscribedOp) >= 0)
            {
                MarkConnected();
                return Phase.Connected;
            }

            if (message.IndexOf(ErrorOp) >= 0)
            {
                MarkFailed("subscribe refused: " + Describe(message));
                return Phase.Failed;
            }

            return _phase;
        }

        // re-signalr: the subscribed hub message, possibly with events after it in the same frame.
        if (message.IndexOf(SubscribedTarget) >= 0)
        {
            MarkConnected();
            Stats.Scan(message, now, _overflowNotices);
            return Phase.Connected;
        }

        return IsSignalRRefusal(message) ? Phase.Failed : _phase;
    }

    /// <summary>An error hub message, a close record or a failed completion: the connect attempt failed.</summary>
    private bool IsSignalRRefusal(ReadOnlySpan<byte> message)
    {
        if (message.IndexOf(ErrorTarget) >= 0 || message.IndexOf(CloseRecord) >= 0 ||
            (message.IndexOf(CompletionRecord) >= 0 && message.IndexOf(ErrorField) >= 0))
        {
            MarkFailed("SignalR refused: " + Describe(message));
            return true;
        }

        return false;
    }

    /// <summary>The error's <c>code</c> when the message has one (too_many_connections, ...), else its text.</summary>
    private static string Describe(ReadOnlySpan<byte> message)
    {
        var at = message.IndexOf(CodeField);
        if (at >= 0)
        {
            var code = message[(at + CodeField.Length)..];
            var end = code.IndexOf((byte)'"');
            if (end > 0)
            {
                return Encoding.UTF8.GetString(code[..end]);
            }
        }

        return Text(message);
    }

    private async Task SendAsync(byte[] message)
    {
        await _sendLock.WaitAsync(Context.ShuttingDown);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, Context.ShuttingDown);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
