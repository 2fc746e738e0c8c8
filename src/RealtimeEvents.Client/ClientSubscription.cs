using System.Threading.Channels;
using RealtimeEvents.Client.Internal;

namespace RealtimeEvents.Client;

/// <summary>
/// A subscription of a <see cref="RealtimeEventsClient"/>: its items (events in log order, gap notices, snapshots, and the end)
/// in a bounded queue, kept across reconnects. Read it with <see cref="Reader"/> or <see cref="ReadAllAsync"/>.
/// </summary>
public sealed class ClientSubscription : IAsyncDisposable
{
    private readonly RealtimeEventsClient _client;
    private readonly Lock _gate = new();
    private EventPosition? _lastPosition;
    private ResumeStatus? _lastResume;
    private IReadOnlyList<EventSnapshot> _snapshots = [];

    internal ClientSubscription(RealtimeEventsClient client, string id, SubscriptionRequest request, int capacity)
    {
        _client = client;
        Id = id;
        Request = request;
        Queue = new ClientItemQueue(capacity);
    }

    /// <summary>Gets the subscription's id on the connection: the request's <see cref="SubscriptionRequest.Id"/>, or a generated one.</summary>
    public string Id { get; }

    /// <summary>
    /// Gets the resume point: the position of the last event received, or before the first one the position the server said the
    /// subscription starts at. A reconnect resubscribes with it as <see cref="SubscriptionRequest.ResumeAfter"/>.
    /// </summary>
    public EventPosition? LastPosition
    {
        get
        {
            lock (_gate)
            {
                return _lastPosition;
            }
        }
    }

    /// <summary>Gets how the last (re)subscribe's resume went; <see langword="null"/> when it asked for no resume.</summary>
    public ResumeStatus? LastResume
    {
        get
        {
            lock (_gate)
            {
                return _lastResume;
            }
        }
    }

    /// <summary>Gets the snapshots of the last <c>subscribed</c> that carried any (they are also queued as snapshot items).</summary>
    public IReadOnlyList<EventSnapshot> Snapshots
    {
        get
        {
            lock (_gate)
            {
                return _snapshots;
            }
        }
    }

    /// <summary>Gets the reader of the subscription's items. The last item is <see cref="SubscriptionItemKind.Ended"/>.</summary>
    public ChannelReader<SubscriptionItem> Reader => Queue;

    internal SubscriptionRequest Request { get; }

    internal ClientItemQueue Queue { get; }

    /// <summary>Completes when the server first confirmed the subscription, or fails with the reason it was refused.</summary>
    internal TaskCompletionSource Confirmed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the server answered the client's unsubscribe.</summary>
    internal TaskCompletionSource UnsubscribeAnswered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets or sets the connection that last confirmed the subscription (for the resume point of a 1001 close).</summary>
    internal ClientConnection? ConfirmedOn { get; set; }

    internal bool Unsubscribing { get; set; }

    internal bool HasEvent { get; private set; }

    /// <summary>Reads every item until the subscription ends.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The items, in order.</returns>
    public IAsyncEnumerable<SubscriptionItem> ReadAllAsync(CancellationToken cancellationToken = default) => Queue.ReadAllAsync(cancellationToken);

    /// <summary>Ends the subscription: tells the server (when connected) and waits for its answer, then queues the end item.</summary>
    /// <param name="cancellationToken">Stops waiting for the server's answer; the subscription ends locally anyway.</param>
    /// <returns>A task that completes when the subscription has ended.</returns>
    public ValueTask UnsubscribeAsync(CancellationToken cancellationToken = default) => _client.UnsubscribeAsync(this, cancellationToken);

    /// <summary>Ends the subscription, as <see cref="UnsubscribeAsync"/> does.</summary>
    /// <returns>A task that completes when the subscription has ended.</returns>
    public ValueTask DisposeAsync() => UnsubscribeAsync(CancellationToken.None);

    /// <summary>Whether <paramref name="evt"/> is new: after the last position (or of another epoch). Records it when it is.</summary>
    internal bool TryAdvance(RealtimeEvent evt, out EventPosition last)
    {
        lock (_gate)
        {
            last = _lastPosition ?? default;
            if (_lastPosition is { } position && position.Epoch == evt.Epoch && evt.Sequence <= position.Sequence)
            {
                return false;
            }

            _lastPosition = evt.Position;
            HasEvent = true;
            return true;
        }
    }

    internal void OnSubscribed(SubscribedMessage message, ClientConnection connection)
    {
        lock (_gate)
        {
            _lastResume = message.Resume;
            if (message.Snapshots.Count > 0)
            {
                _snapshots = message.Snapshots;
                _lastPosition = message.Position;
            }
            else
            {
                _lastPosition ??= message.Position;
            }

            ConfirmedOn = connection;
        }
    }

    /// <summary>Moves the resume point to a 1001 close's position when that is later (or of the server's newer epoch).</summary>
    internal void OnGoingAway(EventPosition position)
    {
        lock (_gate)
        {
            if (_lastPosition is not { } last || last.Epoch != position.Epoch || last.Sequence < position.Sequence)
            {
                _lastPosition = position;
            }
        }
    }

    /// <summary>The position and snapshot flag of the next subscribe: a snapshot subscription without events asks for a new snapshot.</summary>
    internal (EventPosition? ResumeAfter, bool Snapshot) NextSubscribe()
    {
        lock (_gate)
        {
            return Request.Snapshot && !HasEvent ? (null, true) : (_lastPosition ?? Request.ResumeAfter, false);
        }
    }
}
