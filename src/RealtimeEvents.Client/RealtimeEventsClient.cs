using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeEvents.Client.Internal;

namespace RealtimeEvents.Client;

/// <summary>
/// A .NET client of a RealtimeEvents WebSocket endpoint (<c>MapRealtimeEvents</c>). It connects on the first
/// <see cref="SubscribeAsync"/>, reconnects with exponential backoff and full jitter, and resubscribes every subscription from
/// its last position, so events arrive in order, without duplicates, and every gap is told in-band.
/// </summary>
public sealed partial class RealtimeEventsClient : IAsyncDisposable
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly RealtimeEventsClientOptions _options;
    private readonly ILogger _logger;
    private readonly ReconnectPolicy _policy;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ClientSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private ConnectionState _state = ConnectionState.Offline;
    private ClientConnection? _connection;
    private EventPosition? _lastPosition;
    private Task? _loop;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _attempt;
    private long _nextId;
    private bool _disposed;

    /// <summary>Creates a client. Nothing connects until the first <see cref="SubscribeAsync"/> or <see cref="ReconnectAsync"/>.</summary>
    /// <param name="options">The options.</param>
    /// <param name="logger">The logger, if any.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message names every problem.</exception>
    public RealtimeEventsClient(RealtimeEventsClientOptions options, ILogger<RealtimeEventsClient>? logger = null)
    {
        ClientOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _policy = new ReconnectPolicy(options.Reconnect, options.Random ?? System.Random.Shared.NextDouble);
    }

    /// <summary>Creates a client from options configured in dependency injection.</summary>
    /// <param name="options">The options.</param>
    /// <param name="logger">The logger, if any.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message names every problem.</exception>
    public RealtimeEventsClient(IOptions<RealtimeEventsClientOptions> options, ILogger<RealtimeEventsClient>? logger = null)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value, logger)
    {
    }

    /// <summary>Raised when <see cref="State"/> changes, on the thread that changed it; keep handlers short and do not throw.</summary>
    public event EventHandler<ConnectionStateChange>? StateChanged;

    /// <summary>Gets the connection's state. It is <see cref="ConnectionState.Offline"/> before the first subscribe.</summary>
    public ConnectionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Gets the id the server gave the current connection (as in its welcome); <see langword="null"/> when not connected.</summary>
    public string? ConnectionId
    {
        get
        {
            lock (_gate)
            {
                return _connection?.Id;
            }
        }
    }

    /// <summary>Gets the position of the last event received on any subscription.</summary>
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

    /// <summary>
    /// Subscribes, connecting first when needed. Completes when the server confirmed the subscription; read its items from
    /// the returned <see cref="ClientSubscription"/>. After a reconnect the subscription resumes from its last position.
    /// </summary>
    /// <param name="request">What to subscribe to. Its <see cref="SubscriptionRequest.Id"/> must be unique on the client; generated when omitted.</param>
    /// <param name="cancellationToken">Stops waiting; the subscription is then removed.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="ArgumentException">The request is invalid, or its id is already in use on this client.</exception>
    /// <exception cref="RealtimeEventsClientException">The server refused it (<see cref="RealtimeEventsClientException.Code"/> is the protocol error code), or the client went offline.</exception>
    public async Task<ClientSubscription> SubscribeAsync(SubscriptionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.TryToFilter(out _, out var error))
        {
            throw new ArgumentException(error, nameof(request));
        }

        ClientSubscription subscription;
        ClientConnection? connection;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var id = request.Id ?? "s-" + (++_nextId).ToString(CultureInfo.InvariantCulture);
            if (_subscriptions.ContainsKey(id))
            {
                throw new ArgumentException($"This client already has a subscription '{id}'.", nameof(request));
            }

            subscription = new ClientSubscription(this, id, request, _options.QueueCapacity);
            _subscriptions.Add(id, subscription);
            connection = _connection;
            EnsureRunning();
        }

        if (connection is not null)
        {
            await TrySendSubscribeAsync(connection, subscription).ConfigureAwait(false);
        }

        try
        {
            await subscription.Confirmed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return subscription;
        }
        catch (OperationCanceledException)
        {
            await subscription.UnsubscribeAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Connects again now when <see cref="ConnectionState.Offline"/> or waiting to reconnect, with a fresh attempt count;
    /// otherwise does nothing.
    /// </summary>
    /// <returns>A task that completes when the attempt was started.</returns>
    public Task ReconnectAsync()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _attempt = 0;
            EnsureRunning();
            _wake.TrySetResult();
        }

        return Task.CompletedTask;
    }

    /// <summary>Closes the connection (status 1000) and ends every subscription. Waits for the close at most a few seconds.</summary>
    /// <returns>A task that completes when the client has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        ClientConnection? connection;
        Task? loop;
        List<ClientSubscription> subscriptions;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connection = _connection;
            loop = _loop;
            subscriptions = [.. _subscriptions.Values];
            _subscriptions.Clear();
        }

        if (connection is not null && loop is not null)
        {
            // The receive loop ends when the server answers the close; bounded, then everything is cancelled.
            await connection.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "Closed by the client.", CloseTimeout).ConfigureAwait(false);
            await WaitBoundedAsync(loop).ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (loop is not null)
        {
            await WaitBoundedAsync(loop).ConfigureAwait(false);
        }

        foreach (var subscription in subscriptions)
        {
            subscription.Confirmed.TrySetException(new RealtimeEventsClientException(
                RealtimeEventsClientException.ClientClosed, "The client was disposed before the server confirmed the subscription."));
            subscription.UnsubscribeAnswered.TrySetResult();
            subscription.Queue.Complete(SubscriptionEndReason.Unsubscribed);
        }

        SetState(ConnectionState.Closed, null, "The client was disposed.");
        _stopping.Dispose();
    }

    private async Task WaitBoundedAsync(Task task)
    {
        using var timeout = new CancellationTokenSource(CloseTimeout, _options.TimeProvider);
        await Task.WhenAny(task, Task.Delay(Timeout.InfiniteTimeSpan, timeout.Token)).ConfigureAwait(false);
    }

    internal async ValueTask UnsubscribeAsync(ClientSubscription subscription, CancellationToken cancellationToken)
    {
        ClientConnection? connection;
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(subscription.Id, out var current) || current != subscription || subscription.Unsubscribing)
            {
                connection = null;
            }
            else
            {
                subscription.Unsubscribing = true;
                connection = subscription.ConfirmedOn == _connection ? _connection : null;
            }
        }

        if (connection is not null)
        {
            try
            {
                await connection.SendAsync(ClientMessageWriter.Unsubscribe(subscription.Id), cancellationToken).ConfigureAwait(false);
                await subscription.UnsubscribeAnswered.Task.WaitAsync(CloseTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or WebSocketException or IOException or ObjectDisposedException)
            {
                // The subscription ends locally anyway; the server forgets it when the connection goes.
            }
        }

        EndSubscription(subscription, SubscriptionEndReason.Unsubscribed);
    }

    private void EndSubscription(ClientSubscription subscription, SubscriptionEndReason reason)
    {
        lock (_gate)
        {
            if (_subscriptions.TryGetValue(subscription.Id, out var current) && current == subscription)
            {
                _subscriptions.Remove(subscription.Id);
            }
        }

        subscription.Confirmed.TrySetException(new RealtimeEventsClientException(
            RealtimeEventsClientException.ClientClosed, "The subscription ended before the server confirmed it."));
        subscription.UnsubscribeAnswered.TrySetResult();
        subscription.Queue.Complete(reason);
        Log.SubscriptionEnded(_logger, subscription.Id, reason);
    }

    private void SetState(ConnectionState state, TimeSpan? delay, string? reason)
    {
        ConnectionStateChange change;
        lock (_gate)
        {
            if (_state == state && delay is null)
            {
                return;
            }

            change = new ConnectionStateChange(state, _state, _attempt, delay, reason, _lastPosition);
            _state = state;
        }

        StateChanged?.Invoke(this, change);
    }
}
