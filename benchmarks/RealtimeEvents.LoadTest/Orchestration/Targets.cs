using System.Globalization;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>The load targets of the benchmark report, checked against one run (meaningful for a full-mode run).</summary>
internal static class Targets
{
    public static IReadOnlyList<TargetCheck> Check(IReadOnlyList<ScenarioResult> results, IReadOnlyList<CapacityResult> capacity, RunOptions options)
    {
        var checks = new List<TargetCheck>();
        var signalR = Find(results, Scenario.PlainSignalR);
        var ws = Find(results, Scenario.RealtimeWebSocket);
        var hub = Find(results, Scenario.RealtimeSignalR);

        Ratio(checks, "WebSocket endpoint delivered events/s >= 1.5x plain SignalR", ws, signalR, r => r.MaxDeliveredPerSecond, 1.5, higherIsBetter: true);
        Ratio(checks, "SignalR adapter delivered events/s >= 0.9x plain SignalR", hub, signalR, r => r.MaxDeliveredPerSecond, 0.9, higherIsBetter: true);

        var signalRMiddle = Middle(signalR);
        foreach (var scenario in results.Where(r => Scenarios.Parse(r.Name).IsRealtimeEvents()))
        {
            var middle = Middle(scenario);
            if (middle?.Latency is null)
            {
                checks.Add(new TargetCheck($"{scenario.Name}: p99 at 50% of plain SignalR's max rate <= 20 ms and <= plain SignalR's", "not measured", null));
                continue;
            }

            var p99 = middle.Latency.P99Us / 1000;
            var baseline = signalRMiddle?.Latency?.P99Us / 1000;
            checks.Add(new TargetCheck(
                $"{scenario.Name}: p99 at 50% of plain SignalR's max rate <= 20 ms and <= plain SignalR's",
                Invariant($"{p99:0.00} ms (plain SignalR {(baseline is { } b ? b.ToString("0.00", CultureInfo.InvariantCulture) + " ms" : "not measured")}) at {middle.Rate:N0} events/s, 50% of {(scenario.LatencyReference == Scenario.PlainSignalR.Name() ? "plain SignalR's" : "its own (plain SignalR's was not measured)")} max"),
                p99 <= 20 && (baseline is null || p99 <= baseline)));
        }

        foreach (var scenario in results.Where(r => Scenarios.Parse(r.Name).IsRealtimeEvents()))
        {
            if (scenario.Stall is not { } stall)
            {
                checks.Add(new TargetCheck($"{scenario.Name}: stalled client: publisher never blocks, others >= 0.9x, memory within the queue bound", "not measured", null));
                continue;
            }

            var measured = Invariant(
                $"publisher {(stall.PublisherBlocked ? "blocked" : "not blocked")} (longest call {stall.Step.MaxPublishMilliseconds:0.0} ms), others {(stall.OthersRateRatio is { } r ? Invariant($"{r:0.00}x") : "-")} (lowest second {stall.OthersLowestSecondRatio:P0} of due), held {stall.HeldManagedBytes / 1024.0:N0} KiB managed (noisy) of a {stall.QueueBoundBytes / 1024.0:N0} KiB bound");
            checks.Add(new TargetCheck(
                $"{scenario.Name}: stalled client: publisher never blocks, others >= 0.9x, memory within the queue bound",
                stall.NotComparable ? "not comparable: the no-stall run at this rate did not keep up; " + measured : measured,
                stall.NotComparable ? null : !stall.PublisherBlocked && stall.OthersRateRatio >= 0.9 && stall.HeldManagedBytes <= stall.QueueBoundBytes));
        }

        Ratio(checks, "memory per idle WebSocket connection <= 0.5x plain SignalR's (RSS)", ws, signalR, r => r.Idle?.RssPerConnectionBytes ?? 0, 0.5, higherIsBetter: false);
        if (capacity.FirstOrDefault(c => c.Scenario == Scenario.RealtimeWebSocket.Name()) is { } held)
        {
            checks.Add(new TargetCheck(
                Invariant($"hold {options.Capacity:N0} idle WebSocket connections"),
                Invariant($"{held.Reached:N0} held; {held.Limit}; the server's open-files limit is {held.ServerOpenFilesLimit}"),
                held.Reached >= options.Capacity));
        }

        return checks;
    }

    private static ScenarioResult? Find(IReadOnlyList<ScenarioResult> results, Scenario scenario) =>
        results.FirstOrDefault(r => r.Name == scenario.Name() && r.Error is null);

    private static StepResult? Middle(ScenarioResult? result) =>
        result?.Latency.FirstOrDefault(p => Math.Abs(p.Fraction - 0.5) < 1e-9)?.Step;

    private static void Ratio(List<TargetCheck> checks, string target, ScenarioResult? subject, ScenarioResult? baseline, Func<ScenarioResult, double> measure, double bound, bool higherIsBetter)
    {
        if (subject is null || baseline is null || measure(baseline) <= 0)
        {
            checks.Add(new TargetCheck(target, "not measured (both scenarios are needed)", null));
            return;
        }

        var ratio = measure(subject) / measure(baseline);
        checks.Add(new TargetCheck(target, Invariant($"{ratio:0.00}x ({measure(subject):N0} against {measure(baseline):N0})"), higherIsBetter ? ratio >= bound : ratio <= bound));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
