namespace RealtimeEvents.SampleHost.Engine;

/// <summary>
/// The dashboard's snapshot (registered for <c>executions/**</c>): every execution the engine knows. The position is
/// read before the state, and the engine changes its state before it publishes, so no event before the position is
/// missing from the state (some after it may already be in it; the dashboard applies events idempotently).
/// </summary>
public sealed class ExecutionSnapshots(WorkflowEngine engine, IEventBroadcaster broadcaster) : ISnapshotProvider
{
    public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken)
    {
        var position = broadcaster.CurrentPosition;
        var state = new EngineSnapshot(engine.List());
        return ValueTask.FromResult(new EventSnapshot(topic, EventData.From(state), position));
    }
}
