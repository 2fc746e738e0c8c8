using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.Client.Internal;

/// <summary>
/// One WebSocket connection: connects and reads the welcome, then one receive loop hands every parsed message to the client.
/// Sends are serialized by a semaphore. Silence longer than the heartbeat timeout aborts the connection.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    /// <summary>The largest server message the client reads; a larger one ends the connection.</summary>
    internal const int MaxMessageBytes = 16 * 1024 * 1024;

    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _idle;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private TimeSpan _idleTimeout;

    private ClientConnection(ClientWebSocket socket, TimeProvider time, ILogger logger, CancellationTokenSource idle)
    {
        _socket = socket;
        _time = time;
        _logger = logger;
        _idle = idle;
    }

    public WelcomeMessage Welcome { get; private set; } = null!;

    public string Id => Welcome.ConnectionId;

    /// <summary>Connects, reads the welcome within <see cref="RealtimeEventsClientOptions.ConnectTimeout"/>, and checks its protocol version.</summary>
    /// <exception cref="ProtocolMismatchException">The server speaks another protocol version.</exception>
    public static async Task<ClientConnection> ConnectAsync(Uri uri, RealtimeEventsClientOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(RealtimeProtocol.SubProtocol);
        socket.Options.CollectHttpResponseDetails = true; // to tell a refused token (401, 403) from a network failure
        options.ConfigureWebSocket?.Invoke(socket.Options);
        var idle = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        var connection = new ClientConnection(socket, options.TimeProvider, logger, idle);
        try
        {
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token))
            {
                try
                {
                    await socket.ConnectAsync(uri, linked.Token).ConfigureAwait(false);
                }
                catch (WebSocketException) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw socket.HttpStatusCode == HttpStatusCode.Unauthorized
                        ? new ConnectRefusedException(RealtimeEventsClientException.Unauthorized,
                            "The server answered 401 Unauthorized: give an access token it accepts (AccessTokenProvider).")
                        : new ConnectRefusedException(ProtocolErrorCodes.Forbidden,
                            "The server answered 403 Forbidden: this user may not connect to the endpoint.");
                }
                while (true)
                {
                    var (frame, close) = await connection.ReceiveMessageAsync(linked.Token).ConfigureAwait(false);
                    if (close is not null)
                    {
                        throw new WebSocketException($"The server closed the connection before its welcome: {close.Reason}");
                    }

                    if (frame is null)
                    {
                        continue;
                    }

                    if (!ServerMessageParser.TryParse(frame.Value, out var message, out var error))
                    {
                        throw new WebSocketException("The server's first message is not a welcome: " + error);
                    }

                    if (message is not WelcomeMessage welcome)
                    {
                        throw new WebSocketException("The server's first message is not a welcome.");
                    }

                    if (welcome.Protocol != RealtimeProtocol.Version)
                    {
                        Log.UnsupportedProtocol(logger, welcome.Protocol);
                        throw new ProtocolMismatchException(welcome.Protocol);
                    }

                    connection.Welcome = welcome;
                    break;
                }
            }

            connection._idleTimeout = options.HeartbeatTimeout ?? TimeSpan.FromTicks((long)(connection.Welcome.Heartbeat.Ticks * 2.5));
            connection._idle.CancelAfter(connection._idleTimeout);
            return connection;
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"No welcome within {options.ConnectTimeout}.");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The receive loop: reads until the connection ends, handing each message to <paramref name="handler"/> in order.</summary>
    public async Task<CloseInfo> ReceiveLoopAsync(Func<ServerMessage, ValueTask> handler, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _idle.Token);
        try
        {
            while (true)
            {
                var (frame, close) = await ReceiveMessageAsync(linked.Token).ConfigureAwait(false);
                if (close is not null)
                {
                    // Answer the server's close frame so the handshake completes on both sides.
                    await CloseOutputAsync(close.Status ?? WebSocketCloseStatus.NormalClosure, string.Empty, SendTimeout).ConfigureAwait(false);
                    return close;
                }

                _idle.CancelAfter(_idleTimeout);
                if (frame is null)
                {
                    continue;
                }

                if (!ServerMessageParser.TryParse(frame.Value, out var message, out var error))
                {
                    Log.MalformedMessage(_logger, Id, error);
                    continue;
                }

                await handler(message).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _socket.Abort();
            return new CloseInfo(null, null, $"heartbeat_timeout: no message for {_idleTimeout}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _socket.Abort();
            return new CloseInfo(null, null, "the client stopped");
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            _socket.Abort();
            return new CloseInfo(null, null, "connection failed: " + ex.Message);
        }
    }

    /// <summary>Sends one message; sends of the connection never interleave, and each is bounded by a timeout.</summary>
    public async ValueTask SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(SendTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        await _sendLock.WaitAsync(linked.Token).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, linked.Token).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Starts the close handshake (the receive loop sees the server's answer); aborts when it cannot be sent in time.</summary>
    public async ValueTask CloseOutputAsync(WebSocketCloseStatus status, string description, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout, _time);
        try
        {
            await _sendLock.WaitAsync(cts.Token).ConfigureAwait(false);
            try
            {
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(status, description, cts.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            _socket.Abort();
        }
    }

    public void Abort() => _socket.Abort();

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _idle.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads one whole message: its bytes, or the close, or neither for a skipped binary message.</summary>
    private async ValueTask<(ReadOnlyMemory<byte>? Frame, CloseInfo? Close)> ReceiveMessageAsync(CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer.GetMemory(4096), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                var status = _socket.CloseStatus;
                var description = _socket.CloseStatusDescription;
                return (null, new CloseInfo(status, description, $"closed by the server: {(int?)status} {description}"));
            }

            _buffer.Advance(result.Count);
            if (_buffer.WrittenCount > MaxMessageBytes)
            {
                throw new WebSocketException($"A server message is larger than {MaxMessageBytes} bytes.");
            }

            if (!result.EndOfMessage)
            {
                continue;
            }

            if (result.MessageType == WebSocketMessageType.Binary)
            {
                Log.BinaryFrame(_logger, Welcome?.ConnectionId ?? "(connecting)");
                return (null, null);
            }

            return (_buffer.WrittenMemory, null);
        }
    }
}
