namespace RealtimeEvents.SampleHost.Engine;

/// <summary>Settings of the simulated workflow engine (configuration section "Simulator").</summary>
public sealed class SimulatorOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Simulator";

    /// <summary>Gets or sets a value indicating whether executions start on their own, so the dashboard is alive at once. The default value is true.</summary>
    public bool Trickle { get; set; } = true;

    /// <summary>Gets or sets the pause between executions the trickle starts. The default value is 6 seconds.</summary>
    public TimeSpan TrickleInterval { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Gets or sets the most executions running at once; the trickle waits while there are this many. The default value is 4.</summary>
    public int MaxRunning { get; set; } = 4;

    /// <summary>Gets or sets the number of agents of an execution started without one. The default value is 3.</summary>
    public int Agents { get; set; } = 3;

    /// <summary>Gets or sets the steps each agent works through. The default value is 8.</summary>
    public int Steps { get; set; } = 8;

    /// <summary>Gets or sets the shortest step. The default value is 300 milliseconds.</summary>
    public TimeSpan MinStepDuration { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Gets or sets the longest step. The default value is 1.5 seconds.</summary>
    public TimeSpan MaxStepDuration { get; set; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>Gets or sets the chance that a step fails, from 0 to 1. The default value is 0.005.</summary>
    public double FailureRate { get; set; } = 0.005;

    /// <summary>Gets or sets how many finished executions the engine keeps for the list and the snapshot. The default value is 50.</summary>
    public int KeepFinished { get; set; } = 50;
}
