using System.Diagnostics;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>
/// Counts the client connections a scenario holds, the same way for every scenario: a request under the scenario's path
/// counts from when it enters until it ends, and a WebSocket, SSE or SignalR-over-WebSocket connection is one long
/// request. SignalR's <c>/negotiate</c> is not a connection. Connections from the stall candidates' source address
/// (<see cref="StallSource"/>) are also counted apart, with the time the last of them ended (the server dropped it).
/// </summary>
internal sealed class ConnectionCounter(PathString path)
{
    private int _connections;
    private int _stallSourceConnections;
    private long _stallSourceLastEnded;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connections from the stall candidates' source address held now.</summary>
    public int StallSourceConnections => Volatile.Read(ref _stallSourceConnections);

    /// <summary>When the last connection from the stall candidates' source address ended (<see cref="Stopwatch"/> ticks; 0: none yet).</summary>
    public long StallSourceLastEnded => Volatile.Read(ref _stallSourceLastEnded);

    /// <summary>Adds the counting middleware in front of the endpoints.</summary>
    public void UseIn(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Path.StartsWithSegments(path, out var rest) || rest.StartsWithSegments("/negotiate"))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var stallSource = StallSource.IsStallSource(context.Connection.RemoteIpAddress);
        Interlocked.Increment(ref _connections);
        if (stallSource)
        {
            Interlocked.Increment(ref _stallSourceConnections);
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            if (stallSource)
            {
                Volatile.Write(ref _stallSourceLastEnded, Stopwatch.GetTimestamp());
                Interlocked.Decrement(ref _stallSourceConnections);
            }
        }
    });
}
