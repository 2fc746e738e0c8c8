namespace RealtimeEvents;

/// <summary>
/// Builds the standard <c>execution.*</c> events on topic <c>executions/{executionId}</c>. Progress events carry a
/// conflation key, so a lagging subscriber gets the latest progress instead of every step.
/// </summary>
public static class ExecutionEvents
{
    /// <summary>Returns the topic of an execution, <c>executions/{executionId}</c>.</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <returns>The topic.</returns>
    /// <exception cref="ArgumentException">An id is not one topic segment, or the topic would be longer than <see cref="EventNames.MaxTopicLength"/>.</exception>
    public static string Topic(string executionId) =>
        StandardDrafts.CheckedTopic("executions/" + StandardDrafts.Segment(executionId, nameof(executionId)), nameof(executionId));

    /// <summary>Builds <c>execution.started</c>.</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="workflow">The workflow being executed, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Started(string executionId, string? workflow = null) =>
        StandardDrafts.Lifecycle(EventTypes.Execution.Started, Topic(executionId), executionId, workflow);

    /// <summary>Builds <c>execution.progress</c> (low priority, conflated per execution).</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="percent">Progress from 0 to 100.</param>
    /// <param name="message">What is happening now, if anything.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Progress(string executionId, double percent, string? message = null) =>
        StandardDrafts.Progress(EventTypes.Execution.Progress, Topic(executionId), executionId, percent, message);

    /// <summary>Builds <c>execution.completed</c>.</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="message">A summary, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Completed(string executionId, string? message = null) =>
        StandardDrafts.Lifecycle(EventTypes.Execution.Completed, Topic(executionId), executionId, message: message);

    /// <summary>Builds <c>execution.failed</c> (high priority).</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="error">What went wrong.</param>
    /// <param name="errorType">An error type or code, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Failed(string executionId, string error, string? errorType = null) =>
        StandardDrafts.Failure(EventTypes.Execution.Failed, Topic(executionId), executionId, error, errorType);

    /// <summary>Builds <c>execution.cancelled</c>.</summary>
    /// <param name="executionId">The execution id: one topic segment.</param>
    /// <param name="reason">Why it was cancelled, if known.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Cancelled(string executionId, string? reason = null) =>
        StandardDrafts.Lifecycle(EventTypes.Execution.Cancelled, Topic(executionId), executionId, message: reason);
}
