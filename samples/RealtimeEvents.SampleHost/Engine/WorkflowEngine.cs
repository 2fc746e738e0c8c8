using Microsoft.Extensions.Options;

namespace RealtimeEvents.SampleHost.Engine;

/// <summary>
/// Pretends to run workflows: an execution has a few agents that work through steps of random length, report progress
/// (conflated, so a lagging dashboard sees the latest value) and now and then fail. Every change is made to the state
/// first and published second. It numbers its executions <c>{IdPrefix}1</c>, <c>{IdPrefix}2</c>, ...
/// (<see cref="SimulatorOptions.IdPrefix"/>), so nodes that share one event log never publish to each other's topics.
/// When the event log cannot take an event (<see cref="EventLogUnavailableException"/>: a broker that is down), the
/// execution ends as failed in this engine's state, so it never stays "running" for ever.
/// </summary>
public sealed class WorkflowEngine(IEventPublisher publisher, IOptions<SimulatorOptions> options, TimeProvider time,
    Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime, ILogger<WorkflowEngine> logger)
{
    private static readonly string[] Roles = ["researcher", "planner", "coder", "reviewer", "writer", "tester", "analyst", "editor"];
    private static readonly string[] Workflows = ["research-report", "release-notes", "incident-review", "data-cleanup", "code-audit"];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Execution> _executions = new(StringComparer.Ordinal);
    private int _next;

    /// <summary>Gets the number of executions still running.</summary>
    public int Running
    {
        get
        {
            lock (_gate)
            {
                return _executions.Values.Count(e => e.Status == "running");
            }
        }
    }

    /// <summary>Starts an execution and returns its first state; it runs in the background.</summary>
    /// <param name="workflow">The workflow's name; a random one when null.</param>
    /// <param name="agents">How many agents, 1 to 8; the configured number when null.</param>
    public ExecutionState Start(string? workflow = null, int? agents = null)
    {
        var settings = options.Value;
        var count = agents ?? settings.Agents;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(agents));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Roles.Length, nameof(agents));
        Execution execution;
        lock (_gate)
        {
            var number = ++_next;
            var id = settings.IdPrefix + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            execution = new Execution(id, number, workflow ?? Workflows[Random.Shared.Next(Workflows.Length)], time.GetUtcNow(),
                [.. Roles.Take(count).Select((role, i) => new Agent("agent-" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), role))],
                CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping));
            _executions[id] = execution;
            Trim(settings.KeepFinished);
        }

        execution.Runner = Task.Run(() => RunAsync(execution, settings));
        return execution.ToState();
    }

    /// <summary>Asks a running execution to stop.</summary>
    /// <returns><see langword="null"/> when there is no such execution, false when it has already finished.</returns>
    public bool? Cancel(string id)
    {
        Execution? execution;
        lock (_gate)
        {
            if (!_executions.TryGetValue(id, out execution))
            {
                return null;
            }
        }

        return execution.RequestCancel();
    }

    /// <summary>Gets one execution's state.</summary>
    public ExecutionState? Get(string id)
    {
        lock (_gate)
        {
            return _executions.TryGetValue(id, out var execution) ? execution.ToState() : null;
        }
    }

    /// <summary>Gets every execution, newest first.</summary>
    public IReadOnlyList<ExecutionState> List()
    {
        lock (_gate)
        {
            return [.. _executions.Values.OrderByDescending(e => e.Number).Select(e => e.ToState())];
        }
    }

    private async Task RunAsync(Execution execution, SimulatorOptions settings)
    {
        var token = execution.Cancellation.Token;
        try
        {
            await publisher.PublishAsync(ExecutionEvents.Started(execution.Id, execution.Workflow), token).ConfigureAwait(false);
            var results = await Task.WhenAll(execution.Agents.Select(agent => RunAgentAsync(execution, agent, settings, token))).ConfigureAwait(false);
            if (results.All(ok => ok))
            {
                execution.Finish("completed", null, time.GetUtcNow());
                await PublishFinalAsync(execution, ExecutionEvents.Completed(execution.Id, $"{execution.Agents.Count} agents finished")).ConfigureAwait(false);
            }
            else
            {
                var failed = execution.Agents.First(a => a.Status == "failed");
                var error = $"{failed.Role} failed: {failed.Step}";
                execution.Finish("failed", error, time.GetUtcNow());
                await PublishFinalAsync(execution, ExecutionEvents.Failed(execution.Id, error, "AgentFailure")).ConfigureAwait(false);
            }
        }
        catch (EventLogUnavailableException ex)
        {
            // The event log refused an event (a broker that is down or did not confirm in time): the dashboards can no
            // longer follow this execution, so it ends here, as failed, instead of running on unseen or staying "running".
            logger.LogWarning(ex, "Execution {ExecutionId} failed: an event could not be published.", execution.Id);
            StopAgents(execution, "stopped: could not publish");
            var error = "could not publish: " + ex.Message;
            execution.Finish("failed", error, time.GetUtcNow());
            await PublishFinalAsync(execution, ExecutionEvents.Failed(execution.Id, error, "EventLogUnavailable")).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (execution.CancelRequested)
        {
            StopAgents(execution, "cancelled"); // also the agents the cancel reached before they started
            execution.Finish("cancelled", null, time.GetUtcNow());
            await PublishFinalAsync(execution, ExecutionEvents.Cancelled(execution.Id, "cancelled from the dashboard")).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException && lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // The host is stopping: publishing is closed, nothing more to tell.
        }
        finally
        {
            execution.Release();
        }
    }

    /// <summary>
    /// Publishes the event that ends an execution, whose state has already ended. When the event log refuses it too, that is
    /// logged and left there: the state stays as it is, and there is nothing more to try.
    /// </summary>
    private async Task PublishFinalAsync(Execution execution, EventDraft draft)
    {
        try
        {
            await publisher.PublishAsync(draft, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EventLogUnavailableException ex)
        {
            logger.LogWarning(ex, "Execution {ExecutionId} ended as {Status}, but its {EventType} event could not be published.",
                execution.Id, execution.Status, draft.Type);
        }
        catch (InvalidOperationException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // The host is stopping: publishing is closed.
        }
    }

    private static void StopAgents(Execution execution, string step)
    {
        foreach (var agent in execution.Agents.Where(a => a.Status is "waiting" or "running"))
        {
            agent.Update("cancelled", agent.Percent, step);
        }
    }

    private async Task<bool> RunAgentAsync(Execution execution, Agent agent, SimulatorOptions settings, CancellationToken token)
    {
        try
        {
            agent.Update("running", 0, "starting");
            await publisher.PublishAsync(AgentEvents.Started(execution.Id, agent.Id, agent.Role), token).ConfigureAwait(false);
            for (var step = 1; step <= settings.Steps; step++)
            {
                var what = $"step {step} of {settings.Steps}";
                var duration = settings.MinStepDuration + (settings.MaxStepDuration - settings.MinStepDuration) * Random.Shared.NextDouble();
                await Task.Delay(duration / 2, time, token).ConfigureAwait(false);
                await publisher.PublishAsync(TaskProgress(execution, agent, step, 50, what), token).ConfigureAwait(false);
                await Task.Delay(duration / 2, time, token).ConfigureAwait(false);
                if (Random.Shared.NextDouble() < settings.FailureRate)
                {
                    agent.Update("failed", agent.Percent, what + " timed out");
                    await publisher.PublishAsync(AgentEvents.Failed(execution.Id, agent.Id, what + " timed out", "Timeout"), token).ConfigureAwait(false);
                    execution.Cancellation.CancelAfter(TimeSpan.Zero); // the other agents stop: the execution has failed
                    return false;
                }

                var percent = Math.Round(step * 100.0 / settings.Steps, 1);
                agent.Update("running", percent, what);
                await publisher.PublishAsync(TaskProgress(execution, agent, step, 100, what), token).ConfigureAwait(false);
                await publisher.PublishAsync(AgentEvents.Progress(execution.Id, agent.Id, percent, what), token).ConfigureAwait(false);
                await publisher.PublishAsync(ExecutionEvents.Progress(execution.Id, execution.Percent, $"{agent.Role}: {what}"), token).ConfigureAwait(false);
            }

            agent.Update("completed", 100, "done");
            await publisher.PublishAsync(AgentEvents.Completed(execution.Id, agent.Id, "done"), token).ConfigureAwait(false);
            return true;
        }
        catch (EventLogUnavailableException)
        {
            // This agent's event was refused: the execution fails (RunAsync says why), so the other agents stop too.
            agent.Update("failed", agent.Percent, "could not publish");
            execution.Cancellation.CancelAfter(TimeSpan.Zero);
            throw;
        }
        catch (OperationCanceledException) when (!execution.CancelRequested && !lifetime.ApplicationStopping.IsCancellationRequested)
        {
            agent.Update("cancelled", agent.Percent, "stopped: another agent failed");
            return false;
        }
        catch (OperationCanceledException) when (execution.CancelRequested)
        {
            agent.Update("cancelled", agent.Percent, "cancelled");
            throw;
        }
    }

    /// <summary><c>task.progress</c> for the agent's current step, conflated per agent: a lagging client gets the latest.</summary>
    private static EventDraft TaskProgress(Execution execution, Agent agent, int step, double percent, string message)
    {
        var topic = AgentEvents.Topic(execution.Id, agent.Id);
        return new EventDraft(EventTypes.Task.Progress, topic)
        {
            Priority = EventPriority.Low,
            ConflationKey = topic + "#" + EventTypes.Task.Progress,
            Data = EventData.From(new TaskProgressData($"{agent.Id}-step-{step}", agent.Id, step, percent, message)),
        };
    }

    private void Trim(int keepFinished)
    {
        var finished = _executions.Values.Where(e => e.Status != "running").OrderByDescending(e => e.Number).Skip(keepFinished).ToList();
        foreach (var old in finished)
        {
            _executions.Remove(old.Id);
        }
    }

    private sealed record TaskProgressData(string Id, string Agent, int Step, double Percent, string Message);

    private sealed class Agent(string id, string role)
    {
        private readonly Lock _gate = new();

        public string Id { get; } = id;

        public string Role { get; } = role;

        public string Status { get; private set; } = "waiting";

        public double Percent { get; private set; }

        public string? Step { get; private set; }

        public void Update(string status, double percent, string step)
        {
            lock (_gate)
            {
                (Status, Percent, Step) = (status, percent, step);
            }
        }

        public AgentState ToState()
        {
            lock (_gate)
            {
                return new AgentState(Id, Role, Status, Percent, Step);
            }
        }
    }

    private sealed class Execution(string id, int number, string workflow, DateTimeOffset startedAt, IReadOnlyList<Agent> agents, CancellationTokenSource cancellation)
    {
        public string Id { get; } = id;

        public int Number { get; } = number;

        public string Workflow { get; } = workflow;

        public IReadOnlyList<Agent> Agents { get; } = agents;

        private readonly Lock _gate = new();
        private bool _released;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public Task? Runner { get; set; }

        public bool CancelRequested { get; private set; }

        public string Status { get; private set; } = "running";

        public double Percent => Math.Round(Agents.Average(a => a.ToState().Percent), 1);

        private DateTimeOffset? FinishedAt { get; set; }

        private string? Error { get; set; }

        public bool RequestCancel()
        {
            lock (_gate)
            {
                if (Status != "running" || _released)
                {
                    return false;
                }

                CancelRequested = true;
            }

            try
            {
                Cancellation.Cancel(); // outside the lock: the cancellation runs the agents' continuations on this thread
            }
            catch (ObjectDisposedException)
            {
                // The execution ended meanwhile; its runner saw CancelRequested or had already finished.
            }

            return true;
        }

        public void Release()
        {
            lock (_gate)
            {
                _released = true;
                Cancellation.Dispose();
            }
        }

        public void Finish(string status, string? error, DateTimeOffset at)
        {
            lock (_gate)
            {
                (Status, Error, FinishedAt) = (status, error, at);
            }
        }

        public ExecutionState ToState()
        {
            lock (_gate)
            {
                var agents = Agents.Select(a => a.ToState()).ToList();
                var percent = Status == "completed" ? 100 : Math.Round(agents.Average(a => a.Percent), 1);
                return new ExecutionState(Id, Workflow, Status, percent, startedAt, FinishedAt, Error, agents);
            }
        }
    }
}
