using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RealtimeEvents.RabbitMQ.Internal;

namespace RealtimeEvents.RabbitMQ.EventLog;

/// <summary>
/// The distributed event log: every node appends to and tails one RabbitMQ stream queue, so an event's sequence is its
/// stream offset and means the same on every node. Each node keeps the newest events in memory (bounded by
/// <see cref="EventHistoryOptions"/>) and reads older positions from the stream itself.
/// </summary>
/// <remarks>
/// <para>
/// Positions: the broker assigns offsets, so an append publishes with a confirm and completes when this node's tail reads
/// the event back with its offset. Offsets also count the small markers nodes write when they attach, so sequences
/// increase but may skip.
/// </para>
/// <para>
/// Epoch: the stream's first message (a node's hello at offset 0) names the epoch; every event and every later attach
/// (a beacon) restates it, so a node attaching after retention deleted offset 0 still finds it. A stream deleted and
/// created again starts a new epoch, and resumes from the old one report <see cref="ResumeStatus.EpochChanged"/>.
/// </para>
/// <para>
/// Until the first attach the log reports a provisional epoch at sequence 0; the dispatcher's reads from it map to the
/// first attach point, so nothing published after the node attached is missed.
/// </para>
/// </remarks>
internal sealed partial class RabbitMqEventLog : IEventLog, IAsyncDisposable, IDisposable
{
    private readonly RabbitMqEventLogOptions _options;
    private readonly EventHistoryOptions _history;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConnectionFactory _factory;
    private readonly string _node = NewId();
    private readonly string _provisionalEpoch = NewId();
    private readonly Lock _gate = new();
    private readonly EventWindow _window;
    private readonly ConcurrentDictionary<string, PendingAppend> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _publishSlots;
    private readonly SemaphoreSlim _blockingSlots = new(MaxBlockingTryAppends, MaxBlockingTryAppends);
    private readonly SemaphoreSlim _streamReads = new(MaxConcurrentStreamReads, MaxConcurrentStreamReads);
    private readonly CancellationTokenSource _disposing = new();
    private readonly Task _loop;

    // Guarded by _gate.
    private string _epoch;
    private bool _attached;
    private string? _firstAttachEpoch;
    private long _firstAttachBase;
    private long _head;
    private long _lastTailOffset = -1;
    private long _streamFirst;
    private TailState? _tail;
    private TaskCompletionSource? _changed;

    private Session? _session;
    private long _publishCounter;
    private int _disposed;

    /// <summary>
    /// <see cref="TryAppend"/> calls blocked on the broker at once; more return false. Each blocks a thread, and the
    /// read-back it waits for needs thread-pool threads too, so an unbounded number would starve the pool.
    /// </summary>
    internal const int MaxBlockingTryAppends = 16;

