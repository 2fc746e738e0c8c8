namespace RealtimeEvents;

/// <summary>Payload of a lifecycle event (started, completed, cancelled) built by the standard factories.</summary>
/// <param name="Id">The id of the execution, agent or task.</param>
/// <param name="Name">An optional human-readable name, such as the workflow or agent role.</param>
/// <param name="Message">An optional message, such as a cancellation reason.</param>
public sealed record LifecycleData(string Id, string? Name = null, string? Message = null);

/// <summary>Payload of a progress event built by the standard factories.</summary>
/// <param name="Id">The id of the execution, agent or task.</param>
/// <param name="Percent">Progress from 0 to 100.</param>
/// <param name="Message">An optional message, such as the current step.</param>
public sealed record ProgressData(string Id, double Percent, string? Message = null);

/// <summary>Payload of a failure event built by the standard factories.</summary>
/// <param name="Id">The id of the execution, agent or task.</param>
/// <param name="Error">What went wrong.</param>
/// <param name="ErrorType">An optional error type or code.</param>
public sealed record FailureData(string Id, string Error, string? ErrorType = null);
