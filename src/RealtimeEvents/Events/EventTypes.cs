namespace RealtimeEvents;

/// <summary>
/// Well-known event types, grouped by category. Hosts may publish any other type that follows
/// <see cref="EventNames.TypeRule"/>; these constants are the shared vocabulary of dashboards and clients.
/// </summary>
public static class EventTypes
{
    /// <summary>Types of the <c>execution</c> category: a whole run of a workflow or job.</summary>
    public static class Execution
    {
        /// <summary>The category name, <c>execution</c>.</summary>
        public const string Category = "execution";

        /// <summary><c>execution.queued</c>.</summary>
        public const string Queued = "execution.queued";

        /// <summary><c>execution.started</c>.</summary>
        public const string Started = "execution.started";

        /// <summary><c>execution.progress</c>.</summary>
        public const string Progress = "execution.progress";

        /// <summary><c>execution.paused</c>.</summary>
        public const string Paused = "execution.paused";

        /// <summary><c>execution.resumed</c>.</summary>
        public const string Resumed = "execution.resumed";

        /// <summary><c>execution.completed</c>.</summary>
        public const string Completed = "execution.completed";

        /// <summary><c>execution.failed</c>.</summary>
        public const string Failed = "execution.failed";

        /// <summary><c>execution.cancelled</c>.</summary>
        public const string Cancelled = "execution.cancelled";

        /// <summary><c>execution.timed_out</c>.</summary>
        public const string TimedOut = "execution.timed_out";
    }

    /// <summary>Types of the <c>workflow</c> category: a workflow definition and its steps.</summary>
    public static class Workflow
    {
        /// <summary>The category name, <c>workflow</c>.</summary>
        public const string Category = "workflow";

        /// <summary><c>workflow.registered</c>.</summary>
        public const string Registered = "workflow.registered";

        /// <summary><c>workflow.updated</c>.</summary>
        public const string Updated = "workflow.updated";

        /// <summary><c>workflow.step_started</c>.</summary>
        public const string StepStarted = "workflow.step_started";

        /// <summary><c>workflow.step_completed</c>.</summary>
        public const string StepCompleted = "workflow.step_completed";

        /// <summary><c>workflow.step_failed</c>.</summary>
        public const string StepFailed = "workflow.step_failed";

        /// <summary><c>workflow.deleted</c>.</summary>
        public const string Deleted = "workflow.deleted";
    }

    /// <summary>Types of the <c>task</c> category: a unit of work inside an execution.</summary>
    public static class Task
    {
        /// <summary>The category name, <c>task</c>.</summary>
        public const string Category = "task";

        /// <summary><c>task.queued</c>.</summary>
        public const string Queued = "task.queued";

        /// <summary><c>task.started</c>.</summary>
        public const string Started = "task.started";

        /// <summary><c>task.progress</c>.</summary>
        public const string Progress = "task.progress";

        /// <summary><c>task.retrying</c>.</summary>
        public const string Retrying = "task.retrying";

        /// <summary><c>task.completed</c>.</summary>
        public const string Completed = "task.completed";

        /// <summary><c>task.failed</c>.</summary>
        public const string Failed = "task.failed";

        /// <summary><c>task.cancelled</c>.</summary>
        public const string Cancelled = "task.cancelled";
    }

    /// <summary>Types of the <c>agent</c> category: an AI agent taking part in an execution.</summary>
    public static class Agent
    {
        /// <summary>The category name, <c>agent</c>.</summary>
        public const string Category = "agent";

        /// <summary><c>agent.started</c>.</summary>
        public const string Started = "agent.started";

        /// <summary><c>agent.thinking</c>.</summary>
        public const string Thinking = "agent.thinking";

        /// <summary><c>agent.message</c>.</summary>
        public const string Message = "agent.message";

        /// <summary><c>agent.tool_called</c>.</summary>
        public const string ToolCalled = "agent.tool_called";

        /// <summary><c>agent.tool_completed</c>.</summary>
        public const string ToolCompleted = "agent.tool_completed";

        /// <summary><c>agent.progress</c>.</summary>
        public const string Progress = "agent.progress";

        /// <summary><c>agent.completed</c>.</summary>
        public const string Completed = "agent.completed";

        /// <summary><c>agent.failed</c>.</summary>
        public const string Failed = "agent.failed";

        /// <summary><c>agent.cancelled</c>.</summary>
        public const string Cancelled = "agent.cancelled";
    }

    /// <summary>Types of the <c>crew</c> category: a group of agents working together.</summary>
    public static class Crew
    {
        /// <summary>The category name, <c>crew</c>.</summary>
        public const string Category = "crew";

        /// <summary><c>crew.formed</c>.</summary>
        public const string Formed = "crew.formed";

        /// <summary><c>crew.started</c>.</summary>
        public const string Started = "crew.started";

        /// <summary><c>crew.member_joined</c>.</summary>
        public const string MemberJoined = "crew.member_joined";

        /// <summary><c>crew.member_left</c>.</summary>
        public const string MemberLeft = "crew.member_left";

        /// <summary><c>crew.completed</c>.</summary>
        public const string Completed = "crew.completed";

