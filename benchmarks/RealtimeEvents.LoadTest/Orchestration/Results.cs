using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>One publishing step: the publisher's account, the clients' account, and the CPU both used.</summary>
/// <param name="Rate">Target rate, events/s published.</param>
/// <param name="Seconds">Target duration.</param>
/// <param name="Readers">Reading clients (connected, not stalled) at the start of the step.</param>
/// <param name="Published">Events the server published.</param>
/// <param name="Expected">Deliveries the clients should have got: published × readers.</param>
/// <param name="Received">Deliveries the reading clients got.</param>
/// <param name="Missing">Events skipped without an overflow notice: lost silently.</param>
/// <param name="Duplicates">Events received twice or out of order.</param>
/// <param name="OverflowNotices">Overflow notices received (RealtimeEvents: the queue dropped the oldest and said so).</param>
/// <param name="DroppedAnnounced">Events the overflow notices said were dropped.</param>
/// <param name="Drained">Whether every reading client had every event within the drain timeout after the publisher stopped.</param>
/// <param name="DrainMilliseconds">How long after the publisher stopped the last reading client had the last event.</param>
/// <param name="TimedOut">Whether the publisher hit its deadline with events unpublished (it was blocked).</param>
/// <param name="MaxPublishMilliseconds">The longest single publish call.</param>
/// <param name="BehindMilliseconds">How late the publisher finished against its schedule.</param>
/// <param name="DeliveredPerSecond">Deliveries per second: received / (publishing time + drain time).</param>
/// <param name="ServerCpuCores">Server CPU during the step, in cores (1.0 = one core busy).</param>
/// <param name="ClientCpuCores">Clients-process CPU during the step, in cores.</param>
/// <param name="ServerRssBytes">The server's resident set after the step.</param>
/// <param name="Disconnected">Clients that had lost their connection by the end of the step (since the start).</param>
/// <param name="Latency">Latency from each event's due time to its receipt, over every delivery of the step.</param>
/// <param name="KeptUp">
/// Published on schedule (within 250 ms), every event delivered to every reader, nothing dropped or duplicated, and the
/// last event at every reader within 250 ms of the publisher's end.
/// </param>
internal sealed record StepResult(
    double Rate,
    double Seconds,
    int Readers,
    long Published,
    long Expected,
    long Received,
    long Missing,
    long Duplicates,
    long OverflowNotices,
    long DroppedAnnounced,
    bool Drained,
    double DrainMilliseconds,
    bool TimedOut,
    double MaxPublishMilliseconds,
    double BehindMilliseconds,
    double DeliveredPerSecond,
    double ServerCpuCores,
    double ClientCpuCores,
    long ServerRssBytes,
    int Disconnected,
    LatencySummary? Latency,
    bool KeptUp);

/// <summary>A latency run at a fraction of the reference max rate.</summary>
internal sealed record LatencyPoint(double Fraction, StepResult Step);

/// <summary>The stalled-client run: one client stops reading while the publisher runs at the middle latency rate.</summary>
/// <param name="Rate">The rate, events/s.</param>
/// <param name="Step">The step with the stalled client (counts are the other clients').</param>
/// <param name="OthersRateRatio">The other clients' delivered rate per client against the same rate without a stall.</param>
/// <param name="PublisherBlocked">Whether the publisher was held up: timed out, fell behind by more than 100 ms, or one call took 100 ms or more.</param>
/// <param name="HeldManagedBytes">Managed heap after the stall minus before it (both after a full GC).</param>
/// <param name="HeldRssBytes">Resident set after minus before.</param>
/// <param name="QueueBoundBytes">RealtimeEvents only: the subscription queue's bound, capacity × event JSON size (0 for the baselines, which have no bound).</param>
/// <param name="StalledReceived">Events the stalled client had received before and while it stopped reading.</param>
internal sealed record StallResult(
    double Rate,
    StepResult Step,
    double OthersRateRatio,
    bool PublisherBlocked,
    long HeldManagedBytes,
    long HeldRssBytes,
    long QueueBoundBytes,
    long StalledReceived);

/// <summary>Server memory per idle connection: K connections subscribed and quiet.</summary>
internal sealed record IdleResult(
    int Requested,
    int Connected,
    long RssBeforeBytes,
    long RssAfterBytes,
    long ManagedBeforeBytes,
    long ManagedAfterBytes,
    double RssPerConnectionBytes,
    double ManagedPerConnectionBytes);

/// <summary>Everything measured for one scenario.</summary>
internal sealed record ScenarioResult(
    string Name,
    string Description,
    int Clients,
    int Connected,
    int EventJsonBytes,
    double MaxRate,
    double MaxDeliveredPerSecond,
    double ServerCpuCoresAtMax,
    double ClientCpuCoresAtMax,
    long ServerRssPeakBytes,
    IReadOnlyList<StepResult> Search,
    IReadOnlyList<LatencyPoint> Latency,
    StallResult? Stall,
    IdleResult? Idle,
    string? Error);

/// <summary>The capacity run: how many idle WebSocket connections one server held, and what stopped it.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Target">Connections the run tried to open.</param>
/// <param name="Reached">Connections the server held at the end (its own count), or the clients' count if the server died.</param>
/// <param name="Limit">What stopped the run: "reached the target", the first connect failure, or how the server failed.</param>
/// <param name="ServerOpenFilesLimit">The server process's open-files limit (soft / hard).</param>
/// <param name="ServerExited">Whether the server process had exited (crashed) by the end.</param>
/// <param name="ServerRssBytes">The server's resident set at the end.</param>
/// <param name="RssPerConnectionBytes">The resident set's growth divided by the connections held.</param>
internal sealed record CapacityResult(
    string Scenario, int Target, int Reached, string Limit, string ServerOpenFilesLimit, bool ServerExited, long ServerRssBytes, double RssPerConnectionBytes);

/// <summary>One target of the issue, checked against this run.</summary>
internal sealed record TargetCheck(string Target, string Measured, bool? Met);

/// <summary>The machine a run ran on.</summary>
internal sealed record MachineInfo(string Cpu, int ProcessorCount, string Os, string Runtime, long MemoryBytes, string OpenFilesLimit);

/// <summary>The whole run, as results.json holds it.</summary>
internal sealed record LoadRunResult(
    DateTimeOffset Started,
    double DurationSeconds,
    string Mode,
    string Command,
    MachineInfo Machine,
    int Clients,
    int EventBytes,
    string Log,
    IReadOnlyList<ScenarioResult> Scenarios,
    IReadOnlyList<CapacityResult> Capacity,
    IReadOnlyList<TargetCheck> Targets);
