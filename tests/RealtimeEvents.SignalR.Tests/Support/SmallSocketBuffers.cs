using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>Small socket buffers on both sides, so a client that stops reading backs up into the server's queues quickly.</summary>
public static class SmallSocketBuffers
{
    /// <summary>Gives Kestrel's accepted sockets an 8 KiB send buffer.</summary>
    public static void OnServer(WebApplicationBuilder builder) =>
        builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
        {
            var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            socket.SendBufferSize = 8 * 1024;
            return socket;
        });

    /// <summary>An invoker for <see cref="SignalRProtocolClient.ConnectAsync"/> whose socket has a 4 KiB receive buffer.</summary>
    public static HttpMessageInvoker ClientInvoker() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4 * 1024, NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });
}