        /// <summary><c>crew.failed</c>.</summary>
        public const string Failed = "crew.failed";

        /// <summary><c>crew.cancelled</c>.</summary>
        public const string Cancelled = "crew.cancelled";
    }

    /// <summary>Types of the <c>queue</c> category: a work queue.</summary>
    public static class Queue
    {
        /// <summary>The category name, <c>queue</c>.</summary>
        public const string Category = "queue";

        /// <summary><c>queue.enqueued</c>.</summary>
        public const string Enqueued = "queue.enqueued";

        /// <summary><c>queue.dequeued</c>.</summary>
        public const string Dequeued = "queue.dequeued";

        /// <summary><c>queue.depth_changed</c>.</summary>
        public const string DepthChanged = "queue.depth_changed";

        /// <summary><c>queue.paused</c>.</summary>
        public const string Paused = "queue.paused";

        /// <summary><c>queue.resumed</c>.</summary>
        public const string Resumed = "queue.resumed";

        /// <summary><c>queue.drained</c>.</summary>
        public const string Drained = "queue.drained";
    }

    /// <summary>Types of the <c>memory</c> category: stored knowledge an agent reads and writes.</summary>
    public static class Memory
    {
        /// <summary>The category name, <c>memory</c>.</summary>
        public const string Category = "memory";

        /// <summary><c>memory.stored</c>.</summary>
        public const string Stored = "memory.stored";

        /// <summary><c>memory.retrieved</c>.</summary>
        public const string Retrieved = "memory.retrieved";

        /// <summary><c>memory.updated</c>.</summary>
        public const string Updated = "memory.updated";

        /// <summary><c>memory.evicted</c>.</summary>
        public const string Evicted = "memory.evicted";

        /// <summary><c>memory.cleared</c>.</summary>
        public const string Cleared = "memory.cleared";
    }

    /// <summary>Types of the <c>experiment</c> category: an experiment run and its trials.</summary>
    public static class Experiment
    {
        /// <summary>The category name, <c>experiment</c>.</summary>
        public const string Category = "experiment";

        /// <summary><c>experiment.started</c>.</summary>
        public const string Started = "experiment.started";

        /// <summary><c>experiment.trial_started</c>.</summary>
        public const string TrialStarted = "experiment.trial_started";

        /// <summary><c>experiment.trial_completed</c>.</summary>
        public const string TrialCompleted = "experiment.trial_completed";

        /// <summary><c>experiment.progress</c>.</summary>
        public const string Progress = "experiment.progress";

        /// <summary><c>experiment.metric</c>.</summary>
        public const string Metric = "experiment.metric";

        /// <summary><c>experiment.completed</c>.</summary>
        public const string Completed = "experiment.completed";

        /// <summary><c>experiment.failed</c>.</summary>
        public const string Failed = "experiment.failed";

        /// <summary><c>experiment.cancelled</c>.</summary>
        public const string Cancelled = "experiment.cancelled";
    }

    /// <summary>Types of the <c>benchmark</c> category: a benchmark run.</summary>
    public static class Benchmark
    {
        /// <summary>The category name, <c>benchmark</c>.</summary>
        public const string Category = "benchmark";

        /// <summary><c>benchmark.started</c>.</summary>
        public const string Started = "benchmark.started";

        /// <summary><c>benchmark.progress</c>.</summary>
        public const string Progress = "benchmark.progress";

        /// <summary><c>benchmark.result</c>.</summary>
        public const string Result = "benchmark.result";

        /// <summary><c>benchmark.completed</c>.</summary>
        public const string Completed = "benchmark.completed";

        /// <summary><c>benchmark.failed</c>.</summary>
        public const string Failed = "benchmark.failed";

        /// <summary><c>benchmark.cancelled</c>.</summary>
        public const string Cancelled = "benchmark.cancelled";
    }

    /// <summary>Types of the <c>system</c> category: the host itself.</summary>
    public static class System
    {
        /// <summary>The category name, <c>system</c>.</summary>
        public const string Category = "system";

        /// <summary><c>system.heartbeat</c>.</summary>
        public const string Heartbeat = "system.heartbeat";

        /// <summary><c>system.info</c>.</summary>
        public const string Info = "system.info";

        /// <summary><c>system.warning</c>.</summary>
        public const string Warning = "system.warning";

        /// <summary><c>system.error</c>.</summary>
        public const string Error = "system.error";

        /// <summary><c>system.shutdown</c>.</summary>
        public const string Shutdown = "system.shutdown";
    }

    /// <summary>Types of the <c>connection</c> category: a client connection to the realtime endpoint.</summary>
    public static class Connection
    {
        /// <summary>The category name, <c>connection</c>.</summary>
        public const string Category = "connection";

        /// <summary><c>connection.opened</c>.</summary>
        public const string Opened = "connection.opened";

        /// <summary><c>connection.closed</c>.</summary>
        public const string Closed = "connection.closed";

        /// <summary><c>connection.resumed</c>.</summary>
        public const string Resumed = "connection.resumed";

        /// <summary><c>connection.lagging</c>.</summary>
        public const string Lagging = "connection.lagging";
    }
}
