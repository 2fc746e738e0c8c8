using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RealtimeEvents.Diagnostics;
using RealtimeEvents.Internal;
using RealtimeEvents.Routing;
using RealtimeEvents.Snapshots;

namespace RealtimeEvents.Broadcasting;

/// <summary>The default <see cref="IEventBroadcaster"/>: publish to the log, subscribe with a bounded queue each.</summary>
internal sealed class EventBroadcaster : IEventBroadcaster, IAsyncDisposable, IDisposable
{
    private readonly IEventLog _log;
    private readonly SubscriptionRouter _router = new();
    private readonly EventDispatcher _dispatcher;
    private readonly SnapshotRegistry _snapshots;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RealtimeEventsOptions _options;
    private long _nextSubscriptionId;
    private volatile bool _stopped;

    public EventBroadcaster(IEventLog log, SnapshotRegistry snapshots, IOptions<RealtimeEventsOptions> options, TimeProvider time,
        RealtimeEventsMetrics metrics, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _log = log;
        _snapshots = snapshots;
        _options = options.Value;
        _time = time;
        Metrics = metrics;
        _logger = loggerFactory.CreateLogger("RealtimeEvents.Broadcaster");
        _dispatcher = new EventDispatcher(log, _router, time, loggerFactory.CreateLogger("RealtimeEvents.Dispatcher"));
        metrics.ObserveQueueDepth(() => _router.Subscriptions.Sum(s => (long)s.QueueDepth));
    }

    public EventPosition CurrentPosition => _log.CurrentPosition;

    public DispatcherStatus DispatcherStatus => _dispatcher.GetStatus();

    public Task WaitForDispatchAsync(EventPosition position, CancellationToken cancellationToken = default) =>
        _dispatcher.WaitForDispatchAsync(position, cancellationToken);

    public IReadOnlyCollection<ISubscription> Subscriptions => [.. _router.Subscriptions];

    internal RealtimeEventsMetrics Metrics { get; }

    internal EventDispatcher Dispatcher => _dispatcher;

    public async ValueTask<RealtimeEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ThrowIfStopped();
        using var activity = StartPublishActivity(draft);
        var evt = await _log.AppendAsync(draft, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("realtime_events.position", evt.Position.ToString());
        Metrics.Published.Add(1);
        return evt;
    }

    public bool TryPublish(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? published)
    {
        ArgumentNullException.ThrowIfNull(draft);
        published = null;
        if (_stopped)
        {
            return false;
        }

        using var activity = StartPublishActivity(draft);
        if (!_log.TryAppend(draft, out published))
        {
            return false;
        }

        activity?.SetTag("realtime_events.position", published.Position.ToString());
        Metrics.Published.Add(1);
        return true;
    }

    public async ValueTask<ISubscription> SubscribeAsync(SubscriptionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_stopped)
        {
            throw new SubscriptionRejectedException(SubscriptionErrorCodes.ShuttingDown, "The host is shutting down and takes no new subscriptions.");
        }

        if (!request.TryToFilter(out var filter, out var error))
        {
            throw new SubscriptionRejectedException(SubscriptionErrorCodes.InvalidSubscription, error);
        }

        using var activity = RealtimeEventsActivitySource.Instance.StartActivity("RealtimeEvents.Subscribe", ActivityKind.Internal);
        _dispatcher.EnsureStarted();
        var snapshots = request.Snapshot
            ? await _snapshots.GetSnapshotsAsync(filter, cancellationToken).ConfigureAwait(false)
            : [];
        EventPosition? resumeAfter = snapshots.Count > 0 ? snapshots.MinBy(s => s.Position.Sequence)!.Position : request.ResumeAfter;

        var id = request.Id ?? "sub-" + Interlocked.Increment(ref _nextSubscriptionId).ToString(CultureInfo.InvariantCulture);
        var queue = new SubscriptionQueue(_options.SubscriptionQueueCapacity, _options.LagPolicy, _options.MaxConsecutiveOverflows);
        EventPosition startPosition;
        if (resumeAfter is { } resume)
        {
            startPosition = resume;
            queue.BeginReplay(); // before routing starts: drops until the replay catches up are of events history covers
        }
        else
        {
            startPosition = _log.CurrentPosition;
            queue.StartAfter(startPosition); // the dispatcher may still be routing events published before this call
        }

        var subscription = new Subscription(this, id, filter, queue, _log, _time, _logger, _options.ReplayPageSize, snapshots, startPosition);

        // Registered before history is read, so nothing published meanwhile can fall between replay and live.
        _router.Add(subscription);
        Metrics.Subscriptions.Add(1);
        try
        {
            if (resumeAfter is { } position)
            {
                await subscription.StartReplayAsync(position, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            subscription.Dispose();
            throw;
        }

        Log.SubscriptionCreated(_logger, id, filter, subscription.Resume);
        return subscription;
    }

    /// <summary>Stops taking publishes and subscriptions, routes what was already published, and ends every subscription after its queued events.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        await _dispatcher.StopAsync(cancellationToken).ConfigureAwait(false);
        EndAllSubscriptions();
    }

    public async ValueTask DisposeAsync()
    {
        // DI registers this one instance under several service types, so it may be disposed more than once.
        _stopped = true;
        await _dispatcher.DisposeAsync().ConfigureAwait(false);
        EndAllSubscriptions();
    }

    /// <summary>For containers disposed synchronously; the dispatcher stops promptly once cancelled.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void EndAllSubscriptions()
    {
        foreach (var subscription in _router.Subscriptions)
        {
            subscription.End(SubscriptionEndReason.Shutdown, keepQueued: true);
            Remove(subscription);
        }
    }

    internal void Remove(Subscription subscription)
    {
        if (_router.Remove(subscription))
        {
            Metrics.Subscriptions.Add(-1);
        }
    }

    private static Activity? StartPublishActivity(EventDraft draft)
    {
        var activity = RealtimeEventsActivitySource.Instance.StartActivity("RealtimeEvents.Publish", ActivityKind.Producer);
        if (activity is not null)
        {
            activity.SetTag("realtime_events.type", draft.Type);
            activity.SetTag("realtime_events.topic", draft.Topic);
        }

        return activity;
    }

    private void ThrowIfStopped()
    {
        if (_stopped)
        {
            throw new InvalidOperationException("The event broadcaster has shut down; events can no longer be published.");
        }
    }
}
