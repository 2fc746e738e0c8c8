using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// A WebSocket client over a plain TCP socket to 127.0.0.1 that writes any frame, valid or not (reserved bits, unknown
/// opcodes, unmasked, oversized control frames, lying lengths, invalid UTF-8), which <c>ClientWebSocket</c> cannot. Frames
/// are appended to a pending buffer and written with one <see cref="FlushAsync"/>; <see cref="ReadFrameAsync"/> reads
/// the server's (unmasked) frames one by one and answers the server's ping frames by itself.
/// </summary>
internal sealed class RawWebSocket : IAsyncDisposable
{
    /// <summary>Frame opcodes (RFC 6455 section 5.2).</summary>
    public const byte Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA;

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Random _random;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private byte[] _input = new byte[64 * 1024];
    private int _inputStart;
    private int _inputEnd;

    private RawWebSocket(Socket socket, Random random)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _random = random;
    }

    /// <summary>Gets how many ping frames of the server this client answered.</summary>
    public int ServerPingsAnswered { get; private set; }

    /// <summary>Opens a TCP connection and upgrades it; fails unless the server answers 101 with the right accept key.</summary>
    public static async Task<RawWebSocket> ConnectAsync(Uri baseAddress, Random random, string path = "/realtime/ws", bool offerSubProtocol = true,
        CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, baseAddress.Port), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new RawWebSocket(socket, random);
        try
        {
            var keyBytes = new byte[16];
            random.NextBytes(keyBytes);
            var key = Convert.ToBase64String(keyBytes);
            var request = $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{baseAddress.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                + (offerSubProtocol ? $"Sec-WebSocket-Protocol: {RealtimeProtocol.SubProtocol}\r\n" : string.Empty) + "\r\n";
            await client._stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken);
            var head = await client.ReadHttpHeadAsync(cancellationToken);
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The upgrade was refused: {head}");
            }

#pragma warning disable CA5350 // SHA-1 is what RFC 6455 prescribes for Sec-WebSocket-Accept; it protects nothing here.
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350
            if (!head.Contains($"Sec-WebSocket-Accept: {accept}\r\n", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Wrong or missing Sec-WebSocket-Accept (expected {accept}): {head}");
            }

            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Appends one frame to the pending bytes. <paramref name="rsv"/> sets the reserved bits (0 to 7, RSV1 first);
    /// <paramref name="claimedLength"/> writes a length header other than the payload's (the payload follows as given).
    /// </summary>
    public void AppendFrame(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = true, int rsv = 0, long? claimedLength = null)
    {
        var length = claimedLength ?? payload.Length;
        var header = _pending.GetSpan(14 + payload.Length);
        header[0] = (byte)((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0F));
        var maskBit = masked ? 0x80 : 0;
        int at;
        if (length is >= 0 and <= 125)
        {
            header[1] = (byte)(maskBit | (int)length);
            at = 2;
        }
        else if (length is > 125 and <= ushort.MaxValue)
        {
            header[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)length);
            at = 4;
        }
        else
        {
            header[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteInt64BigEndian(header[2..], length);
            at = 10;
        }

        Span<byte> mask = stackalloc byte[4];
        if (masked)
        {
            _random.NextBytes(mask);
            mask.CopyTo(header[at..]);
            at += 4;
        }

        var body = header.Slice(at, payload.Length);
        payload.CopyTo(body);
        if (masked)
        {
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= mask[i & 3];
            }
        }

        _pending.Advance(at + payload.Length);
    }

    /// <summary>Appends raw bytes (a hand-made header, garbage) to the pending bytes.</summary>
    public void AppendRaw(ReadOnlySpan<byte> bytes) => _pending.Write(bytes);

    /// <summary>Appends a close frame with a status and a reason.</summary>
    public void AppendClose(int status, string reason = "")
    {
        var payload = new byte[2 + Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)status);
        Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        AppendFrame(Close, payload);
    }

    /// <summary>Writes everything appended since the last flush in one write.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.WrittenCount > 0)
        {
            await _stream.WriteAsync(_pending.WrittenMemory, cancellationToken);
            _pending.ResetWrittenCount();
        }
    }

    /// <summary>
    /// Reads the next server frame (answering the server's pings on the way); <see langword="null"/> when the server
    /// closed or reset the TCP connection.
    /// </summary>
    public async Task<ServerFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await FillAsync(2, cancellationToken))
            {
                return null;
            }

            var b0 = _input[_inputStart];
            var b1 = _input[_inputStart + 1];
            if ((b1 & 0x80) != 0)
            {
                throw new InvalidDataException("The server sent a masked frame.");
            }

            var headerLength = (b1 & 0x7F) switch { 126 => 4, 127 => 10, _ => 2 };
            if (!await FillAsync(headerLength, cancellationToken))
            {
                return null;
            }

            long length = (b1 & 0x7F) switch
            {
                126 => BinaryPrimitives.ReadUInt16BigEndian(_input.AsSpan(_inputStart + 2)),
                127 => BinaryPrimitives.ReadInt64BigEndian(_input.AsSpan(_inputStart + 2)),
                var small => small,
            };
            if (length > 16 * 1024 * 1024)
            {
                throw new InvalidDataException($"The server sent a frame of {length} bytes.");
            }

            if (!await FillAsync(headerLength + (int)length, cancellationToken))
            {
                return null;
            }

            var payload = _input.AsSpan(_inputStart + headerLength, (int)length).ToArray();
            _inputStart += headerLength + (int)length;
            var frame = new ServerFrame((byte)(b0 & 0x0F), (b0 & 0x80) != 0, payload);
            if (frame.Opcode == Ping)
            {
                // The server's keep-alive: answer as a browser would, so a long run is not cut by the heartbeat timeout.
                AppendFrame(Pong, payload);
                await FlushAsync(cancellationToken);
                ServerPingsAnswered++;
                continue;
            }

            return frame;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private async Task<string> ReadHttpHeadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _input.AsSpan(_inputStart, _inputEnd - _inputStart).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(_input, _inputStart, end + 4);
                _inputStart += end + 4; // the bytes after the head are the first frames
                return head;
            }

            if (!await FillAsync(_inputEnd - _inputStart + 1, cancellationToken))
            {
                throw new IOException("The server closed the connection during the upgrade.");
            }
        }
    }

    /// <summary>Makes sure at least <paramref name="count"/> unread bytes are buffered; false at the end of the stream.</summary>
    private async Task<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_inputEnd - _inputStart >= count)
        {
            return true;
        }

        if (_input.Length - _inputStart < count)
        {
            var larger = _input.Length >= count ? _input : new byte[Math.Max(count, _input.Length * 2)];
            _input.AsSpan(_inputStart, _inputEnd - _inputStart).CopyTo(larger);
            _inputEnd -= _inputStart;
            _inputStart = 0;
            _input = larger;
        }

        while (_inputEnd - _inputStart < count)
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(_input.AsMemory(_inputEnd), cancellationToken);
            }
            catch (IOException ex) when (ex.InnerException is SocketException)
            {
                return false; // reset by the server: an abort
            }

            if (read == 0)
            {
                return false;
            }

            _inputEnd += read;
        }

        return true;
    }
}

/// <summary>One frame from the server.</summary>
internal sealed record ServerFrame(byte Opcode, bool Fin, byte[] Payload)
{
    /// <summary>Gets the close status of a close frame (1005 when it carries none).</summary>
    public int CloseStatus => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : 1005;

    /// <summary>Gets the close description of a close frame.</summary>
    public string CloseDescription => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : string.Empty;

    public string Text => Encoding.UTF8.GetString(Payload);
}