    public RabbitMqEventLog(RabbitMqEventLogOptions options, EventHistoryOptions history, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrEmpty(options.ConnectionString);
        _options = options;
        _history = history;
        _time = time;
        _logger = logger;
        _epoch = _provisionalEpoch;
        _window = new EventWindow(history);
        _publishSlots = new SemaphoreSlim(options.MaxPendingPublishes, options.MaxPendingPublishes);
        _factory = new ConnectionFactory
        {
            Uri = new Uri(options.ConnectionString),
            AutomaticRecoveryEnabled = false, // the log reconnects itself, resuming its tail at the next offset
            TopologyRecoveryEnabled = false,
            ClientProvidedName = options.ConnectionName ?? "RealtimeEvents on " + Environment.MachineName,
            RequestedConnectionTimeout = options.ReadTimeout,
            MaxInboundMessageBodySize = MaxInboundBodyBytes, // whatever the broker accepted must not kill the tail
        };
        _ackEvery = Math.Max(1, Math.Min(64, options.Prefetch / 2));
        Endpoint = $"{_factory.HostName}:{_factory.Port.ToString(CultureInfo.InvariantCulture)}{_factory.VirtualHost}";
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Gets the broker's host, port and virtual host, for logs and health reports (no credentials).</summary>
    public string Endpoint { get; }

    public EventPosition CurrentPosition
    {
        get
        {
            lock (_gate)
            {
                return new EventPosition(_epoch, _head);
            }
        }
    }

    public async ValueTask<RealtimeEvent> AppendAsync(EventDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var outgoing = Prepare(draft); // an oversized event is refused whether or not the broker is reachable

        // One deadline for everything a publish waits on, so PublishTimeout bounds the whole call.
        using var deadline = new CancellationTokenSource(_options.PublishTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var session = await WaitForSessionAsync(waitWhileReconnecting: false, linked.Token, cancellationToken).ConfigureAwait(false)
            ?? throw Unavailable($"The event was not published: {NotConnectedReason()}");
        try
        {
            await _publishSlots.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable($"The event was not published: {_options.MaxPendingPublishes} publishes were already waiting for the broker's confirm for {_options.PublishTimeout}.");
        }

        try
        {
            return await AppendCoreAsync(session, outgoing, linked.Token, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _publishSlots.Release();
        }
    }

    public bool TryAppend(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? appended)
    {
        ArgumentNullException.ThrowIfNull(draft);
        appended = null;
        var outgoing = Prepare(draft);
        var session = Volatile.Read(ref _session);
        if (Volatile.Read(ref _disposed) != 0 || session is null)
        {
            return false;
        }

        // The broker assigns the position, so this blocks its caller until the broker answers (bounded by
        // PublishTimeout); it never waits on a subscriber. The read-back it waits for needs thread-pool threads, so only a
        // few callers may block at once: beyond that, the log "cannot take it now".
        if (!_blockingSlots.Wait(0))
        {
            return false;
        }

        try
        {
            if (!_publishSlots.Wait(0))
            {
                return false;
            }

            try
            {
                using var deadline = new CancellationTokenSource(_options.PublishTimeout, _time);
                appended = AppendCoreAsync(session, outgoing, deadline.Token, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                return true;
            }
            finally
            {
                _publishSlots.Release();
            }
        }
        catch (EventLogUnavailableException ex)
        {
            Log.TryPublishFailed(_logger, draft.Id ?? "(no id)", ex.Message);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false; // disposed while publishing
        }
        finally
        {
            _blockingSlots.Release();
        }
    }

    public async ValueTask<EventLogReadResult> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        cancellationToken.ThrowIfCancellationRequested();
        using var deadline = new CancellationTokenSource(_options.ReadTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        if (!IsAttached && after.Epoch != _provisionalEpoch)
        {
            // A resume from a real position while still connecting: wait for the epoch rather than call it changed.
            _ = await WaitForSessionAsync(waitWhileReconnecting: true, linked.Token, cancellationToken).ConfigureAwait(false)
                ?? throw Unavailable($"Events after {after} cannot be read yet: {NotConnectedReason()}");
        }

        var status = ResumeStatus.Complete;
        var cursor = after.Sequence;
        var synced = false;
        while (true)
        {
            StreamReadPlan plan;
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                _window.Evict(now);
                var current = new EventPosition(_epoch, _head);
                if (!_attached)
                {
                    return new EventLogReadResult([], ResumeStatus.Complete, current); // provisional, nothing yet
                }

                if (after.Epoch == _provisionalEpoch)
                {
                    // The dispatcher started before the first attach; it continues from where this node attached.
                    if (_firstAttachEpoch == _epoch && _firstAttachBase >= _window.From)
                    {
                        var events = _window.ReadAfter(_firstAttachBase, maxCount);
                        if (events.Count > 0)
                        {
                            return new EventLogReadResult(events, ResumeStatus.Complete, current);
                        }
                    }

                    // Nothing to route: an empty "changed" answer moves the reader to the current position.
                    return new EventLogReadResult([], ResumeStatus.EpochChanged, current);
                }

                if (after.Epoch != _epoch)
                {
                    return new EventLogReadResult(_window.ReadAfter(_window.From, maxCount), ResumeStatus.EpochChanged, current);
                }

                if (cursor > _lastTailOffset)
                {
                    // Another node may have issued it and this node's tail not read it yet: catch up with the stream
                    // once (below). Only a position still ahead after that was never issued.
                    if (synced)
                    {
                        return new EventLogReadResult(_window.ReadAfter(_window.From, maxCount), ResumeStatus.EpochChanged, current);
                    }

                    plan = new StreamReadPlan(_epoch, cursor, -1, status);
                }
                else
                {
                    if (cursor < _window.From && IsBeforeWindowOutOfReachLocked(cursor, now))
                    {
                        status = ResumeStatus.Truncated;
                        cursor = _window.From;
                    }

                    if (cursor >= _window.From)
                    {
                        return new EventLogReadResult(_window.ReadAfter(cursor, maxCount), status, current);
                    }

                    plan = new StreamReadPlan(_epoch, cursor, _window.From, status);
                }
            }

            if (plan.WindowFrom < 0)
            {
                await SyncWithStreamAsync(linked.Token, cancellationToken).ConfigureAwait(false);
                synced = true;
                continue;
            }

            var read = await ReadFromStreamAsync(plan, maxCount, linked.Token, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                var current = new EventPosition(_epoch, _head);
                if (plan.Epoch != _epoch)
                {
                    return new EventLogReadResult(_window.ReadAfter(_window.From, maxCount), ResumeStatus.EpochChanged, current);
                }

                if (read.Truncated)
                {
                    status = ResumeStatus.Truncated;
                    _streamFirst = Math.Max(_streamFirst, read.FirstOffset);
                }

                var events = read.Events;
                if (plan.WindowFrom >= _window.From)
                {
                    if (events.Count < maxCount)
                    {
                        events.AddRange(_window.ReadAfter(plan.WindowFrom, maxCount - events.Count));
                    }

                    return new EventLogReadResult(events, status, current);
                }

                if (events.Count > 0)
                {
                    return new EventLogReadResult(events, status, current); // a page; the reader asks for the rest
                }

                // The window moved on while the stream was read and the range held no event: read on from there, so an
                // empty answer never means "nothing more" while events follow.
                cursor = Math.Max(cursor, read.LastOffset);
            }
        }
    }

    public ValueTask WaitForEventsAsync(EventPosition after, CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            var ready = Volatile.Read(ref _disposed) != 0
                || (_attached && (after.Epoch != _epoch || _head > after.Sequence));
            if (ready)
            {
                return ValueTask.CompletedTask;
            }

            _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _changed.Task;
        }

        return new ValueTask(wait.WaitAsync(cancellationToken));
    }

    public bool CanResumeFrom(EventPosition position)
    {
        lock (_gate)
        {
            if (!_attached)
            {
                return false;
            }

            if (position.Epoch == _provisionalEpoch && position.Sequence == 0 && _firstAttachEpoch == _epoch)
            {
                position = new EventPosition(_epoch, Math.Max(0, _firstAttachBase));
            }

            if (position.Epoch != _epoch)
            {
                return false;
            }

            if (position.Sequence > _head)
            {
                // Past the newest event: a marker's offset this node has read, or one it has not read (yet). Only a
                // read can catch up with the stream, so a position not read yet is not promised here.
                return position.Sequence <= _lastTailOffset;
            }

            var now = _time.GetUtcNow();
            _window.Evict(now);
            if (position.Sequence >= _window.From)
            {
                return true;
            }

            return !IsBeforeWindowOutOfReachLocked(position.Sequence, now) && position.Sequence + 1 >= _streamFirst;
        }
    }

    /// <summary>
    /// Whether events after <paramref name="sequence"/>, which is before the window, are beyond <see cref="EventHistoryOptions"/>'s
    /// reach: the window holds the newest events up to MaxEvents and MaxAge, so once it evicted by count or by age,
    /// everything before it is too old or too far back. Otherwise (the node attached recently, or evicted by bytes)
    /// offsets bound the count: they count markers too, so they never reach further back than MaxEvents events.
    /// </summary>
    private bool IsBeforeWindowOutOfReachLocked(long sequence, DateTimeOffset now) =>
        _window.Count >= _history.MaxEvents || _window.IsBeforeFromExpired(now) || sequence < _head - _history.MaxEvents;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the loop ends by cancellation
        }

        foreach (var (token, pending) in _pending)
        {
            if (_pending.TryRemove(token, out _))
            {
                pending.Completion.TrySetException(new ObjectDisposedException(nameof(RabbitMqEventLog), "The event log was disposed before the event's position was known."));
            }
        }

        SignalChanged();
        _disposing.Dispose();
        // The semaphores are not disposed: a TryAppend racing the disposal may still release its slot.
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Completes at the next change of the node's state: an event read, an attach, a lost connection, a failed attempt
    /// (for tests: create it before checking a state, then await it, so no change is missed).
    /// </summary>
    internal Task WaitForChangeAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Completes when the node is attached to the stream (for tests and startup checks).</summary>
    internal async Task WaitUntilAttachedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_attached && Volatile.Read(ref _session) is not null)
                {
                    return;
                }

