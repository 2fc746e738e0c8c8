using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using RealtimeEvents.RabbitMQ.Internal;

namespace RealtimeEvents.RabbitMQ.EventLog;

/// <content>The connection loop: connect, make sure the stream exists, learn its epoch, tail it, reconnect with backoff.</content>
internal sealed partial class RabbitMqEventLog
{
    private const string OffsetArgument = "x-stream-offset";

    /// <summary>RabbitMQ's own largest message (<c>max_message_size</c>, 128 MiB): anything in the stream can be read.</summary>
    private const uint MaxInboundBodyBytes = 128u << 20;

    /// <summary>Reads of older events from the stream at once; more wait (each opens a channel and a consumer).</summary>
    private const int MaxConcurrentStreamReads = 4;

    /// <summary>A session that ends sooner than this after attaching counts as a failed attempt, so a flapping broker backs off.</summary>
    private static readonly TimeSpan StableSession = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries acknowledged together; below the prefetch, so the broker never runs out of credit.</summary>
    private readonly int _ackEvery;

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _syncs = new(StringComparer.Ordinal);
    private readonly Lock _syncGate = new();
    private long _syncRequests;
    private long _syncCovered;
    private Task? _runningSync;

    private string? _lastError;
    private int _failedAttempts;

    /// <summary>Gets a value indicating whether the node is attached to the stream and its connection is open.</summary>
    public bool IsConnected => Volatile.Read(ref _session) is not null;

    /// <summary>Gets why the node is not connected, or <see langword="null"/> when it is.</summary>
    public string? LastError => IsConnected ? null : Volatile.Read(ref _lastError) ?? "connecting";

    /// <summary>Gets how many connection attempts failed since the node was last attached (a lost connection counts as one).</summary>
    public int FailedAttempts => Volatile.Read(ref _failedAttempts);

