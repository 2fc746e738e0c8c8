using Microsoft.Extensions.Options;

namespace RealtimeEvents.SampleHost.Engine;

/// <summary>
/// Pretends to run workflows: an execution has a few agents that work through steps of random length, report progress
/// (conflated, so a lagging dashboard sees the latest value) and now and then fail. Every change is made to the state
/// first and published second, so a snapshot taken at a position never lacks an event before it.
/// </summary>
public sealed class WorkflowEngine(IEventPublisher publisher, IOptions<SimulatorOptions> options, TimeProvider time,
    Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
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
            var id = "exec-" + (++_next).ToString(System.Globalization.CultureInfo.InvariantCulture);
            execution = new Execution(id, workflow ?? Workflows[Random.Shared.Next(Workflows.Length)], time.GetUtcNow(),
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
                await publisher.PublishAsync(ExecutionEvents.Completed(execution.Id, $"{execution.Agents.Count} agents finished"), CancellationToken.None)
                    .ConfigureAwait(false);
            }
            else
            {
                var failed = execution.Agents.First(a => a.Status == "failed");
                var error = $"{failed.Role} failed: {failed.Step}";
                execution.Finish("failed", error, time.GetUtcNow());
                await publisher.PublishAsync(ExecutionEvents.Failed(execution.Id, error, "AgentFailure"), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (execution.CancelRequested)
        {
            foreach (var agent in execution.Agents.Where(a => a.Status is "waiting" or "running"))
            {
                agent.Update("cancelled", agent.Percent, "cancelled"); // also the agents the cancel reached before they started
            }

            execution.Finish("cancelled", null, time.GetUtcNow());
            await publisher.PublishAsync(ExecutionEvents.Cancelled(execution.Id, "cancelled from the dashboard"), CancellationToken.None).ConfigureAwait(false);
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

    private sealed class Execution(string id, string workflow, DateTimeOffset startedAt, IReadOnlyList<Agent> agents, CancellationTokenSource cancellation)
    {
        public string Id { get; } = id;

        public int Number { get; } = int.Parse(id.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);

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
