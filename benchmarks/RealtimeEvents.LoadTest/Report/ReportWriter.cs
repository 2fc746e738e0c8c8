using System.Globalization;
using System.Text;
using System.Text.Json;
using RealtimeEvents.LoadTest.Orchestration;

namespace RealtimeEvents.LoadTest.Report;

/// <summary>Turns a run into Markdown tables (printed, and saved as report.md), results.json, results.csv and two SVG charts.</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void PrintTables(LoadRunResult run, TextWriter output) => output.WriteLine(Markdown(run));

    public static IReadOnlyList<string> WriteFiles(LoadRunResult run, string directory)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>
        {
            Write(directory, "results.json", JsonSerializer.Serialize(run, JsonOptions)),
            Write(directory, "results.csv", Csv(run)),
            Write(directory, "report.md", Markdown(run)),
            Write(directory, "throughput.svg", SvgCharts.Throughput(run)),
            Write(directory, "latency.svg", SvgCharts.Latency(run)),
        };
        return files;
    }

    private static string Write(string directory, string name, string content)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public static string Markdown(LoadRunResult run)
    {
        var md = new StringBuilder();
        var signalR = run.Scenarios.FirstOrDefault(s => s.Name == "signalr" && s.Error is null);
        var handRolled = run.Scenarios.FirstOrDefault(s => s.Name == "handrolled" && s.Error is null);

        md.AppendLine(Inv($"Max rate every client kept up with ({run.Clients:N0} clients, {run.Scenarios.FirstOrDefault()?.EventJsonBytes ?? run.EventBytes}-byte events; deliveries/s = events all clients received ÷ (publishing + drain time), as measured at that rate):"));
        md.AppendLine();
        md.AppendLine("| scenario | events/s | deliveries/s | × plain SignalR | × hand-rolled | server CPU (cores) | clients CPU (cores) | server RSS peak |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var s in run.Scenarios)
        {
            if (s.Error is not null)
            {
                md.AppendLine(Inv($"| {s.Name} | failed: {s.Error.Replace('|', '/')} | | | | | | |"));
                continue;
            }

            md.AppendLine(Inv(
                $"| {s.Name} | {s.MaxRate:N0} | {s.MaxDeliveredPerSecond:N0} | {Times(s.MaxDeliveredPerSecond, signalR?.MaxDeliveredPerSecond)} | {Times(s.MaxDeliveredPerSecond, handRolled?.MaxDeliveredPerSecond)} | {s.ServerCpuCoresAtMax:0.00} | {s.ClientCpuCoresAtMax:0.00} | {s.ServerRssPeakBytes / 1048576.0:N0} MiB |"));
        }

        md.AppendLine();
        md.AppendLine(Inv($"Latency from each event's due time to its receipt, every delivery of the run (ms); rates are fractions of the reference max: {References(run)}:"));
        md.AppendLine();
        md.AppendLine("| scenario | rate (events/s) | of the reference max | reference | p50 | p99 | p99.9 | max | kept up | missing | overflow notices |");
        md.AppendLine("|---|--:|--:|---|--:|--:|--:|--:|---|--:|--:|");
        foreach (var s in run.Scenarios)
        {
            foreach (var p in s.Latency)
            {
                var l = p.Step.Latency;
                md.AppendLine(Inv(
                    $"| {s.Name} | {p.Step.Rate:N0} | {p.Fraction:P0} | {Reference(s)} | {Ms(l?.P50Us)} | {Ms(l?.P99Us)} | {Ms(l?.P999Us)} | {Ms(l?.MaxUs)} | {(p.Step.KeptUp ? "yes" : "no")} | {p.Step.Missing:N0} | {p.Step.OverflowNotices:N0} |"));
            }
        }

        md.AppendLine();
        md.AppendLine(Inv($"One client stops reading (rate: the middle latency run's, 50 % of the reference max: {References(run)}; compared with that run, same rate, no stall):"));
        md.AppendLine();
        md.AppendLine("| scenario | publisher | longest publish call (no stall) | others' rate vs no stall | others' lowest second (of due) | others' p99 | others missing | server connections before → after | stalled connection | server memory held: managed (noisy) / RSS | queue bound |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|");
        foreach (var s in run.Scenarios)
        {
            if (s.Stall is not { } st)
            {
                continue;
            }

            var publisher = st.NotComparable
                ? "not comparable (the no-stall run at this rate did not keep up)" + (st.Step.TimedOut ? "; timed out" : "")
                : (st.PublisherBlocked ? "**blocked**" : "not blocked") + (st.Step.TimedOut ? " (timed out)" : "");
            var ratio = st.NotComparable ? "not comparable" : st.OthersRateRatio is { } r ? Inv($"{r:0.00}×") : "-";
            var lowest = st.OthersLowestSecondPerSecond is { } low ? Inv($"{low:N0}/s ({st.OthersLowestSecondRatio:P0})") : "-";
            var p99 = st.P99LowerBoundUs is { } bound ? Inv($"> {Ms(bound)} ms (blocked)") : Ms(st.Step.Latency?.P99Us) + " ms";
            var connection = st.StalledConnectionDropped
                ? "dropped by the server" + (st.StalledConnectionDroppedAfterSeconds is { } after ? Inv($" after {after:0.0} s") : "")
                : "kept";
            md.AppendLine(Inv(
                $"| {s.Name} | {publisher} | {st.Step.MaxPublishMilliseconds:N1} ms ({st.ReferenceMaxPublishMilliseconds:N1} ms) | {ratio} | {lowest} | {p99} | {st.Step.Missing:N0} | {st.ServerConnectionsBefore:N0} → {st.ServerConnectionsAfter:N0} | {connection} | {st.HeldManagedBytes / 1024.0:N0} / {st.HeldRssBytes / 1024.0:N0} KiB | {(st.QueueBoundBytes > 0 ? Inv($"{st.QueueBoundBytes / 1024.0:N0} KiB") : "none")} |"));
        }

        md.AppendLine();
        md.AppendLine("Server memory per idle connection (subscribed, no events):");
        md.AppendLine();
        md.AppendLine("| scenario | connections | RSS per connection | managed heap per connection | RSS × plain SignalR |");
        md.AppendLine("|---|--:|--:|--:|--:|");
        foreach (var s in run.Scenarios)
        {
            if (s.Idle is not { } idle)
            {
                continue;
            }

            md.AppendLine(Inv(
                $"| {s.Name} | {idle.Connected:N0} | {idle.RssPerConnectionBytes / 1024:N1} KiB | {idle.ManagedPerConnectionBytes / 1024:N1} KiB | {Times(idle.RssPerConnectionBytes, signalR?.Idle?.RssPerConnectionBytes)} |"));
        }

        if (run.Capacity.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Capacity: idle connections one server held:");
            md.AppendLine();
            md.AppendLine("| scenario | target | held | RSS per connection | server open-files limit | what stopped it |");
            md.AppendLine("|---|--:|--:|--:|---|---|");
            foreach (var c in run.Capacity)
            {
                md.AppendLine(Inv(
                    $"| {c.Scenario} | {c.Target:N0} | {c.Reached:N0} | {(c.ServerExited ? "-" : Inv($"{c.RssPerConnectionBytes / 1024:N1} KiB"))} | {c.ServerOpenFilesLimit} | {c.Limit.Replace('|', '/')} |"));
            }
        }

        md.AppendLine();
        md.AppendLine("| target | measured | met |");
        md.AppendLine("|---|---|---|");
        foreach (var t in run.Targets)
        {
            md.AppendLine($"| {t.Target} | {t.Measured.Replace('|', '/')} | {(t.Met is { } met ? (met ? "yes" : "**no**") : "-")} |");
        }

        return md.ToString();
    }

    private static string Csv(LoadRunResult run)
    {
        var csv = new StringBuilder();
        csv.AppendLine("scenario,phase,fraction,rate,seconds,readers,published,expected,received,missing,duplicates,overflow_notices,dropped_announced,kept_up,timed_out,max_publish_ms,delivered_per_s,p50_us,p99_us,p999_us,max_us,server_cpu_cores,client_cpu_cores,server_rss_bytes");
        foreach (var s in run.Scenarios)
        {
            foreach (var step in s.Search)
            {
                Row(csv, s.Name, "search", 0, step);
            }

            foreach (var p in s.Latency)
            {
                Row(csv, s.Name, "latency", p.Fraction, p.Step);
            }

            if (s.Stall is { } stall)
            {
                Row(csv, s.Name, "stall", 0, stall.Step);
            }
        }

        return csv.ToString();
    }

    private static void Row(StringBuilder csv, string scenario, string phase, double fraction, StepResult s) =>
        csv.AppendLine(Inv(
            $"{scenario},{phase},{fraction:0.##},{s.Rate:0.###},{s.Seconds:0.###},{s.Readers},{s.Published},{s.Expected},{s.Received},{s.Missing},{s.Duplicates},{s.OverflowNotices},{s.DroppedAnnounced},{s.KeptUp},{s.TimedOut},{s.MaxPublishMilliseconds:0.###},{s.DeliveredPerSecond:0.#},{s.Latency?.P50Us:0.#},{s.Latency?.P99Us:0.#},{s.Latency?.P999Us:0.#},{s.Latency?.MaxUs:0.#},{s.ServerCpuCores:0.###},{s.ClientCpuCores:0.###},{s.ServerRssBytes}"));

    /// <summary>Whose max rate the latency fractions are of, per scenario: plain SignalR's, or the scenario's own when plain SignalR was not measured.</summary>
    private static string Reference(ScenarioResult s) =>
        s.LatencyReference is null ? "-"
        : s.LatencyReference == "signalr" ? Inv($"plain SignalR's ({s.LatencyReferenceRate:N0}/s)")
        : s.LatencyReference == s.Name ? Inv($"its own ({s.LatencyReferenceRate:N0}/s)")
        : Inv($"{s.LatencyReference}'s ({s.LatencyReferenceRate:N0}/s)");

    private static string References(LoadRunResult run)
    {
        var named = run.Scenarios.Where(s => s.Error is null && s.LatencyReference is not null).ToArray();
        if (named.Length == 0)
        {
            return "none measured";
        }

        return named.All(s => s.LatencyReference == "signalr")
            ? Inv($"plain SignalR's max, {named[0].LatencyReferenceRate:N0} events/s")
            : "per scenario, in the table (each scenario's own max where plain SignalR's was not measured first)";
    }

    private static string Times(double value, double? baseline) =>
        baseline is { } b && b > 0 ? Inv($"{value / b:0.00}×") : "-";

    private static string Ms(double? us) => us is { } v ? Inv($"{v / 1000:0.00}") : "-";

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
