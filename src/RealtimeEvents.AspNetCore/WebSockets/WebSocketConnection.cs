using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>
/// One WebSocket client: a receive loop that handles its messages, and one send loop (the only writer) that sends
/// replies first, then drains the connection's subscriptions in batches, one frame and one flush per batch.
/// </summary>
/// <remarks>
/// Replies (<c>subscribed</c>, <c>error</c>, <c>pong</c>...) wait in a small queue and are always sent before the next
/// data message, so <c>subscribed</c> precedes the subscription's first event and <c>unsubscribed</c> follows its last.
/// A stalled client blocks only its own send loop; its subscriptions' bounded queues drop the oldest and tell it so.
/// </remarks>
internal sealed partial class WebSocketConnection : RealtimeConnection
{
    private const int InitialReceiveBuffer = 4096;
    private const int MaxFragmentsPerMessage = 64;
    private const int MaxPendingReplies = 256;

    private readonly WebSocket _socket;
    private readonly HttpContext _http;
    private readonly TokenBucketRateLimiter _rateLimiter;
    private readonly ConcurrentQueue<byte[]> _replies = new();
    private readonly PooledBufferWriter _output = new();
    private readonly List<RealtimeEvent> _batch = [];
    private EventPosition? _flushedThrough;
    private int _pendingReplies;
    private int _violations;

    public WebSocketConnection(WebSocket socket, HttpContext http, ConnectionManager manager)
        : base("websocket", http.User, http.Connection.RemoteIpAddress?.ToString(), manager)
    {
        _socket = socket;
        _http = http;
        _rateLimiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Options.MessageBurst,
            TokensPerPeriod = Options.MessagesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = false, // refilled from the node's timer (OnTick), not a timer per connection
        });
    }

    /// <summary>Runs the connection until it closes; <paramref name="initial"/> is a route-bound subscription made before the upgrade.</summary>
    public async Task RunAsync(ISubscription? initial)
    {
        EnqueueReply(buffer => ServerMessages.Welcome(buffer, Id, Manager.Broadcaster.CurrentPosition, Options));
        if (initial is not null)
        {
            EnqueueReply(buffer => ServerMessages.Subscribed(buffer, initial));
            Subscriptions.TryAdd(initial);
        }

        var sending = SendLoopAsync();
        try
        {
            await ReceiveLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            Close(WebSocketCloseStatus.NormalClosure, "Closing.", flush: false); // no-op when a close is already under way
            await sending.ConfigureAwait(false);
            _rateLimiter.Dispose();
            Finish();
        }
    }

    public override void OnTick()
    {
        _rateLimiter.TryReplenish(); // adds a second's worth once a second has passed; otherwise does nothing
        base.OnTick();
    }
}
