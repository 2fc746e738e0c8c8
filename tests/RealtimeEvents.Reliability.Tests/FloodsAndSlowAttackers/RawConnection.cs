using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.FloodsAndSlowAttackers;

/// <summary>
/// A plain TCP connection to the test host, for clients no well-behaved library would be: requests written by hand (whole,
/// partial or a byte at a time), responses read by hand (so a 503 and a 101 are told apart before any upgrade), a small
/// receive buffer, and reads that never happen.
/// </summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Stopwatch _opened = Stopwatch.StartNew();
    private WebSocket? _webSocket;

    private RawConnection(Socket socket, Uri baseAddress)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Gets how long ago the TCP connection was made.</summary>
    public TimeSpan Age => _opened.Elapsed;

    /// <summary>Connects to the host's port on 127.0.0.1; <paramref name="receiveBufferBytes"/> is set before the connect, so the window stays small.</summary>
    public static async Task<RawConnection> OpenAsync(Uri baseAddress, int? receiveBufferBytes = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (receiveBufferBytes is { } size)
            {
                socket.ReceiveBufferSize = size;
            }

            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, baseAddress.Port)).WithTimeout();
            return new RawConnection(socket, baseAddress);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A complete WebSocket upgrade request offering the protocol's subprotocol.</summary>
    public string WebSocketRequest(string path = "/realtime/ws") =>
        string.Create(CultureInfo.InvariantCulture,
            $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{BaseAddress.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {RealtimeProtocol.SubProtocol}\r\n\r\n");

    /// <summary>A complete SSE request for <paramref name="topic"/>.</summary>
    public string SseRequest(string topic) =>
        string.Create(CultureInfo.InvariantCulture,
            $"GET /realtime/sse?topic={Uri.EscapeDataString(topic)} HTTP/1.1\r\nHost: 127.0.0.1:{BaseAddress.Port}\r\nAccept: text/event-stream\r\n\r\n");

    public Task SendAsync(string ascii) => SendAsync(Encoding.ASCII.GetBytes(ascii));

    public Task SendAsync(ReadOnlyMemory<byte> bytes) => _stream.WriteAsync(bytes).AsTask().WithTimeout();

    /// <summary>
    /// Reads a response head (status line and headers) and, when <paramref name="readBody"/>, its body; never the body of a
    /// 101 or a 200 (an upgraded connection, an SSE stream), which does not end.
    /// </summary>
    public async Task<RawResponse> ReadResponseAsync(bool readBody = true, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TaskTimeoutExtensions.DefaultTimeout);
        var statusLine = await ReadLineAsync(deadline.Token);
        var parts = statusLine.Split(' ', 3);
        Assert.True(parts.Length >= 2 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal), $"Not an HTTP status line: '{statusLine}'.");
        var status = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await ReadLineAsync(deadline.Token) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        var body = string.Empty;
        if (readBody && status is not (101 or 200))
        {
            if (headers.TryGetValue("Content-Length", out var length))
            {
                body = Encoding.UTF8.GetString(await ReadExactlyAsync(int.Parse(length, CultureInfo.InvariantCulture), deadline.Token));
            }
            else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                var text = new StringBuilder();
                while (int.Parse(await ReadLineAsync(deadline.Token), NumberStyles.HexNumber, CultureInfo.InvariantCulture) is var size and > 0)
                {
                    text.Append(Encoding.UTF8.GetString(await ReadExactlyAsync(size, deadline.Token)));
                    await ReadLineAsync(deadline.Token);
                }

                body = text.ToString();
            }
        }

        return new RawResponse(status, headers, body);
    }

    /// <summary>
    /// Gets the upgraded connection as a client <see cref="System.Net.WebSockets.WebSocket"/> that does nothing by itself: no
    /// keep-alive, and it reads (and answers pings) only when asked to receive. Disposed with the connection.
    /// </summary>
    public WebSocket WebSocket => _webSocket ??= WebSocket.CreateFromStream(_stream, new WebSocketCreationOptions
    {
        IsServer = false,
        SubProtocol = RealtimeProtocol.SubProtocol,
        KeepAliveInterval = TimeSpan.Zero,
    });

    /// <summary>Whether the server has closed (or reset) the connection, without waiting; data waiting to be read counts as open.</summary>
    public bool IsClosedByServer()
    {
        try
        {
            return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>
    /// Reads (and discards) until the server closes or resets the connection; returns how long after the TCP connect that was.
    /// Fails with <see cref="TimeoutException"/> when the connection is still open after <paramref name="timeout"/>.
    /// </summary>
    public async Task<TimeSpan> WaitForServerCloseAsync(TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (await _stream.ReadAsync(buffer, deadline.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"The server did not close the connection within {timeout.TotalSeconds:0.#} s.");
        }
        catch (IOException)
        {
            // Reset by the server: closed too.
        }

        return Age;
    }

    public ValueTask DisposeAsync()
    {
        _webSocket?.Abort();
        _webSocket?.Dispose();
        _socket.Close(0); // abortive: a test's many sockets must not linger in TIME_WAIT
        return _stream.DisposeAsync();
    }

    private async Task<string> ReadLineAsync(CancellationToken token)
    {
        // Byte by byte: nothing past the head is consumed, so an upgraded connection's first frame stays in the stream.
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await _stream.ReadAsync(one, token) == 0)
            {
                throw new IOException($"The server closed the connection in the middle of a response head, after '{line}'.");
            }

            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)one[0]);
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken token)
    {
        var bytes = new byte[count];
        await _stream.ReadExactlyAsync(bytes, token);
        return bytes;
    }
}

/// <summary>An HTTP response read by <see cref="RawConnection"/>.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public override string ToString() => $"{Status} {string.Join(", ", Headers.Select(h => $"{h.Key}: {h.Value}"))} {Body}";
}
