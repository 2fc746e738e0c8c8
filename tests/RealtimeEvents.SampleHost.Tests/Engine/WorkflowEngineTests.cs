using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeEvents.SampleHost.Engine;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SampleHost.Tests.Engine;

/// <summary>
/// The sample's engine when the event log refuses events (a broker that is down): the execution ends as failed in the
/// engine's own state instead of staying "running", and a refused final event leaves the state as it is.
/// </summary>
public sealed class WorkflowEngineTests : IDisposable
{
    private readonly Lifetime _lifetime = new();

    public void Dispose() => _lifetime.Dispose();

    [Fact]
    public async Task TheLogRefusingTheFirstEvent_EndsTheExecutionAsFailed_AndItsAgentsStopped()
    {
        var publisher = new RefusingPublisher(accept: 0);
        var engine = CreateEngine(publisher);

        var started = engine.Start("refused", agents: 2);
        await publisher.Attempted(EventTypes.Execution.Failed).WithTimeout(); // the engine ends its state before it publishes
        var state = engine.Get(started.Id)!;

        Assert.Equal("running", started.Status);
        Assert.Equal("failed", state.Status);
        Assert.StartsWith("could not publish: ", state.Error, StringComparison.Ordinal);
        Assert.Contains(RefusingPublisher.Reason, state.Error, StringComparison.Ordinal);
        Assert.NotNull(state.FinishedAt);
        Assert.All(state.Agents, a => Assert.Equal("cancelled", a.Status));
        Assert.Equal(0, engine.Running);
        Assert.Equal([EventTypes.Execution.Started, EventTypes.Execution.Failed], publisher.Types);
    }

    [Fact]
    public async Task TheLogRefusingAnAgentsEvent_EndsTheExecutionAsFailed_AndStopsTheOtherAgents()
    {
        var publisher = new RefusingPublisher(accept: 3); // execution.started and both agent.started get through
        var engine = CreateEngine(publisher);

        var started = engine.Start("refused-later", agents: 2);
        await publisher.Attempted(EventTypes.Execution.Failed).WithTimeout();
        var state = engine.Get(started.Id)!;

        Assert.Equal("failed", state.Status);
        Assert.StartsWith("could not publish: ", state.Error, StringComparison.Ordinal);
        Assert.Contains(state.Agents, a => a.Status == "failed" && a.Step == "could not publish"); // both, if both were publishing
        Assert.DoesNotContain(state.Agents, a => a.Status is "running" or "waiting");
        Assert.Equal(0, engine.Running);
        Assert.Equal(EventTypes.Execution.Failed, publisher.Types[^1]);
    }

    [Fact]
    public async Task TheLogRefusingTheFinalEvent_LeavesTheExecutionCompleted()
    {
        var publisher = new RefusingPublisher(accept: int.MaxValue, refuse: EventTypes.Execution.Completed);
        var engine = CreateEngine(publisher);

        var started = engine.Start("completed-unseen", agents: 1);
        await publisher.Attempted(EventTypes.Execution.Completed).WithTimeout();
        var state = engine.Get(started.Id)!;

        Assert.Equal("completed", state.Status);
        Assert.Null(state.Error);
        Assert.Equal(100, state.Percent);
        Assert.Equal(0, engine.Running);
    }

    [Fact]
    public void Ids_StartWithTheConfiguredPrefix()
    {
        var engine = CreateEngine(new RefusingPublisher(accept: int.MaxValue), prefix: "exec-b-");

        var first = engine.Start(agents: 1);
        var second = engine.Start(agents: 1);

        Assert.Equal("exec-b-1", first.Id);
        Assert.Equal("exec-b-2", second.Id);
        Assert.Equal(["exec-b-2", "exec-b-1"], engine.List().Select(e => e.Id));
    }

    private WorkflowEngine CreateEngine(IEventPublisher publisher, string prefix = "exec-") =>
        new(publisher, Options.Create(new SimulatorOptions
        {
            IdPrefix = prefix,
            Trickle = false,
            Steps = 2,
            MinStepDuration = TimeSpan.FromMilliseconds(1),
            MaxStepDuration = TimeSpan.FromMilliseconds(2),
            FailureRate = 0,
        }), TimeProvider.System, _lifetime, NullLogger<WorkflowEngine>.Instance);

    /// <summary>Accepts the first <c>accept</c> events (and none of type <c>refuse</c>), then throws as a log whose broker is down.</summary>
    private sealed class RefusingPublisher(int accept, string? refuse = null) : IEventPublisher
    {
        public const string Reason = "the broker is down (test)";

        private readonly ConcurrentQueue<string> _types = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _attempted = new(StringComparer.Ordinal);
        private long _sequence;

        /// <summary>Gets the types of every event offered, accepted or not, in order.</summary>
        public IReadOnlyList<string> Types => [.. _types];

        /// <summary>Completes when an event of <paramref name="type"/> has been offered.</summary>
        public Task Attempted(string type) => Signal(type).Task;

        public ValueTask<RealtimeEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default)
        {
            _types.Enqueue(draft.Type);
            try
            {
                var sequence = Interlocked.Increment(ref _sequence);
                if (sequence > accept || draft.Type == refuse)
                {
                    throw new EventLogUnavailableException("The event was not published: " + Reason + ".");
                }

                return ValueTask.FromResult(RealtimeEvent.Create(draft, "e" + sequence, TimeProvider.System.GetUtcNow(), new EventPosition("test", sequence)));
            }
            finally
            {
                Signal(draft.Type).TrySetResult();
            }
        }

        public bool TryPublish(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? published)
        {
            published = null;
            return false;
        }

        private TaskCompletionSource Signal(string type) =>
            _attempted.GetOrAdd(type, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    /// <summary>The host's lifetime; disposing it stops what the engine still runs (the token stays readable for it).</summary>
    private sealed class Lifetime : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();

        public void Dispose() => _stopping.Cancel();
    }
}
