using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
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
        };
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
        var session = await WaitForSessionAsync(_options.PublishTimeout, waitWhileReconnecting: false, cancellationToken).ConfigureAwait(false)
            ?? throw Unavailable($"The event was not published: {NotConnectedReason()}");
        if (!await _publishSlots.WaitAsync(_options.PublishTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw Unavailable($"The event was not published: {_options.MaxPendingPublishes} publishes were already waiting for the broker's confirm for {_options.PublishTimeout}.");
        }

        try
        {
            return await AppendCoreAsync(session, draft, cancellationToken).ConfigureAwait(false);
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
        var session = Volatile.Read(ref _session);
        if (Volatile.Read(ref _disposed) != 0 || session is null || !_publishSlots.Wait(0))
        {
            return false;
        }

        try
        {
            // The broker assigns the position, so this waits for its answer (bounded by PublishTimeout); it never waits
            // on a subscriber. Callers are synchronous by definition, so blocking their thread is the contract.
            appended = AppendCoreAsync(session, draft, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            return true;
        }
        catch (EventLogUnavailableException ex)
        {
            Log.TryPublishFailed(_logger, draft.Id ?? "(no id)", ex.Message);
            return false;
        }
        finally
        {
            _publishSlots.Release();
        }
    }

    public async ValueTask<EventLogReadResult> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        cancellationToken.ThrowIfCancellationRequested();
        if (!IsAttached && after.Epoch != _provisionalEpoch)
        {
            // A resume from a real position while still connecting: wait for the epoch rather than call it changed.
            _ = await WaitForSessionAsync(_options.ReadTimeout, waitWhileReconnecting: true, cancellationToken).ConfigureAwait(false)
                ?? throw Unavailable($"Events after {after} cannot be read yet: {NotConnectedReason()}");
        }

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

            if (after.Epoch != _epoch || after.Sequence > _head)
            {
                return new EventLogReadResult(_window.ReadAfter(_window.From, maxCount), ResumeStatus.EpochChanged, current);
            }

            var status = ResumeStatus.Complete;
            var start = after.Sequence;
            var countFloor = _head - _history.MaxEvents;
            if (start < countFloor)
            {
                status = ResumeStatus.Truncated;
                start = countFloor;
            }

            if (start < _window.From && _window.IsBeforeFromExpired(now))
            {
                status = ResumeStatus.Truncated;
                start = _window.From;
            }

            if (start >= _window.From)
            {
                return new EventLogReadResult(_window.ReadAfter(start, maxCount), status, current);
            }

            plan = new StreamReadPlan(_epoch, start, _window.From, status);
        }

        return await ReadFromStreamAsync(plan, maxCount, cancellationToken).ConfigureAwait(false);
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

            if (position.Epoch != _epoch || position.Sequence > _head || position.Sequence < _head - _history.MaxEvents)
            {
                return false;
            }

            var now = _time.GetUtcNow();
            _window.Evict(now);
            if (position.Sequence >= _window.From)
            {
                return true;
            }

            return !_window.IsBeforeFromExpired(now) && position.Sequence + 1 >= _streamFirst;
        }
    }

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
        _publishSlots.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

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

    private async ValueTask<RealtimeEvent> AppendCoreAsync(Session session, EventDraft draft, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var timestamp = _time.GetTimestamp();
        var id = draft.Id ?? Guid.CreateVersion7(now).ToString("N");
        var token = _node + "-" + Interlocked.Increment(ref _publishCounter).ToString(CultureInfo.InvariantCulture);
        string epoch;
        lock (_gate)
        {
            epoch = _epoch;
        }

        var pending = new PendingAppend(timestamp);
        _pending[token] = pending;
        var properties = new BasicProperties
        {
            ContentType = StreamEnvelope.ContentType,
            Type = StreamEnvelope.EventType,
            MessageId = id,
            CorrelationId = token,
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(now.ToUnixTimeSeconds()),
        };
        var body = StreamEnvelope.EncodeEvent(draft, id, now, epoch);
        using var timeout = new CancellationTokenSource(_options.PublishTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await session.PublishAsync(_options.StreamName, properties, body, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _pending.TryRemove(token, out _);
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
            _pending.TryRemove(token, out _);
            throw;
        }

        try
        {
            // Confirmed: the event is in the stream. Its position is known once this node's tail reads it back.
            return await pending.Completion.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _pending.TryRemove(token, out _);
            throw Unavailable($"The broker confirmed event {id}, but this node did not read it back within {_options.PublishTimeout}. It is stored and subscribers will receive it: do not publish it again.");
        }
        catch (OperationCanceledException)
        {
            _pending.TryRemove(token, out _);
            throw;
        }
    }

    /// <summary>The current session, waiting for one while the node connects (or, when allowed, reconnects).</summary>
    private async ValueTask<Session?> WaitForSessionAsync(TimeSpan timeout, bool waitWhileReconnecting, CancellationToken cancellationToken)
    {
        var session = Volatile.Read(ref _session);
        if (session is not null || (!waitWhileReconnecting && Volatile.Read(ref _failedAttempts) > 0))
        {
            return session; // a broker known to be down fails publishes at once instead of holding them
        }

        using var timeoutSource = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken, _disposing.Token);
        try
        {
            while ((session = Volatile.Read(ref _session)) is null)
            {
                if (!waitWhileReconnecting && Volatile.Read(ref _failedAttempts) > 0)
                {
                    return null;
                }

                Task wait;
                lock (_gate)
                {
                    _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _changed.Task;
                }

                if (Volatile.Read(ref _session) is null)
                {
                    await wait.WaitAsync(linked.Token).ConfigureAwait(false);
                }
            }

            return session;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
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

    /// <summary>An append waiting for its position: completed by the tail when it reads the event back.</summary>
    private sealed class PendingAppend(long timestamp)
    {
        public long Timestamp { get; } = timestamp;

        public TaskCompletionSource<RealtimeEvent> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A read of positions older than the window: from the stream itself.</summary>
    private sealed record StreamReadPlan(string Epoch, long After, long WindowFrom, ResumeStatus Status);
}