                _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _changed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool IsAttached
    {
        get
        {
            lock (_gate)
            {
                return _attached;
            }
        }
    }

    /// <summary>Stamps the event's id and time and encodes its envelope; refuses one larger than <see cref="RabbitMqEventLogOptions.MaxEventBytes"/>.</summary>
    private OutgoingEvent Prepare(EventDraft draft)
    {
        var now = _time.GetUtcNow();
        var id = draft.Id ?? Guid.CreateVersion7(now).ToString("N");
        string epoch;
        lock (_gate)
        {
            epoch = _epoch;
        }

        var body = StreamEnvelope.EncodeEvent(draft, id, now, epoch);
        if (body.Length > _options.MaxEventBytes)
        {
            throw new ArgumentException(
                $"Event {id} is {body.Length} bytes in its envelope; the RabbitMQ event log takes at most {_options.MaxEventBytes} (RealtimeEvents:RabbitMq:MaxEventBytes). Publish a smaller event, for example a reference to the data.",
                nameof(draft));
        }

        return new OutgoingEvent(draft, id, now, _time.GetTimestamp(), epoch, body);
    }

    /// <summary>Publishes with a confirm, then waits for the tail to read the event back; <paramref name="token"/> carries the deadline.</summary>
    private async ValueTask<RealtimeEvent> AppendCoreAsync(Session session, OutgoingEvent outgoing, CancellationToken token, CancellationToken callerToken)
    {
        var (draft, id, now, timestamp, _, body) = outgoing;
        lock (_gate)
        {
            if (_epoch != outgoing.Epoch)
            {
                body = StreamEnvelope.EncodeEvent(draft, id, now, _epoch); // the node attached while this publish waited
            }
        }

        var publishToken = _node + "-" + Interlocked.Increment(ref _publishCounter).ToString(CultureInfo.InvariantCulture);
        var pending = new PendingAppend(timestamp);
        _pending[publishToken] = pending;
        var properties = new BasicProperties
        {
            ContentType = StreamEnvelope.ContentType,
            Type = StreamEnvelope.EventType,
            MessageId = Encoding.UTF8.GetByteCount(id) <= 255 ? id : null, // an AMQP short string; the body always has the id
            CorrelationId = publishToken,
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(now.ToUnixTimeSeconds()),
        };
        try
        {
            // The client's own publish is not cancelled: a publish cancelled while it waits inside the client can upset
            // the channel's confirm tracking. The deadline bounds the wait for it instead.
            await session.PublishAsync(_options.StreamName, properties, body).AsTask().WaitAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !callerToken.IsCancellationRequested)
        {
            _pending.TryRemove(publishToken, out _);
            if (ex is not (PublishException or OperationCanceledException) && session.Publisher is { IsOpen: false } publisher)
            {
                session.MarkLost("the publishing channel closed: " + (publisher.CloseReason?.ReplyText ?? ex.Message));
            }

            throw ex switch
            {
                PublishException { IsReturn: true } => Unavailable(
                    $"The broker returned event {id}: stream '{_options.StreamName}' does not exist (was it deleted?). The event was not stored.", ex),
                PublishException => Unavailable(
                    $"The broker refused event {id} (negative acknowledgement); it was not stored. Publish it again.", ex),
                OperationCanceledException => Unavailable(
                    $"The broker did not confirm event {id} within {_options.PublishTimeout}; it may or may not have been stored.", ex),
                _ => Unavailable(
                    $"The connection to RabbitMQ failed before the broker confirmed event {id}; it may or may not have been stored. {ex.Message}", ex),
            };
        }
        catch
        {
            _pending.TryRemove(publishToken, out _);
            throw;
        }

        try
        {
            // Confirmed: the event is in the stream. Its position is known once this node's tail reads it back.
            return await pending.Completion.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            _pending.TryRemove(publishToken, out _);
            throw Unavailable($"The broker confirmed event {id}, but this node did not read it back within {_options.PublishTimeout}. It is stored and subscribers will receive it: do not publish it again.");
        }
        catch (OperationCanceledException)
        {
            _pending.TryRemove(publishToken, out _);
            throw;
        }
    }

