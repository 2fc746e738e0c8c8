using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace RealtimeEvents.SampleHost.Engine;

/// <summary>
/// Every execution in the event log, built from the events themselves, on every node: an in-process subscription to
/// <c>executions/**</c> applies <c>execution.*</c>, <c>agent.*</c> and <c>task.progress</c> the way the dashboard
/// (wwwroot/app.js) does. With several nodes on one RabbitMQ stream, node B knows node A's executions this way; its own
/// engine knows only the ones it runs.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Read"/> returns the state together with the position of the last event applied to it, so the state reflects
/// exactly the events up to that position: a snapshot built from it is consistent by construction, and a subscriber that
/// continues after the position misses nothing and repeats nothing. (The one exception is conflation: a <c>task.progress</c>
/// that a newer one for the same agent replaced in the subscription's queue is skipped, and its successor, after the
/// position, carries the newer value anyway.)
/// </para>
/// <para>
/// It starts with the host, before the server serves dashboards: it replays the log from its start (as far as history
/// reaches), then follows it live. With the RabbitMQ log it first waits, for at most <see cref="AttachTimeout"/>, until the
/// node has attached to the stream: until then the node reports a provisional epoch, and a replay from there would begin
/// where the node attaches instead of at the start of the stream. When the log's epoch changes later (the first attach after
/// a broker that was down at startup, or a stream deleted and created again), it rebuilds from the start of the new epoch.
/// (A page that subscribed while the node was not attached got an empty snapshot at the provisional epoch; it shows the
/// executions whose events arrive after the attach, and a reload gets the rebuilt state.)
/// </para>
/// <para>
/// Gaps. A gap notice means the state may lack events, and it must never claim a position it does not reflect:
/// <list type="bullet">
/// <item>A recoverable gap (the subscription's queue overflowed, history still holds the events): it subscribes again
/// after the last event it applied and catches up from history. The state stays exact.</item>
/// <item>An unrecoverable gap (history truncated while the dispatcher was away from the broker, or the epoch changed):
/// the missing events are gone for good, so it rebuilds. It clears the state and replays whatever the log still holds
/// from the start of the current epoch. An execution whose first events are no longer held comes back from its later
/// events, as the dashboard shows it. It does not rebuild from this node's engine: the engine knows only this node's
/// executions, and its state is not tied to a position, so the result would no longer match any position.</item>
/// <item>A gap before anything was applied (a rebuild's replay that starts after the oldest events were dropped) loses
/// nothing that the state has: it is ignored.</item>
/// </list>
/// </para>
/// </remarks>
public sealed class ExecutionProjection(
    IEventBroadcaster broadcaster, IEventLog log, IOptions<HealthCheckServiceOptions> healthChecks, IServiceProvider services,
    IOptions<SimulatorOptions> options, TimeProvider time, ILogger<ExecutionProjection> logger) : IHostedService, IDisposable
{
    /// <summary>How long the start waits for the node to attach to a shared (RabbitMQ) log before it goes on without.</summary>
    public static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(5);

    private const string SubscriptionId = "execution-projection";
    private static readonly TimeSpan MinRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ExecutionModel> _executions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private EventPosition _position = new(broadcaster.CurrentPosition.Epoch, 0);
    private bool _appliedSinceRebuild;
    private ISubscription? _first;
    private Task? _loop;

    /// <summary>What to do after a subscription stops being read.</summary>
    private enum Next
    {
        /// <summary>Subscribe again after the last event applied; the state stays.</summary>
        Resume,

        /// <summary>Clear the state and replay the log from the start of its current epoch.</summary>
        Rebuild,

        /// <summary>The host is stopping.</summary>
        Stop,
    }

    /// <summary>Gets every execution in the log, newest first, and the position of the last event applied to them.</summary>
    public (IReadOnlyList<ExecutionState> Executions, EventPosition Position) Read()
    {
        lock (_gate)
        {
            return ([.. _executions.Values.OrderBy(e => e, NewestFirst.Instance).Select(e => e.ToState())], _position);
        }
    }

    /// <summary>Gets one execution as the log tells it, or <see langword="null"/> when the log has (or still holds) no event of it.</summary>
    public ExecutionState? Get(string id)
    {
        lock (_gate)
        {
            return _executions.TryGetValue(id, out var execution) ? execution.ToState() : null;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await WaitForSharedLogAsync(cancellationToken);
        try
        {
            // Subscribed (and its first page of history read) before StartAsync returns, so before the server starts.
            _first = await SubscribeAsync(Rebuild(), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // For example a broker that is down (EventLogUnavailableException): the host starts anyway, the loop retries.
            logger.LogWarning("The execution projection could not subscribe yet; it keeps trying: {Reason}", ex.Message);
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is { } loop)
        {
            try
            {
                await loop.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The host stopped waiting; the loop ends with the broadcaster's subscriptions.
            }
        }
    }

    public void Dispose()
    {
        _first?.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Applies one event the way app.js does (absolute values only), and moves the position to it.</summary>
    private void Apply(RealtimeEvent evt)
    {
        lock (_gate)
        {
            ApplyLocked(evt);
            _position = evt.Position;
            _appliedSinceRebuild = true;
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        var next = Next.Resume;
        var subscription = Interlocked.Exchange(ref _first, null);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                subscription ??= await SubscribeAsync(next == Next.Rebuild ? Rebuild() : ResumePosition(), stopping);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                failures++;
                logger.LogWarning("The execution projection could not subscribe (attempt {Attempt}): {Reason}", failures, ex.Message);
                if (!await DelayAsync(failures, stopping))
                {
                    return;
                }

                continue;
            }
            catch (OperationCanceledException)
            {
                return; // stopping
            }

            bool failed;
            using (subscription)
            {
                (next, failed) = await FollowAsync(subscription, stopping);
            }

            subscription = null;
            failures = failed ? failures + 1 : 0;
            if (next == Next.Stop || (failed && !await DelayAsync(failures, stopping)))
            {
                return;
            }
        }
    }

    /// <summary>Reads one subscription until it needs replacing; watches the log's epoch meanwhile.</summary>
    private async Task<(Next Next, bool Failed)> FollowAsync(ISubscription subscription, CancellationToken stopping)
    {
        using var epochChanged = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var epoch = BasisEpoch();
        var watch = WatchEpochAsync(epoch, epochChanged);
        try
        {
            while (await subscription.WaitToReadAsync(epochChanged.Token))
            {
                while (subscription.TryRead(out var item))
                {
                    switch (item.Kind)
                    {
                        case SubscriptionItemKind.Event when item.Event!.Epoch != epoch:
                            return (Next.Rebuild, false); // the log moved to another epoch (its gap notice may come later)
                        case SubscriptionItemKind.Event:
                            Apply(item.Event);
                            break;
                        case SubscriptionItemKind.Gap when !HasApplied():
                            logger.LogInformation("The execution projection starts after a gap: {Gap}", item.Gap);
                            break;
                        case SubscriptionItemKind.Gap when item.Gap!.Recoverable:
                            logger.LogWarning("The execution projection missed events ({Gap}); it catches up from history.", item.Gap);
                            return (Next.Resume, false);
                        case SubscriptionItemKind.Gap:
                            logger.LogWarning("The execution projection missed events for good ({Gap}); it rebuilds from the log.", item.Gap);
                            return (Next.Rebuild, false);
                        case SubscriptionItemKind.Ended:
                            return item.EndReason switch
                            {
                                SubscriptionEndReason.Shutdown or SubscriptionEndReason.Unsubscribed => (Next.Stop, false),
                                SubscriptionEndReason.Lagging => (Next.Resume, false),
                                _ => (Next.Resume, true), // Failed: for example history could not be read from the broker
                            };
                        default:
                            break;
                    }
                }
            }

            return (Next.Resume, true);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return (Next.Stop, false);
        }
        catch (OperationCanceledException) when (epochChanged.IsCancellationRequested)
        {
            logger.LogInformation("The event log's epoch is no longer {Epoch}; the execution projection rebuilds.", epoch);
            return (Next.Rebuild, false);
        }
        catch (Exception ex)
        {
            // For example history that could not be read from the broker (EventLogUnavailableException, a read timeout):
            // subscribe again after the last event applied, after a pause.
            logger.LogWarning(ex, "The execution projection could not read the event log; it tries again.");
            return (Next.Resume, true);
        }
        finally
        {
            await epochChanged.CancelAsync();
            await watch;
        }
    }

    /// <summary>
    /// Cancels <paramref name="changed"/> when the log's epoch is no longer <paramref name="epoch"/>. No event has a sequence
    /// as large as <see cref="long.MaxValue"/>, so a wait for one ends when the epoch changes; a log may also end it for
    /// other reasons (a connection attempt), so the epoch is checked and the wait repeated, after a pause.
    /// </summary>
    private async Task WatchEpochAsync(string epoch, CancellationTokenSource changed)
    {
        try
        {
            while (true)
            {
                await log.WaitForEventsAsync(new EventPosition(epoch, long.MaxValue), changed.Token);
                if (log.CurrentPosition.Epoch != epoch)
                {
                    await changed.CancelAsync();
                    return;
                }

                await Task.Delay(MinRetryDelay, time, changed.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped following this subscription.
        }
        catch (ObjectDisposedException)
        {
            // The log was disposed: the host is stopping.
        }
    }

    private ValueTask<ISubscription> SubscribeAsync(EventPosition after, CancellationToken cancellationToken) =>
        broadcaster.SubscribeAsync(new SubscriptionRequest { Id = SubscriptionId, Topics = ["executions/**"], ResumeAfter = after }, cancellationToken);

    /// <summary>Clears the state: it now reflects the log up to the start of its current epoch. Returns that position.</summary>
    private EventPosition Rebuild()
    {
        lock (_gate)
        {
            _executions.Clear();
            _position = new EventPosition(broadcaster.CurrentPosition.Epoch, 0);
            _appliedSinceRebuild = false;
            return _position;
        }
    }

    private EventPosition ResumePosition()
    {
        lock (_gate)
        {
            return _position;
        }
    }

    private string BasisEpoch()
    {
        lock (_gate)
        {
            return _position.Epoch;
        }
    }

    private bool HasApplied()
    {
        lock (_gate)
        {
            return _appliedSinceRebuild;
        }
    }

    /// <summary>Waits before the next attempt, doubling from 0.5 s up to 10 s; returns false when the host is stopping.</summary>
    private async Task<bool> DelayAsync(int failures, CancellationToken stopping)
    {
        var delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, MinRetryDelay.Ticks << Math.Min(failures - 1, 10)));
        try
        {
            await Task.Delay(delay, time, stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// With the RabbitMQ log, waits until the node has attached to the stream (its health check, tagged "rabbitmq", is
    /// healthy), for at most <see cref="AttachTimeout"/>. The epoch is read before the check, so when the check says "not
    /// attached" that epoch was the provisional one, and the wait for it to change ends when the node attaches. The check is
    /// called directly, not through the health check service, which would log every "not attached yet" as an error. With
    /// the in-memory log there is no such check and nothing to wait for.
    /// </summary>
    private async Task WaitForSharedLogAsync(CancellationToken cancellationToken)
    {
        var registrations = healthChecks.Value.Registrations.Where(r => r.Tags.Contains("rabbitmq")).ToList();
        if (registrations.Count == 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AttachTimeout);
        try
        {
            while (true)
            {
                var epoch = log.CurrentPosition.Epoch;
                var attached = true;
                foreach (var registration in registrations)
                {
                    var result = await registration.Factory(services).CheckHealthAsync(new HealthCheckContext { Registration = registration }, timeout.Token);
                    attached &= result.Status == HealthStatus.Healthy;
                }

                if (attached)
                {
                    return;
                }

                await log.WaitForEventsAsync(new EventPosition(epoch, long.MaxValue), timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(
                "The node did not attach to the shared event log within {Timeout} s; the execution projection starts without it and rebuilds once it attaches.",
                AttachTimeout.TotalSeconds);
        }
    }

    private void ApplyLocked(RealtimeEvent evt)
    {
        // Topics: executions/{id} and executions/{id}/agents/{agentId}, as app.js reads them.
        var parts = evt.Topic.Split('/');
        if (parts.Length < 2 || parts[0] != "executions")
        {
            return;
        }

        var data = evt.Data.IsEmpty ? default : evt.Data.ToJsonElement();
        if (!_executions.TryGetValue(parts[1], out var execution))
        {
            execution = new ExecutionModel(parts[1], evt.Time);
            _executions[execution.Id] = execution;
        }

        if (parts.Length >= 4 && parts[2] == "agents")
        {
            execution.ApplyAgentEvent(parts[3], evt.Type, data);
        }
        else
        {
            execution.ApplyExecutionEvent(evt.Type, data, evt.Time);
            if (execution.IsFinished)
            {
                TrimLocked();
            }
        }
    }

    /// <summary>Keeps every running execution and the newest finished ones, as many as the engine and app.js keep.</summary>
    private void TrimLocked()
    {
        var finished = _executions.Values.Where(e => e.IsFinished).ToList();
        if (finished.Count <= options.Value.KeepFinished)
        {
            return;
        }

        foreach (var old in finished.OrderBy(e => e, NewestFirst.Instance).Skip(options.Value.KeepFinished))
        {
            _executions.Remove(old.Id);
        }
    }

    private static string? Text(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static double? Number(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetDouble(out var number)
            ? number
            : null;

    /// <summary>Newest first: by start time, then by id (app.js does the same).</summary>
    private sealed class NewestFirst : IComparer<ExecutionModel>
    {
        public static readonly NewestFirst Instance = new();

        public int Compare(ExecutionModel? x, ExecutionModel? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            var byTime = y.StartedAt.CompareTo(x.StartedAt);
            return byTime != 0 ? byTime : ExecutionIds.Compare(y.Id, x.Id);
        }
    }

    private sealed class ExecutionModel(string id, DateTimeOffset firstSeen)
    {
        private readonly SortedDictionary<string, AgentModel> _agents = new(ExecutionIds.Comparer);

        public string Id { get; } = id;

        public string Workflow { get; private set; } = "";

        public string Status { get; private set; } = "running";

        public double Percent { get; private set; }

        public DateTimeOffset StartedAt { get; private set; } = firstSeen;

        public DateTimeOffset? FinishedAt { get; private set; }

        public string? Error { get; private set; }

        public bool IsFinished => Status != "running";

        public void ApplyExecutionEvent(string type, JsonElement data, DateTimeOffset time)
        {
            switch (type)
            {
                case EventTypes.Execution.Started:
                    (Status, StartedAt, FinishedAt, Error) = ("running", time, null, null);
                    Workflow = Text(data, "name") ?? Workflow;
                    break;
                case EventTypes.Execution.Progress:
                    Percent = Number(data, "percent") ?? Percent;
                    break;
                case EventTypes.Execution.Completed:
                    (Status, Percent, FinishedAt) = ("completed", 100, time);
                    break;
                case EventTypes.Execution.Failed:
                    (Status, FinishedAt, Error) = ("failed", time, Text(data, "error") ?? "failed");
                    StopAgents("stopped: another agent failed");
                    break;
                case EventTypes.Execution.Cancelled:
                case EventTypes.Execution.TimedOut:
                    (Status, FinishedAt) = (type["execution.".Length..], time);
                    StopAgents("cancelled");
                    break;
                default:
                    break;
            }
        }

        public void ApplyAgentEvent(string agentId, string type, JsonElement data)
        {
            if (!_agents.TryGetValue(agentId, out var agent))
            {
                agent = new AgentModel(agentId, Text(data, "name") ?? agentId);
                _agents[agentId] = agent;
            }

            agent.Apply(type, data);
        }

        public ExecutionState ToState() =>
            new(Id, Workflow, Status, Percent, StartedAt, FinishedAt, Error, [.. _agents.Values.Select(a => a.ToState())]);

        /// <summary>The engine stops the agents still working when an execution fails or is cancelled, without events for them.</summary>
        private void StopAgents(string step)
        {
            foreach (var agent in _agents.Values)
            {
                agent.Stop(step);
            }
        }
    }

    private sealed class AgentModel(string id, string role)
    {
        private string _role = role;
        private string _status = "waiting";
        private double _percent;
        private string? _step;

        public void Apply(string type, JsonElement data)
        {
            switch (type)
            {
                case EventTypes.Agent.Started:
                    (_status, _percent, _step) = ("running", 0, "starting");
                    _role = Text(data, "name") ?? _role;
                    break;
                case EventTypes.Agent.Progress:
                    (_status, _percent) = ("running", Number(data, "percent") ?? 0);
                    _step = Text(data, "message") ?? _step;
                    break;
                case EventTypes.Task.Progress when Text(data, "message") is { Length: > 0 } message:
                    var percent = Math.Round(Number(data, "percent") ?? 0, MidpointRounding.AwayFromZero);
                    _step = $"{message} · {percent.ToString(CultureInfo.InvariantCulture)}%";
                    break;
                case EventTypes.Agent.Completed:
                    (_status, _percent, _step) = ("completed", 100, Text(data, "message") ?? "done");
                    break;
                case EventTypes.Agent.Failed:
                    (_status, _step) = ("failed", Text(data, "error") ?? "failed");
                    break;
                case EventTypes.Agent.Cancelled:
                    _status = "cancelled";
                    break;
                default:
                    break;
            }
        }

        public void Stop(string step)
        {
            if (_status is "running" or "waiting")
            {
                (_status, _step) = ("cancelled", step);
            }
        }

        public AgentState ToState() => new(id, _role, _status, _percent, _step);
    }
}
