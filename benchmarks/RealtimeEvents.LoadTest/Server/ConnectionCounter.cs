
namespace RealtimeEvents.LoadTest.Server;

/// <summary>
/// Counts the client connections a scenario holds, the same way for every scenario: a request under the scenario's path
/// counts from when it enters until it ends, and a WebSocket, SSE or SignalR-over-WebSocket connection is one long
/// request. SignalR's <c>/negotiate</c> is not a connection.
/// </summary>
internal sealed class ConnectionCounter(PathString path)
{
    private int _connections;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Adds the counting middleware in front of the endpoints.</summary>
    public void UseIn(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Path.StartsWithSegments(path, out var rest) || rest.StartsWithSegments("/negotiate"))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _connections);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    });
}
