namespace RealtimeEvents.SampleHost;

/// <summary>Settings of the simulated workflow engine (configuration section "Simulator").</summary>
public sealed class WorkflowSimulatorOptions
{
    /// <summary>Gets or sets a value indicating whether new executions start on their own. The default value is true.</summary>
    public bool Trickle { get; set; } = true;

    /// <summary>Gets or sets the pause between new executions. The default value is 4 seconds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>Gets or sets how many executions to run before stopping; 0 runs forever. The default value is 0.</summary>
    public int MaxExecutions { get; set; }
}
