using System.Net.WebSockets;
using RealtimeEvents.Client.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.Client;

/// <summary>The connection loop: connect, resubscribe, receive until the connection ends, back off, again.</summary>
public sealed partial class RealtimeEventsClient
{
    /// <summary>Starts the loop if it is not running, or wakes it when it waits offline. Called under the lock.</summary>
    private void EnsureRunning()
    {
        if (_loop is null)
        {
            _state = ConnectionState.Connecting;
            _loop = Task.Run(() => RunAsync(_stopping.Token));
        }
        else
        {
            _wake.TrySetResult();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        StateChanged?.Invoke(this, new ConnectionStateChange(ConnectionState.Connecting, ConnectionState.Offline, 0, null, null, LastPosition));
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                var connection = await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
                var openedAt = _options.TimeProvider.GetTimestamp();
                var close = await ServeAsync(connection, cancellationToken).ConfigureAwait(false);
                reason = close.Reason;
                if (_options.TimeProvider.GetElapsedTime(openedAt) >= _policy.StableAfter)
                {
                    lock (_gate)
                    {
                        _attempt = 0;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ConnectRefusedException ex)
            {
                // A token or permission the server refuses: retrying with the same one cannot help.
                await GoOfflineAsync(ex.Code, ex.Message, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (ProtocolMismatchException ex)
            {
                // Reconnecting cannot help: stay offline until the application asks again.
                await GoOfflineAsync(ProtocolErrorCodes.UnsupportedProtocol, ex.Message, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or TimeoutException or HttpRequestException or OperationCanceledException)
            {
                reason = ex.Message;
                Log.ConnectFailed(_logger, _options.Endpoint!, ex.Message, ex);
            }

            if (cancellationToken.IsCancellationRequested || IsDisposed)
            {
                return;
            }

            TimeSpan delay;
            Task wake;
            lock (_gate)
            {
                if (_attempt >= _policy.MaxAttempts)
                {
                    delay = TimeSpan.MinValue;
                    wake = Task.CompletedTask;
                }
                else
                {
                    delay = _policy.Delay(_attempt);
                    _attempt++;
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wake = _wake.Task;
                }
            }

            if (delay == TimeSpan.MinValue)
            {
                await GoOfflineAsync(RealtimeEventsClientException.ConnectFailed,
                    $"Gave up after {_policy.MaxAttempts} reconnect attempts: {reason}", cancellationToken).ConfigureAwait(false);
                continue;
            }

            // The timer exists before the state change is announced, so a test clock can be advanced as soon as it is seen.
            var wait = Task.Delay(delay, _options.TimeProvider, cancellationToken);
            Log.Reconnecting(_logger, _attempt, delay);
            SetState(ConnectionState.Reconnecting, delay, reason);
            try
            {
                await Task.WhenAny(wait, wake).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _disposed;
            }
        }
    }

    private async Task<ClientConnection> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        var uri = await BuildUriAsync(cancellationToken).ConfigureAwait(false);
        return await ClientConnection.ConnectAsync(uri, _options, _logger, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Uri> BuildUriAsync(CancellationToken cancellationToken)
    {
        var endpoint = _options.Endpoint!;
        var builder = new UriBuilder(endpoint)
        {
            Scheme = endpoint.Scheme switch { "https" or "wss" => "wss", _ => "ws" },
            Path = endpoint.AbsolutePath.TrimEnd('/') + "/ws",
        };
        if (_options.AccessTokenProvider is { } provider
            && await provider(cancellationToken).ConfigureAwait(false) is { Length: > 0 } token)
        {
            var query = builder.Query.TrimStart('?');
            builder.Query = (query.Length > 0 ? query + "&" : string.Empty) + "access_token=" + Uri.EscapeDataString(token);
        }

        return builder.Uri;
    }

    /// <summary>Makes the connection current, resubscribes, and runs its receive loop until it ends.</summary>
    private async Task<CloseInfo> ServeAsync(ClientConnection connection, CancellationToken cancellationToken)
    {
        await using var _ = connection.ConfigureAwait(false);
        List<ClientSubscription> subscriptions;
        lock (_gate)
        {
            if (_disposed)
            {
                return new CloseInfo(null, null, "the client was disposed");
            }

            _connection = connection;
            subscriptions = [.. _subscriptions.Values.Where(s => !s.Unsubscribing)];
        }

        Log.Connected(_logger, _options.Endpoint!, connection.Id, connection.Welcome.Position);
        SetState(ConnectionState.Open, null, null);
        var receive = connection.ReceiveLoopAsync(message => HandleAsync(connection, message, cancellationToken), cancellationToken);
        foreach (var subscription in subscriptions)
        {
            await TrySendSubscribeAsync(connection, subscription).ConfigureAwait(false);
        }

        var close = await receive.ConfigureAwait(false);
        lock (_gate)
        {
            _connection = null;
            subscriptions = [.. _subscriptions.Values.Where(s => s.ConfirmedOn == connection)];
        }

        if (close.GoingAwayPosition is { } position)
        {
            foreach (var subscription in subscriptions)
            {
                subscription.OnGoingAway(position);
            }
        }

        Log.ConnectionEnded(_logger, connection.Id, close.Reason);
        return close;
    }

    private async ValueTask TrySendSubscribeAsync(ClientConnection connection, ClientSubscription subscription)
    {
        var (resumeAfter, snapshot) = subscription.NextSubscribe();
        try
        {
            await connection.SendAsync(ClientMessageWriter.Subscribe(subscription.Id, subscription.Request, resumeAfter, snapshot), _stopping.Token)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The connection is failing; its receive loop ends, and the next connection subscribes again.
            connection.Abort();
        }
    }

    /// <summary>Goes offline: fails the subscriptions the server never confirmed, then waits until asked to connect again.</summary>
    private async Task GoOfflineAsync(string code, string reason, CancellationToken cancellationToken)
    {
        Log.Offline(_logger, reason);
        List<ClientSubscription> unconfirmed;
        Task wake;
        lock (_gate)
        {
            unconfirmed = [.. _subscriptions.Values.Where(s => !s.Confirmed.Task.IsCompleted)];
            foreach (var subscription in unconfirmed)
            {
                _subscriptions.Remove(subscription.Id);
            }

            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wake = _wake.Task;
        }

        foreach (var subscription in unconfirmed)
        {
            subscription.Confirmed.TrySetException(new RealtimeEventsClientException(code, reason));
            subscription.Queue.Complete(SubscriptionEndReason.Failed);
        }

        SetState(ConnectionState.Offline, null, reason);
        await wake.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _attempt = 0;
        }

        SetState(ConnectionState.Connecting, null, null);
    }
}