    /// <summary>
    /// The current session, waiting for one while the node first connects (or, when allowed, reconnects) until
    /// <paramref name="token"/> fires; <see langword="null"/> when there is none in time.
    /// </summary>
    private async ValueTask<Session?> WaitForSessionAsync(bool waitWhileReconnecting, CancellationToken token, CancellationToken callerToken)
    {
        try
        {
            while (true)
            {
                Task wait;
                lock (_gate)
                {
                    var session = Volatile.Read(ref _session);
                    if (session is not null || Volatile.Read(ref _disposed) != 0
                        || (!waitWhileReconnecting && Volatile.Read(ref _failedAttempts) > 0))
                    {
                        return session; // a broker known to be down fails publishes at once instead of holding them
                    }

                    _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _changed.Task;
                }

                await wait.WaitAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private string NotConnectedReason() =>
        Volatile.Read(ref _disposed) != 0
            ? "the event log has been disposed."
            : $"this node is not connected to RabbitMQ at {Endpoint} ({Volatile.Read(ref _lastError) ?? "connecting"}); it keeps retrying.";

    private void SignalChanged()
    {
        TaskCompletionSource? changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = null;
        }

        changed?.TrySetResult();
    }

    private static EventLogUnavailableException Unavailable(string message, Exception? inner = null) => new(message, inner);

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>An event ready to publish: stamped, and encoded for the epoch known when it was stamped.</summary>
    private sealed record OutgoingEvent(EventDraft Draft, string Id, DateTimeOffset Time, long Timestamp, string Epoch, byte[] Body);

    /// <summary>An append waiting for its position: completed by the tail when it reads the event back.</summary>
    private sealed class PendingAppend(long timestamp)
    {
        public long Timestamp { get; } = timestamp;

        public TaskCompletionSource<RealtimeEvent> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A read of positions older than the window, from the stream itself; <c>WindowFrom</c> -1 asks to catch up first.</summary>
    private sealed record StreamReadPlan(string Epoch, long After, long WindowFrom, ResumeStatus Status);
}