    private async Task RunAsync()
    {
        var token = _disposing.Token;
        var attempt = 0;
        while (!token.IsCancellationRequested)
        {
            Session? session = null;
            var delay = TimeSpan.Zero;
            try
            {
                session = await ConnectAsync(token).ConfigureAwait(false);
                var attachedAt = _time.GetTimestamp();
                Volatile.Write(ref _lastError, null);
                Volatile.Write(ref _failedAttempts, 0);
                Volatile.Write(ref _session, session);
                SignalChanged();
                Log.Attached(_logger, _options.StreamName, Endpoint, CurrentPosition.Epoch, CurrentPosition);

                var reason = await session.Lost.Task.WaitAsync(token).ConfigureAwait(false);
                Volatile.Write(ref _lastError, reason);
                Volatile.Write(ref _failedAttempts, 1); // publishes fail at once from here until the node is back
                Log.ConnectionLost(_logger, _options.StreamName, CurrentPosition, reason);

                // Reconnect at once after a stable session; after one that ended soon, back off as after a failure.
                attempt = _time.GetElapsedTime(attachedAt) >= StableSession ? 0 : attempt + 1;
                delay = attempt == 0 ? TimeSpan.Zero : Backoff(attempt);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must survive every broker failure; each one is logged and retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                attempt++;
                Interlocked.Increment(ref _failedAttempts);
                var reason = Describe(ex);
                Volatile.Write(ref _lastError, reason);
                delay = Backoff(attempt);
                SignalChanged(); // publishes waiting for the first connection give up now rather than at their timeout
                Log.ConnectFailed(_logger, _options.StreamName, attempt, delay, reason, ex is EventLogUnavailableException or BrokerUnreachableException ? null : ex);
            }
            finally
            {
                if (session is not null)
                {
                    Interlocked.CompareExchange(ref _session, null, session);
                    lock (_gate)
                    {
                        if (_tail?.Session == session)
                        {
                            _tail = null;
                        }
                    }

                    await session.DisposeAsync().ConfigureAwait(false);
                    SignalChanged();
                }
            }

            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.MaxReconnectDelay.TotalMilliseconds,
            _options.MinReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20)));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (RandomNumberGenerator.GetInt32(1000) / 1000.0 * ceiling / 2));
    }

    private static string Describe(Exception ex) => ex switch
    {
        BrokerUnreachableException => "the broker is unreachable (" + (ex.InnerException?.Message ?? ex.Message) + ")",
        OperationInterruptedException interrupted when interrupted.ShutdownReason is { } reason =>
            string.Create(CultureInfo.InvariantCulture, $"the broker closed the channel: {reason.ReplyCode} {reason.ReplyText}"),
        _ => ex.Message,
    };

    /// <summary>Connects, makes sure the stream exists, finds its epoch and starts the tail; returns once the tail has its first message.</summary>
    private async Task<Session> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = await _factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        var session = new Session(connection, _options.ReadTimeout);
        try
        {
            connection.ConnectionShutdownAsync += (_, args) =>
            {
                session.MarkLost("the connection closed: " + args.ReplyText);
                return Task.CompletedTask;
            };
            await EnsureStreamAsync(connection, cancellationToken).ConfigureAwait(false);
            session.Publisher = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true,
                    outstandingPublisherConfirmationsRateLimiter: null), cancellationToken).ConfigureAwait(false);
            session.Publisher.ChannelShutdownAsync += (_, args) =>
            {
                session.MarkLost("the publishing channel closed: " + args.ReplyText); // reconnect: this node could not publish
                return Task.CompletedTask;
            };

            // A hello guarantees the stream holds a message after everything this node has seen, so the reads below end.
            var claim = NewId();
            await PublishMarkerAsync(session, EnvelopeKind.Hello, claim, cancellationToken).ConfigureAwait(false);
            var (epoch, helloAtZero, first) = await DetermineEpochAsync(connection, claim, cancellationToken).ConfigureAwait(false);
            if (!helloAtZero)
            {
                await PublishMarkerAsync(session, EnvelopeKind.Beacon, epoch, cancellationToken).ConfigureAwait(false);
            }

            object startAt;
            lock (_gate)
            {
                var resume = _attached && _epoch == epoch;
                _tail = new TailState(session, epoch, resume);
                _streamFirst = first;
                startAt = resume ? _lastTailOffset + 1 : "last";
            }

            session.Tail = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await session.Tail.BasicQosAsync(0, (ushort)_options.Prefetch, global: false, cancellationToken).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(session.Tail);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                try
                {
                    await OnTailDeliveryAsync(session, delivery).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Nothing may escape into the client's dispatcher; the session starts over from the last offset read.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    session.MarkLost("the tail failed on a message: " + ex.Message);
                }
            };
            consumer.UnregisteredAsync += (_, _) =>
            {
                session.MarkLost($"the broker cancelled the tail of stream '{_options.StreamName}' (was it deleted?)");
                return Task.CompletedTask;
            };
            consumer.ShutdownAsync += (_, args) =>
            {
                session.MarkLost("the tail's channel closed: " + args.ReplyText);
                return Task.CompletedTask;
            };
            await session.Tail.BasicConsumeAsync(_options.StreamName, autoAck: false, consumerTag: string.Empty, noLocal: false,
                exclusive: false, new Dictionary<string, object?> { [OffsetArgument] = startAt }, consumer, cancellationToken).ConfigureAwait(false);

            var lost = session.Lost.Task;
            var started = await Task.WhenAny(session.FirstTailDelivery.Task, lost).WaitAsync(_options.ReadTimeout, _time, cancellationToken).ConfigureAwait(false);
            if (started == lost)
            {
                throw new EventLogUnavailableException("Starting the tail failed: " + await lost.ConfigureAwait(false));
            }

            return session;
        }
        catch
        {
            lock (_gate)
            {
                if (_tail?.Session == session)
                {
                    _tail = null;
                }
            }

            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task EnsureStreamAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            // Passive first: an existing stream is used as it is, whatever retention it was created with.
            await channel.QueueDeclarePassiveAsync(_options.StreamName, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            // missing: create it below on a fresh channel (the failed declare closed this one)
            await CloseQuietlyAsync(channel).ConfigureAwait(false);
            await CreateStreamAsync(connection, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch
        {
            await CloseQuietlyAsync(channel).ConfigureAwait(false);
            throw;
        }

        try
        {
            // A queue of that name exists. Only a stream takes a consumer with a stream offset; check before writing to it,
            // so a classic queue of someone else's never gets this node's messages.
            await channel.BasicQosAsync(0, 1, global: false, cancellationToken).ConfigureAwait(false);
            var probe = new AsyncEventingBasicConsumer(channel);
            var tag = await channel.BasicConsumeAsync(_options.StreamName, autoAck: false, consumerTag: string.Empty, noLocal: false,
                exclusive: false, new Dictionary<string, object?> { [OffsetArgument] = "next" }, probe, cancellationToken).ConfigureAwait(false);
            await channel.BasicCancelAsync(tag, noWait: false, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 406)
        {
            throw new EventLogUnavailableException(NotAStream().Message + " (" + ex.ShutdownReason.ReplyText + ")", ex);
        }
        finally
        {
            await CloseQuietlyAsync(channel).ConfigureAwait(false);
        }
    }

    private async Task CreateStreamAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var arguments = new Dictionary<string, object?>
            {
                ["x-queue-type"] = "stream",
                ["x-max-length-bytes"] = _options.MaxLengthBytes,
                ["x-max-age"] = ((long)Math.Ceiling(_options.MaxAge.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s",
                ["x-stream-max-segment-size-bytes"] = _options.MaxSegmentSizeBytes,
            };
            await channel.QueueDeclareAsync(_options.StreamName, durable: true, exclusive: false, autoDelete: false, arguments,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.StreamCreated(_logger, _options.StreamName, _options.MaxLengthBytes, _options.MaxAge, _options.MaxSegmentSizeBytes);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 406)
        {
            throw new EventLogUnavailableException(
                $"A queue named '{_options.StreamName}' exists but is not a stream with these arguments ({ex.ShutdownReason.ReplyText}). Choose another StreamName or delete that queue.", ex);
        }
        finally
        {
            await CloseQuietlyAsync(channel).ConfigureAwait(false);
        }
    }

    private async Task PublishMarkerAsync(Session session, EnvelopeKind kind, string epoch, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            ContentType = StreamEnvelope.ContentType,
            Type = kind == EnvelopeKind.Hello ? StreamEnvelope.HelloType : StreamEnvelope.BeaconType,
            DeliveryMode = DeliveryModes.Persistent,
        };
        using var timeout = new CancellationTokenSource(_options.PublishTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        await session.PublishAsync(_options.StreamName, properties, StreamEnvelope.EncodeMarker(kind, epoch, _node))
            .AsTask().WaitAsync(linked.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes sure this node's tail has read everything the stream held when this was called: a beacon is published and
    /// read back. Callers share syncs: one runs at a time, and every caller that arrived while it ran is served by the
    /// next one, so a flood of such reads writes about one beacon per round trip, not one each.
    /// </summary>
    private async Task SyncWithStreamAsync(CancellationToken token, CancellationToken callerToken)
    {
        long ticket;
        lock (_syncGate)
        {
            ticket = ++_syncRequests;
        }

        while (true)
        {
            Task running;
            lock (_syncGate)
            {
                if (_syncCovered >= ticket)
                {
                    return;
                }

                if (_runningSync is not { IsCompleted: false })
                {
                    var covers = _syncRequests;
                    _runningSync = Task.Run(() => RunSyncAsync(covers));
                }

                running = _runningSync;
            }

            try
            {
                await running.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!callerToken.IsCancellationRequested)
            {
                throw Unavailable($"This node did not catch up with stream '{_options.StreamName}' within {_options.ReadTimeout}.", ex);
            }
        }
    }

    private async Task RunSyncAsync(long covers)
    {
        using var deadline = new CancellationTokenSource(_options.ReadTimeout, _time);
        var session = await WaitForSessionAsync(waitWhileReconnecting: true, deadline.Token, CancellationToken.None).ConfigureAwait(false)
            ?? throw Unavailable($"This node cannot catch up with stream '{_options.StreamName}': {NotConnectedReason()}");
        string epoch;
        lock (_gate)
        {
            epoch = _epoch;
        }

        var correlation = _node + "-sync-" + Interlocked.Increment(ref _publishCounter).ToString(CultureInfo.InvariantCulture);
        var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _syncs[correlation] = synced;
        try
        {
            var properties = new BasicProperties
            {
                ContentType = StreamEnvelope.ContentType,
                Type = StreamEnvelope.BeaconType,
                CorrelationId = correlation,
                DeliveryMode = DeliveryModes.Persistent,
            };
            await session.PublishAsync(_options.StreamName, properties, StreamEnvelope.EncodeMarker(EnvelopeKind.Beacon, epoch, _node))
                .AsTask().WaitAsync(deadline.Token).ConfigureAwait(false);
            await synced.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            throw Unavailable($"This node did not catch up with stream '{_options.StreamName}' within {_options.ReadTimeout}.", ex);
        }
        catch (Exception ex) when (ex is not EventLogUnavailableException)
        {
            throw Unavailable($"This node could not catch up with stream '{_options.StreamName}': {ex.Message}", ex);
        }
        finally
        {
            _syncs.TryRemove(correlation, out _);
        }

        lock (_syncGate)
        {
            _syncCovered = Math.Max(_syncCovered, covers);
        }
    }

    /// <summary>
    /// Reads from the stream's first retained message to the first one that names the epoch: a hello at offset 0 (the
    /// stream's first message ever), any event, or any beacon. Hellos after offset 0 are skipped. Reaching this node's
    /// own hello first means no retained message names an epoch, so the claim starts a new one.
    /// </summary>
    private async Task<(string Epoch, bool OwnHelloAtZero, long First)> DetermineEpochAsync(IConnection connection, string claim, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_options.ReadTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        (string Epoch, bool OwnHelloAtZero, long First)? found = null;
        long? first = null;
        string? firstHello = null;
        try
        {
            await ConsumeUntilAsync(connection, "first", 256, "Reading the stream's epoch", (offset, delivery) =>
            {
                first ??= offset;
                if (!StreamEnvelope.TryDecode(delivery.Body, out var envelope, out string? _))
                {
                    return false;
                }

                if (envelope!.Kind != EnvelopeKind.Hello)
                {
                    // At offset 0 only a hello counts: anything else there was written by a node that had not seen the
                    // stream recreated, and names the old epoch.
                    found = offset != 0 ? (envelope.Epoch, false, first.Value) : null;
                    return found is not null;
                }

                var own = envelope.Node == _node && envelope.Epoch == claim;
                firstHello ??= envelope.Epoch;
                if (offset == 0)
                {
                    found = (envelope.Epoch, own, first.Value);
                }
                else if (own)
                {
                    // Nothing retained before this node's hello names the epoch. Every node scanning now sees the same
                    // first hello, so its candidate is the one they all agree on.
                    found = (firstHello, false, first.Value);
                }

                return found is not null;
            }, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EventLogUnavailableException($"Reading the epoch of stream '{_options.StreamName}' took longer than {_options.ReadTimeout}.", ex);
        }

        return found!.Value;
    }

    /// <summary>
    /// Consumes the stream from <paramref name="offset"/> on a channel of its own until <paramref name="onMessage"/> returns
    /// true for a message (called in offset order, one at a time). A failure surfaces as an <see cref="EventLogUnavailableException"/>.
    /// </summary>
    private async Task ConsumeUntilAsync(IConnection connection, object offset, int prefetch, string what,
        Func<long, BasicDeliverEventArgs, bool> onMessage, CancellationToken token)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: token).ConfigureAwait(false);
        try
        {
            await channel.BasicQosAsync(0, (ushort)Math.Clamp(prefetch, _ackEvery + 1, ushort.MaxValue), global: false, token).ConfigureAwait(false);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var seen = 0;
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                if (done.Task.IsCompleted)
                {
                    return;
                }

                try
                {
                    if (!TryGetOffset(delivery.BasicProperties, out var at))
                    {
                        done.TrySetException(NotAStream());
                    }
                    else if (onMessage(at, delivery))
                    {
                        done.TrySetResult();
                    }
                    else if (++seen % _ackEvery == 0)
                    {
                        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true, CancellationToken.None).ConfigureAwait(false);
                    }
                }
#pragma warning disable CA1031 // Nothing may escape into the client's dispatcher; the read fails with the reason instead.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    done.TrySetException(new EventLogUnavailableException($"{what} from stream '{_options.StreamName}' failed on a message: {ex.Message}", ex));
                }
            };
            consumer.ShutdownAsync += (_, args) =>
            {
                done.TrySetException(new EventLogUnavailableException($"{what} from stream '{_options.StreamName}' failed: {args.ReplyText}"));
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(_options.StreamName, autoAck: false, consumerTag: string.Empty, noLocal: false, exclusive: false,
                new Dictionary<string, object?> { [OffsetArgument] = offset }, consumer, token).ConfigureAwait(false);
            await done.Task.WaitAsync(token).ConfigureAwait(false);
        }
        finally
        {
            await CloseQuietlyAsync(channel).ConfigureAwait(false);
        }
    }

    private async Task OnTailDeliveryAsync(Session session, BasicDeliverEventArgs delivery)
    {
        if (!TryGetOffset(delivery.BasicProperties, out var offset))
        {
            session.MarkLost(NotAStream().Message); // not acknowledged: closing the channel hands it back
            return;
        }

        var decoded = StreamEnvelope.TryDecode(delivery.Body, out var envelope, out var error);
        RealtimeEvent? evt = null;
        PendingAppend? pending = null;
        TaskCompletionSource? changed = null;
        string? foreignEpoch = null;
        string? previousEpoch = null;
        long? truncatedFrom = null;
        bool started;
        lock (_gate)
        {
            if (_tail is not { } tail || tail.Session != session)
            {
                return;
            }

            if (!tail.Started)
            {
                if (tail.Resume)
                {
                    if (offset > _lastTailOffset)
                    {
                        tail.Started = true;
                        if (offset > _lastTailOffset + 1)
                        {
                            // Retention ran while this node was away. The head moves past the hole, so readers after the
                            // old head read the stream, find it truncated and tell their subscribers.
                            truncatedFrom = _lastTailOffset + 1;
                            _window.Reset(offset - 1);
                            _head = Math.Max(_head, offset - 1);
                            _streamFirst = offset;
                            changed = _changed;
                            _changed = null;
                        }
                    }
                }
                else
                {
                    tail.Started = true;
                    previousEpoch = _attached && _epoch != tail.Epoch ? _epoch : null;
                    _epoch = tail.Epoch;
                    if (!_attached)
                    {
                        _attached = true;
                        _firstAttachEpoch = tail.Epoch;
                        _firstAttachBase = offset - 1;
                    }

                    _window.Reset(offset - 1);
                    _head = Math.Max(0, offset - 1);
                    _lastTailOffset = offset - 1;
                    changed = _changed;
                    _changed = null;
                }
            }

            if (tail.Started && offset > _lastTailOffset)
            {
                _lastTailOffset = offset;
                if (decoded && envelope!.Kind == EnvelopeKind.Event)
                {
                    if (delivery.BasicProperties.CorrelationId is { } correlation)
                    {
                        _pending.TryRemove(correlation, out pending);
                    }

                    if (offset == 0)
                    {
                        decoded = false; // sequence 0 means "before the first event"; offset 0 belongs to a node's hello
                        error = "an event at offset 0, where the stream's first hello belongs";
                    }
                    else
                    {
                        if (envelope.Epoch != _epoch)
                        {
                            foreignEpoch = envelope.Epoch;
                        }

                        try
                        {
                            evt = RealtimeEvent.Create(envelope.Draft!, envelope.Id!, envelope.Time, new EventPosition(_epoch, offset), pending?.Timestamp ?? 0);
                        }
                        catch (ArgumentException ex)
                        {
                            decoded = false;
                            error = "the event is invalid: " + ex.Message;
                        }

                        if (evt is not null)
                        {
                            _window.Add(evt, _time.GetUtcNow());
                            _head = offset;
                            changed ??= _changed;
                            _changed = null;
                        }
                    }
                }
            }

            started = tail.Started;
        }

        if (previousEpoch is not null)
        {
            Log.EpochChanged(_logger, _options.StreamName, CurrentPosition.Epoch, previousEpoch);
        }

        if (truncatedFrom is { } from)
        {
            Log.TruncatedWhileAway(_logger, _options.StreamName, from, offset - 1);
        }

        if (!decoded)
        {
            Log.UndecodableMessage(_logger, _options.StreamName, offset, error!);
        }
        else if (foreignEpoch is not null)
        {
            Log.ForeignEpoch(_logger, _options.StreamName, offset, foreignEpoch, CurrentPosition.Epoch);
        }

        changed?.TrySetResult();
        if (evt is not null)
        {
            pending?.Completion.TrySetResult(evt);
        }
        else
        {
            pending?.Completion.TrySetException(new EventLogUnavailableException(
                $"The event was stored at offset {offset} of stream '{_options.StreamName}' but cannot be delivered: {error}."));
        }

        if (started && delivery.BasicProperties.CorrelationId is { } syncId && _syncs.TryRemove(syncId, out var sync))
        {
            sync.TrySetResult();
        }

        if (started)
        {
            session.FirstTailDelivery.TrySetResult();
        }

        if (++session.Unacked >= _ackEvery)
        {
            session.Unacked = 0;
            await session.Tail!.BasicAckAsync(delivery.DeliveryTag, multiple: true, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the events after <c>plan.After</c> up to <c>plan.WindowFrom</c> (at most <paramref name="maxCount"/>) from the stream itself.</summary>
    private async ValueTask<StreamRead> ReadFromStreamAsync(StreamReadPlan plan, int maxCount, CancellationToken token, CancellationToken callerToken)
    {
        var session = await WaitForSessionAsync(waitWhileReconnecting: true, token, callerToken).ConfigureAwait(false)
            ?? throw Unavailable($"Events after {plan.Epoch}:{plan.After} are older than this node's memory and must be read from the stream, but {NotConnectedReason()}");
        var events = new List<RealtimeEvent>(Math.Min(maxCount, 1024));
        long? first = null;
        var last = plan.After;
        var aged = false;
        var ageFloor = _time.GetUtcNow() - _history.MaxAge;
        try
        {
            await _streamReads.WaitAsync(token).ConfigureAwait(false);
            try
            {
                await ConsumeUntilAsync(session.Connection, plan.After + 1, maxCount + _ackEvery, "Reading older events", (offset, delivery) =>
                {
                    first ??= offset;
                    if (offset <= plan.After)
                    {
                        return false; // the start of the chunk that holds the requested offset
                    }

                    last = offset;
                    if (offset <= plan.WindowFrom && offset > 0 && StreamEnvelope.TryDecode(delivery.Body, out var envelope, out string? _)
                        && envelope!.Kind == EnvelopeKind.Event)
                    {
                        // Offsets, not the envelope's epoch, place an event: the tail detects a recreated stream.
                        if (envelope.Time < ageFloor)
                        {
                            aged = true;
                        }
                        else
                        {
                            events.Add(RealtimeEvent.Create(envelope.Draft!, envelope.Id!, envelope.Time, new EventPosition(plan.Epoch, offset)));
                        }
                    }

                    return offset >= plan.WindowFrom || events.Count >= maxCount;
                }, token).ConfigureAwait(false);
            }
            finally
            {
                _streamReads.Release();
            }
        }
        catch (OperationCanceledException ex) when (!callerToken.IsCancellationRequested)
        {
            throw Unavailable($"Reading events after {plan.Epoch}:{plan.After} from stream '{_options.StreamName}' took longer than {_options.ReadTimeout}.", ex);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or EventLogUnavailableException))
        {
            throw Unavailable($"Reading events after {plan.Epoch}:{plan.After} from stream '{_options.StreamName}' failed: {ex.Message}", ex);
        }

        return new StreamRead(events, first ?? plan.After + 1, last, aged || first > plan.After + 1);
    }

    private static bool TryGetOffset(IReadOnlyBasicProperties properties, out long offset)
    {
        if (properties.Headers is { } headers && headers.TryGetValue(OffsetArgument, out var value) && value is long number)
        {
            offset = number;
            return true;
        }

        offset = 0;
        return false;
    }

    private EventLogUnavailableException NotAStream() =>
        new($"The queue '{_options.StreamName}' is not a stream queue. Choose another StreamName or delete that queue.");

    private static async Task CloseQuietlyAsync(IChannel channel)
    {
        try
        {
            if (channel.IsOpen)
            {
                await channel.CloseAsync().ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Closing a channel of a failed connection may throw anything; there is nothing left to do.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        channel.Dispose();
    }

    /// <summary>What a read from the stream found: events, the first offset the broker had, the last offset read, and whether events were missing.</summary>
    private sealed record StreamRead(List<RealtimeEvent> Events, long FirstOffset, long LastOffset, bool Truncated);

    /// <summary>Where the tail of one session starts: resuming after the last offset seen, or fresh at the stream's end.</summary>
    private sealed class TailState(Session session, string epoch, bool resume)
    {
        public Session Session { get; } = session;

        public string Epoch { get; } = epoch;

        public bool Resume { get; } = resume;

        public bool Started { get; set; }
    }

    /// <summary>One connection to the broker with its publishing channel and tail.</summary>
    private sealed class Session(IConnection connection, TimeSpan closeTimeout) : IAsyncDisposable
    {
        public IConnection Connection { get; } = connection;

        public IChannel? Publisher { get; set; }

        public IChannel? Tail { get; set; }

        public TaskCompletionSource<string> Lost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource FirstTailDelivery { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Tail deliveries since the last acknowledgement; touched only by the tail's (sequential) handler.</summary>
        public int Unacked { get; set; }

        public void MarkLost(string reason) => Lost.TrySetResult(reason);

        /// <summary>Publishes with a confirm. Not cancellable on purpose: callers bound the wait instead (see AppendCoreAsync).</summary>
        public ValueTask PublishAsync(string stream, BasicProperties properties, byte[] body) =>
            (Publisher ?? throw new InvalidOperationException("The session has no publishing channel yet."))
                .BasicPublishAsync(string.Empty, stream, mandatory: true, properties, body, CancellationToken.None);

        public async ValueTask DisposeAsync()
        {
            MarkLost("the session ended");
            try
            {
                await Connection.CloseAsync(Constants.ReplySuccess, "RealtimeEvents node closing", closeTimeout, abort: true).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The connection may already be gone; closing it is best effort.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            Connection.Dispose();
        }
    }
}
