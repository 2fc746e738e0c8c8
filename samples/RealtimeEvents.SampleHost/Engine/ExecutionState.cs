namespace RealtimeEvents.SampleHost.Engine;

/// <summary>An execution as the API lists it and the snapshot carries it.</summary>
/// <param name="Id">The execution id, for example <c>exec-12</c>.</param>
/// <param name="Workflow">The workflow's name.</param>
/// <param name="Status"><c>running</c>, <c>completed</c>, <c>failed</c>, <c>cancelled</c> (or <c>timed_out</c>, from another publisher).</param>
/// <param name="Percent">Overall progress from 0 to 100.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it finished, if it has.</param>
/// <param name="Error">What went wrong, for a failed execution.</param>
/// <param name="Agents">Its agents.</param>
public sealed record ExecutionState(
    string Id, string Workflow, string Status, double Percent, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Error,
    IReadOnlyList<AgentState> Agents);

/// <summary>An agent of an execution.</summary>
/// <param name="Id">The agent id, unique within the execution.</param>
/// <param name="Role">What it does.</param>
/// <param name="Status"><c>waiting</c>, <c>running</c>, <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</param>
/// <param name="Percent">Its progress from 0 to 100.</param>
/// <param name="Step">What it is doing now.</param>
public sealed record AgentState(string Id, string Role, string Status, double Percent, string? Step);

/// <summary>What the dashboard's snapshot holds: every execution in the event log, newest first.</summary>
/// <param name="Executions">The executions.</param>
public sealed record EngineSnapshot(IReadOnlyList<ExecutionState> Executions);
