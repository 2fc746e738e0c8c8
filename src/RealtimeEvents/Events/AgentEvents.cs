namespace RealtimeEvents;

/// <summary>
/// Builds the standard <c>agent.*</c> events on topic <c>executions/{executionId}/agents/{agentId}</c>, so a
/// subscription to <c>executions/{executionId}/**</c> sees the execution and all of its agents.
/// </summary>
public static class AgentEvents
{
    /// <summary>Returns the topic of an agent within an execution.</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="agentId">The agent id: one topic segment.</param>
    /// <returns>The topic.</returns>
    /// <exception cref="ArgumentException">An id is not one topic segment, or the topic would be longer than <see cref="EventNames.MaxTopicLength"/>.</exception>
    public static string Topic(string executionId, string agentId) =>
        StandardDrafts.CheckedTopic(ExecutionEvents.Topic(executionId) + "/agents/" + StandardDrafts.Segment(agentId, nameof(agentId)), nameof(agentId));

    /// <summary>Builds <c>agent.started</c>.</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="agentId">The agent id: one topic segment.</param>
    /// <param name="role">The agent's role, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Started(string executionId, string agentId, string? role = null) =>
        StandardDrafts.Lifecycle(EventTypes.Agent.Started, Topic(executionId, agentId), agentId, role);

    /// <summary>Builds <c>agent.progress</c> (low priority, conflated per agent).</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="agentId">The agent id: one topic segment.</param>
    /// <param name="percent">Progress from 0 to 100.</param>
    /// <param name="message">What the agent is doing now, if anything.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Progress(string executionId, string agentId, double percent, string? message = null) =>
        StandardDrafts.Progress(EventTypes.Agent.Progress, Topic(executionId, agentId), agentId, percent, message);

    /// <summary>Builds <c>agent.completed</c>.</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="agentId">The agent id: one topic segment.</param>
    /// <param name="message">A summary, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Completed(string executionId, string agentId, string? message = null) =>
        StandardDrafts.Lifecycle(EventTypes.Agent.Completed, Topic(executionId, agentId), agentId, message: message);

    /// <summary>Builds <c>agent.failed</c> (high priority).</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="agentId">The agent id: one topic segment.</param>
    /// <param name="error">What went wrong.</param>
    /// <param name="errorType">An error type or code, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Failed(string executionId, string agentId, string error, string? errorType = null) =>
        StandardDrafts.Failure(EventTypes.Agent.Failed, Topic(executionId, agentId), agentId, error, errorType);
}
