namespace RealtimeEvents.SampleHost.Engine;

/// <summary>Settings of the simulated workflow engine (configuration section "Simulator").</summary>
public sealed class SimulatorOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Simulator";

    /// <summary>Gets or sets a value indicating whether executions start on their own, so the dashboard is alive at once. The default value is true.</summary>
    public bool Trickle { get; set; } = true;

    /// <summary>
    /// Gets or sets what this node's execution ids start with: it numbers its executions <c>{IdPrefix}1</c>,
    /// <c>{IdPrefix}2</c>, ... Nodes that share one event log need different prefixes (appsettings.NodeA.json and
    /// NodeB.json set <c>exec-a-</c> and <c>exec-b-</c>), or both would publish to <c>executions/exec-1</c>. Letters,
    /// digits, '-', '_', '.', ':' or '@'. The default value is <c>exec-</c>.
    /// </summary>
    public string IdPrefix { get; set; } = "exec-";

    /// <summary>Returns whether <paramref name="prefix"/> followed by a number is one topic segment, as an execution id must be.</summary>
    public static bool IsValidIdPrefix(string? prefix) =>
        prefix is not null && !prefix.Contains('/', StringComparison.Ordinal) && EventNames.IsValidTopic(prefix + "1");

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
