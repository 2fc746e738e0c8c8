using System.Globalization;
using System.Security;
using System.Text;
using RealtimeEvents.LoadTest.Orchestration;

namespace RealtimeEvents.LoadTest.Report;

/// <summary>Two self-contained SVG charts (no script, no external font) that docs/benchmarks.md embeds.</summary>
internal static class SvgCharts
{
    private const int Width = 760;

    private static readonly Dictionary<string, string> Colors = new(StringComparer.Ordinal)
    {
        ["re-ws"] = "#1f77b4",
        ["re-sse"] = "#2ca02c",
        ["re-signalr"] = "#9467bd",
        ["signalr"] = "#d62728",
        ["handrolled"] = "#7f7f7f",
    };

    /// <summary>Max deliveries per second per scenario, as horizontal bars.</summary>
    public static string Throughput(LoadRunResult run)
    {
        var scenarios = run.Scenarios.Where(s => s.Error is null).ToArray();
        const int left = 190, top = 50, bar = 26, gap = 12, right = 150;
        var height = top + (scenarios.Length * (bar + gap)) + 40;
        var max = Math.Max(1, scenarios.Select(s => s.MaxDeliveredPerSecond).DefaultIfEmpty(1).Max());
        var scale = (Width - left - right) / max;
        var svg = Start(height, Inv($"Max deliveries/s every client kept up with ({run.Clients:N0} clients, {run.Mode} mode)"));
        var signalR = scenarios.FirstOrDefault(s => s.Name == "signalr")?.MaxDeliveredPerSecond;
        for (var i = 0; i < scenarios.Length; i++)
        {
            var s = scenarios[i];
            var y = top + (i * (bar + gap));
            var w = Math.Max(1, s.MaxDeliveredPerSecond * scale);
            var ratio = signalR is > 0 ? Inv($" ({s.MaxDeliveredPerSecond / signalR.Value:0.00}× SignalR)") : "";
            svg.AppendLine(Inv($"""<text x="{left - 8}" y="{y + 18}" text-anchor="end">{Escape(s.Name)}</text>"""));
            svg.AppendLine(Inv($"""<rect x="{left}" y="{y}" width="{w:0.#}" height="{bar}" fill="{Color(s.Name)}"/>"""));
            svg.AppendLine(Inv($"""<text x="{left + w + 6:0.#}" y="{y + 18}">{s.MaxDeliveredPerSecond:N0}{ratio}</text>"""));
        }

        svg.AppendLine(Inv($"""<line x1="{left}" y1="{top - 6}" x2="{left}" y2="{height - 34}" stroke="#333"/>"""));
        return End(svg);
    }

    /// <summary>p99 (solid) and p50 (dashed) latency against the publish rate, per scenario, on a log scale.</summary>
    public static string Latency(LoadRunResult run)
    {
        var series = run.Scenarios.Where(s => s.Error is null && s.Latency.Count > 0).ToArray();
        const int left = 70, top = 50, bottom = 60, right = 170, height = 420;
        var plotWidth = Width - left - right;
        var plotHeight = height - top - bottom;
        var points = series.SelectMany(s => s.Latency).Where(p => p.Step.Latency is not null).ToArray();
        var maxRate = Math.Max(1, points.Select(p => p.Step.Rate).DefaultIfEmpty(1).Max()) * 1.1;
        var maxMs = Math.Max(1, points.Select(p => p.Step.Latency!.P99Us / 1000).DefaultIfEmpty(1).Max());
        var minExponent = -2;
        var maxExponent = (int)Math.Ceiling(Math.Log10(maxMs));
        double X(double rate) => left + (rate / maxRate * plotWidth);
        double Y(double ms)
        {
            var clamped = Math.Max(Math.Pow(10, minExponent), ms);
            return top + plotHeight - ((Math.Log10(clamped) - minExponent) / (maxExponent - minExponent) * plotHeight);
        }

        var svg = Start(height, "Latency (due time → receipt) against publish rate; p99 solid, p50 dashed");
        for (var e = minExponent; e <= maxExponent; e++)
        {
            var y = Y(Math.Pow(10, e));
            svg.AppendLine(Inv($"""<line x1="{left}" y1="{y:0.#}" x2="{left + plotWidth}" y2="{y:0.#}" stroke="#ddd"/>"""));
            svg.AppendLine(Inv($"""<text x="{left - 6}" y="{y + 4:0.#}" text-anchor="end">{Math.Pow(10, e).ToString("0.##", CultureInfo.InvariantCulture)} ms</text>"""));
        }

        for (var i = 0; i <= 4; i++)
        {
            var rate = maxRate / 1.1 * i / 4;
            svg.AppendLine(Inv($"""<text x="{X(rate):0.#}" y="{top + plotHeight + 18}" text-anchor="middle">{rate:N0}</text>"""));
        }

        svg.AppendLine(Inv($"""<text x="{left + (plotWidth / 2)}" y="{height - 20}" text-anchor="middle">events/s published ({run.Clients:N0} clients each)</text>"""));
        svg.AppendLine(Inv($"""<rect x="{left}" y="{top}" width="{plotWidth}" height="{plotHeight}" fill="none" stroke="#333"/>"""));
        for (var i = 0; i < series.Length; i++)
        {
            var s = series[i];
            var color = Color(s.Name);
            var steps = s.Latency.Where(p => p.Step.Latency is not null).OrderBy(p => p.Step.Rate).ToArray();
            svg.AppendLine(Polyline(steps.Select(p => (X(p.Step.Rate), Y(p.Step.Latency!.P99Us / 1000))), color, dashed: false));
            svg.AppendLine(Polyline(steps.Select(p => (X(p.Step.Rate), Y(p.Step.Latency!.P50Us / 1000))), color, dashed: true));
            foreach (var p in steps)
            {
                svg.AppendLine(Inv($"""<circle cx="{X(p.Step.Rate):0.#}" cy="{Y(p.Step.Latency!.P99Us / 1000):0.#}" r="3.5" fill="{color}"/>"""));
            }

            var ly = top + 10 + (i * 20);
            svg.AppendLine(Inv($"""<line x1="{left + plotWidth + 14}" y1="{ly}" x2="{left + plotWidth + 38}" y2="{ly}" stroke="{color}" stroke-width="2.5"/>"""));
            svg.AppendLine(Inv($"""<text x="{left + plotWidth + 44}" y="{ly + 4}">{Escape(s.Name)}</text>"""));
        }

        return End(svg);
    }

    private static string Polyline(IEnumerable<(double X, double Y)> points, string color, bool dashed) =>
        Inv($"""<polyline fill="none" stroke="{color}" stroke-width="{(dashed ? 1.5 : 2.5)}"{(dashed ? " stroke-dasharray=\"5 4\"" : "")} points="{string.Join(' ', points.Select(p => Inv($"{p.X:0.#},{p.Y:0.#}")))}"/>""");

    private static StringBuilder Start(int height, string title)
    {
        var svg = new StringBuilder();
        svg.AppendLine(Inv($"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="12">"""));
        svg.AppendLine(Inv($"""<rect width="{Width}" height="{height}" fill="#fff"/>"""));
        svg.AppendLine(Inv($"""<text x="{Width / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">{Escape(title)}</text>"""));
        return svg;
    }

    private static string End(StringBuilder svg) => svg.AppendLine("</svg>").ToString();

    private static string Color(string name) => Colors.TryGetValue(name, out var color) ? color : "#000";

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
