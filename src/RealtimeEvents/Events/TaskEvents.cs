namespace RealtimeEvents;

/// <summary>Builds the standard <c>task.*</c> events on topic <c>tasks/{taskId}</c>.</summary>
public static class TaskEvents
{
    /// <summary>Returns the topic of a task, <c>tasks/{taskId}</c>.</summary>
    /// <param name="taskId">The task id: one topic segment.</param>
    /// <returns>The topic.</returns>
    /// <exception cref="ArgumentException">An id is not one topic segment, or the topic would be longer than <see cref="EventNames.MaxTopicLength"/>.</exception>
    public static string Topic(string taskId) =>
        StandardDrafts.CheckedTopic("tasks/" + StandardDrafts.Segment(taskId, nameof(taskId)), nameof(taskId));

    /// <summary>Builds <c>task.queued</c>.</summary>
    /// <param name="taskId">The task id: one topic segment.</param>
    /// <param name="name">The task's name, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Queued(string taskId, string? name = null) =>
        StandardDrafts.Lifecycle(EventTypes.Task.Queued, Topic(taskId), taskId, name);

    /// <summary>Builds <c>task.started</c>.</summary>
    /// <param name="taskId">The task id: one topic segment.</param>
    /// <param name="name">The task's name, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Started(string taskId, string? name = null) =>
        StandardDrafts.Lifecycle(EventTypes.Task.Started, Topic(taskId), taskId, name);

    /// <summary>Builds <c>task.progress</c> (low priority, conflated per task).</summary>
    /// <param name="taskId">The task id: one topic segment.</param>
    /// <param name="percent">Progress from 0 to 100.</param>
    /// <param name="message">What is happening now, if anything.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Progress(string taskId, double percent, string? message = null) =>
        StandardDrafts.Progress(EventTypes.Task.Progress, Topic(taskId), taskId, percent, message);

    /// <summary>Builds <c>task.completed</c>.</summary>
    /// <param name="taskId">The task id: one topic segment.</param>
    /// <param name="message">A summary, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Completed(string taskId, string? message = null) =>
        StandardDrafts.Lifecycle(EventTypes.Task.Completed, Topic(taskId), taskId, message: message);

    /// <summary>Builds <c>task.failed</c> (high priority).</summary>
    /// <param name="taskId">The task id: one topic segment.</param>
    /// <param name="error">What went wrong.</param>
    /// <param name="errorType">An error type or code, if any.</param>
    /// <returns>The event to publish.</returns>
    public static EventDraft Failed(string taskId, string error, string? errorType = null) =>
        StandardDrafts.Failure(EventTypes.Task.Failed, Topic(taskId), taskId, error, errorType);
}
