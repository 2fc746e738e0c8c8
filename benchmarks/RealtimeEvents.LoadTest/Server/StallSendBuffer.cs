using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>
/// Kestrel connection middleware: a connection from the stall candidates' source address gets a small fixed socket
/// send buffer (<see cref="StallSource.ServerSendBufferBytes"/>), before any byte is sent; every other connection keeps
/// the kernel's autotuned one. The same in every scenario, so a stalled client backs up into every server alike.
/// </summary>
internal static class StallSendBuffer
{
    public static ConnectionDelegate Use(ConnectionDelegate next) => context =>
    {
        if (context.RemoteEndPoint is IPEndPoint remote && StallSource.IsStallSource(remote.Address)
            && context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
        {
            socket.SendBufferSize = StallSource.ServerSendBufferBytes;
        }

        return next(context);
    };
}
