namespace RealtimeEvents.SampleHost.Engine;

/// <summary>
/// The dashboard's snapshot (registered for <c>executions/**</c>): every execution in the event log, from the
/// <see cref="ExecutionProjection"/>, with the position of the last event the projection applied. The state reflects
/// exactly the events up to that position, on every node, so a dashboard that continues after it misses nothing, whichever
/// node runs the execution.
/// </summary>
public sealed class ExecutionSnapshots(ExecutionProjection projection) : ISnapshotProvider
{
    public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken)
    {
        var (executions, position) = projection.Read();
        return ValueTask.FromResult(new EventSnapshot(topic, EventData.From(new EngineSnapshot(executions)), position));
    }
}
