using System.Net;
using System.Net.Sockets;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>
/// One <see cref="SocketsHttpHandler"/> per loopback source address 127.0.0.1 .. 127.0.0.K, whose sockets bind to that
/// address before connecting, so the connections of one process spread over K × the ephemeral port range; and one more
/// handler for the clients `stall` adds, whose sockets connect from their own address,
/// <see cref="StallSource.Address"/> (127.0.0.254), with a small fixed receive buffer. The client's receive buffer alone
/// is not enough: the server socket's send buffer autotunes up to tcp_wmem's max (about 4 MB), so the server process
/// gives connections from that address a small fixed send buffer too (Server/StallSendBuffer.cs), in every scenario.
/// </summary>
internal sealed class SourceAddressHandlers : IDisposable
{
    // Linux IP_BIND_ADDRESS_NO_PORT (SOL_IP = 0): pick the port at connect time, by the whole 4-tuple, not at bind.
    private const int SolIp = 0;
    private const int IpBindAddressNoPort = 24;

    /// <summary>
    /// A stall candidate's socket receive buffer: small and fixed (no autotuning). With the server's small send buffer for
    /// the same connections, a stalled client's backlog reaches the server's code after some tens of kilobytes.
    /// </summary>
    private const int StallCandidateReceiveBuffer = 8 * 1024;

    private readonly SocketsHttpHandler[] _handlers;
    private readonly HttpMessageInvoker[] _invokers;
    private readonly HttpClient[] _clients;
    private readonly int _regularClients;

    /// <param name="count">Source addresses 127.0.0.1 .. 127.0.0.<paramref name="count"/> (at most <see cref="StallSource.MaxSourceAddresses"/>).</param>
    /// <param name="regularClients">Clients 0 .. N-1 are the measured ones; clients from N on (the ones <c>stall</c> adds) connect through the extra handler (the last one): from 127.0.0.254, with a small receive buffer.</param>
    public SourceAddressHandlers(int count, int regularClients)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, StallSource.MaxSourceAddresses);
        _regularClients = regularClients;
        _handlers = new SocketsHttpHandler[count + 1];
        _invokers = new HttpMessageInvoker[count + 1];
        _clients = new HttpClient[count + 1];
        for (var i = 0; i <= count; i++)
        {
            var source = i == count ? StallSource.Address : new IPAddress(new byte[] { 127, 0, 0, (byte)(i + 1) });
            int? receiveBuffer = i == count ? StallCandidateReceiveBuffer : null;
            _handlers[i] = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = int.MaxValue,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                UseProxy = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                ConnectCallback = (context, cancellationToken) => ConnectAsync(source, receiveBuffer, context.DnsEndPoint, cancellationToken),
            };
            _invokers[i] = new HttpMessageInvoker(_handlers[i], disposeHandler: false);
            _clients[i] = new HttpClient(_handlers[i], disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    /// <summary>The invoker for a client's WebSocket: the stall source's one for a client added by stall, else round-robin by index.</summary>
    public HttpMessageInvoker Invoker(int clientIndex) => _invokers[HandlerIndex(clientIndex)];

    /// <summary>The HTTP client for a client (the same handler as <see cref="Invoker"/>).</summary>
    public HttpClient Client(int clientIndex) => _clients[HandlerIndex(clientIndex)];

    private int HandlerIndex(int clientIndex) =>
        clientIndex >= _regularClients ? _handlers.Length - 1 : clientIndex % (_handlers.Length - 1);

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var invoker in _invokers)
        {
            invoker.Dispose();
        }

        foreach (var handler in _handlers)
        {
            handler.Dispose();
        }
    }

    private static async ValueTask<Stream> ConnectAsync(IPAddress source, int? receiveBuffer, DnsEndPoint target, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (receiveBuffer is { } size)
            {
                socket.ReceiveBufferSize = size; // before connect, so the window is small from the handshake on
            }

            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
            }

            socket.Bind(new IPEndPoint(source, 0));
            EndPoint endPoint = IPAddress.TryParse(target.Host, out var address) ? new IPEndPoint(address, target.Port) : target;
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
