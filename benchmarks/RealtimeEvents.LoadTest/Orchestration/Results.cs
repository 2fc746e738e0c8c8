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

/// <summary>
/// The stalled-client run: one client stops reading while the publisher runs at the rate of the middle latency run (its
/// reference: the same rate without a stall, the same server, just before).
/// </summary>
/// <param name="Rate">The rate, events/s.</param>
/// <param name="Step">The step with the stalled client (counts are the other clients').</param>
/// <param name="NotComparable">
/// The reference run (same rate, no stall) did not keep up, so this rate overloads the scenario anyway: neither the
/// others' rate ratio nor "blocked" can be put down to the stalled client.
/// </param>
/// <param name="OthersRateRatio">The other clients' delivered rate per client against the reference run's; <see langword="null"/> when <paramref name="NotComparable"/>.</param>
/// <param name="OthersLowestSecondPerSecond">The others' lowest delivery rate in any whole second of the publishing (all of them together, deliveries/s); <see langword="null"/> when the run was shorter than a second.</param>
/// <param name="OthersLowestSecondRatio">That lowest second against what they should get each second (rate × readers).</param>
/// <param name="OthersPerSecond">The others' delivery rate in each (about) one-second interval of the publishing, deliveries/s, in order.</param>
/// <param name="PublisherBlocked">
/// Whether the publisher was held up: timed out, or finished more than 100 ms later against its schedule than in the
/// reference run, or its longest call was 100 ms or more and 100 ms longer than the reference run's longest.
/// </param>
/// <param name="ReferenceMaxPublishMilliseconds">The reference run's longest publish call.</param>
/// <param name="ReferenceBehindMilliseconds">How late the reference run's publisher finished.</param>
/// <param name="P99LowerBoundUs">
/// When the publisher timed out, events it never published have no latency sample, so the measured p99 is too low:
/// this is a lower bound of the true p99 (the measured one, or what the unpublished events alone force, whichever is
/// larger); <see langword="null"/> when every event was published.
/// </param>
/// <param name="ServerConnectionsBefore">The server's connection count before the stall.</param>
/// <param name="ServerConnectionsAfter">The server's connection count after the run (the client still stalled).</param>
/// <param name="StalledConnectionDropped">Whether the server ended the stalled client's connection (its count from the stall candidates' address went down).</param>
/// <param name="StalledConnectionDroppedAfterSeconds">When the server ended it, seconds after the client stopped reading.</param>
/// <param name="HeldManagedBytes">Managed heap after the stall minus before it (both after a full GC): noisy, a few hundred KiB either way.</param>
/// <param name="HeldRssBytes">Resident set after minus before (noisier still).</param>
/// <param name="QueueBoundBytes">RealtimeEvents only: the subscription queue's bound, capacity × event JSON size (0 for the baselines, which have no bound).</param>
/// <param name="StalledReceived">Events the stalled client had received before and while it stopped reading.</param>
internal sealed record StallResult(
    double Rate,
    StepResult Step,
    bool NotComparable,
    double? OthersRateRatio,
    double? OthersLowestSecondPerSecond,
    double? OthersLowestSecondRatio,
    IReadOnlyList<double> OthersPerSecond,
    bool PublisherBlocked,
    double ReferenceMaxPublishMilliseconds,
    double ReferenceBehindMilliseconds,
    double? P99LowerBoundUs,
    int ServerConnectionsBefore,
    int ServerConnectionsAfter,
    bool StalledConnectionDropped,
    double? StalledConnectionDroppedAfterSeconds,
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
/// <param name="Name">The scenario's name (signalr, handrolled, re-ws, re-sse, re-signalr).</param>
/// <param name="Description">What the scenario's server is.</param>
/// <param name="Clients">Client connections requested.</param>
/// <param name="Connected">Client connections made.</param>
/// <param name="EventJsonBytes">The size of one event's JSON.</param>
/// <param name="MaxRate">The highest rate a search step kept up with, events/s.</param>
/// <param name="MaxDeliveredPerSecond">That step's measured deliveries per second: received / (publishing + drain time).</param>
/// <param name="ServerCpuCoresAtMax">Server CPU at that step, in cores.</param>
/// <param name="ClientCpuCoresAtMax">Clients-process CPU at that step, in cores.</param>
/// <param name="ServerRssPeakBytes">The server's largest resident set seen.</param>
/// <param name="Search">The max-rate search's steps.</param>
/// <param name="Latency">The latency runs.</param>
/// <param name="Stall">The stalled-client run, if measured.</param>
/// <param name="Idle">Memory per idle connection, if measured.</param>
/// <param name="Error">Why the scenario could not be measured, or <see langword="null"/>.</param>
/// <param name="LatencyReference">Whose max rate the latency fractions are of: plain SignalR's, or the scenario's own when plain SignalR was not measured (first).</param>
/// <param name="LatencyReferenceRate">That max rate, events/s.</param>
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
    string? Error,
    string? LatencyReference = null,
    double LatencyReferenceRate = 0);

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
