using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using RealtimeEvents.Testing;

namespace RealtimeEvents.LoadTest.Tests;

/// <summary>
/// Runs the load tool's short mode end to end, as a user would (<c>dotnet RealtimeEvents.LoadTest.dll run --mode short</c>):
/// five server processes, their client processes, every phase, every output file. The figures of a short run are not
/// quoted anywhere; what is checked is that every part works and that nothing is lost silently.
/// </summary>
public sealed class LoadToolSmokeTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);
    private static readonly string[] AllScenarios = ["signalr", "handrolled", "re-ws", "re-sse", "re-signalr"];
    private static readonly string[] OutputFiles = ["results.json", "results.csv", "report.md", "throughput.svg", "latency.svg"];

    private readonly string _output = Path.Combine(Path.GetTempPath(), "loadtest-smoke-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ShortMode_MeasuresEveryScenario_AndWritesEveryFile()
    {
        var (exit, stdout, stderr) = await RunToolAsync(["run", "--mode", "short", "--out", _output]);

        Assert.True(exit == 0, $"The tool exited with {exit}.\nstdout:\n{stdout}\nstderr:\n{stderr}");
        foreach (var file in OutputFiles)
        {
            Assert.True(File.Exists(Path.Combine(_output, file)), $"{file} was not written.\n{stdout}");
        }

        using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output, "results.json")));
        var scenarios = results.RootElement.GetProperty("scenarios").EnumerateArray().ToArray();
        Assert.Equal(AllScenarios, scenarios.Select(s => s.GetProperty("name").GetString()));
        foreach (var scenario in scenarios)
        {
            var name = scenario.GetProperty("name").GetString();
            Assert.Equal(JsonValueKind.Null, scenario.GetProperty("error").ValueKind);
            Assert.Equal(scenario.GetProperty("clients").GetInt32(), scenario.GetProperty("connected").GetInt32());
            Assert.True(scenario.GetProperty("maxRate").GetDouble() > 0, $"{name}: no rate was kept up.\n{stdout}");
            Assert.InRange(scenario.GetProperty("eventJsonBytes").GetInt32(), 150, 300);

            var latency = scenario.GetProperty("latency").EnumerateArray().ToArray();
            Assert.Equal(3, latency.Length);
            foreach (var point in latency)
            {
                var summary = point.GetProperty("step").GetProperty("latency");
                Assert.True(summary.GetProperty("count").GetInt64() > 0, $"{name}: a latency run recorded nothing.");
                Assert.True(summary.GetProperty("p99Us").GetDouble() >= summary.GetProperty("p50Us").GetDouble());
            }

            // Whatever else happens under load, no scenario may skip an event without saying so.
            var steps = scenario.GetProperty("search").EnumerateArray().Concat(latency.Select(p => p.GetProperty("step")));
            Assert.All(steps, step => Assert.Equal(0, step.GetProperty("missing").GetInt64()));

            var idle = scenario.GetProperty("idle");
            Assert.Equal(idle.GetProperty("requested").GetInt32(), idle.GetProperty("connected").GetInt32());
            Assert.True(idle.GetProperty("rssPerConnectionBytes").GetDouble() > 0 || idle.GetProperty("managedPerConnectionBytes").GetDouble() > 0,
                $"{name}: idle connections cost nothing measurable, so the measurement is broken.");

            var stall = scenario.GetProperty("stall");
            Assert.Equal(JsonValueKind.Object, stall.ValueKind);
            if (name!.StartsWith("re-", StringComparison.Ordinal))
            {
                // RealtimeEvents' promise: a client that stops reading never holds up the publisher. (Whether a call took
                // 100 ms is left to the report: on a busy CI machine a thread can lose the CPU that long for other reasons.)
                var step = stall.GetProperty("step");
                Assert.False(step.GetProperty("timedOut").GetBoolean(), $"{name}: the publisher was held up by a stalled client.\n{stdout}");
                Assert.Equal(Math.Round(step.GetProperty("rate").GetDouble() * step.GetProperty("seconds").GetDouble()), step.GetProperty("published").GetInt64());
                Assert.Equal(0, step.GetProperty("missing").GetInt64());
            }
            else if (name == "handrolled")
            {
                // Positive control: the stalled client must back up into the server (its socket gets a small send buffer)
                // within the run, or the check above proves nothing. The hand-rolled loop awaits each socket in turn, so
                // once the stalled one's buffers are full (about 600 events of ~220 bytes here) the publisher waits for
                // good and times out. Short mode's stall publishes rate × 1 s: 2,000 events when the search reaches its
                // 4,000/s cap, as it does even on a busy 2-core machine; below 1,000 events the buffers might not fill.
                var step = stall.GetProperty("step");
                Assert.True(
                    step.GetProperty("rate").GetDouble() * step.GetProperty("seconds").GetDouble() < 1000 ||
                        step.GetProperty("timedOut").GetBoolean() || step.GetProperty("maxPublishMilliseconds").GetDouble() >= 1000,
                    $"handrolled: a stalled client did not hold up the sequential broadcast, so the stall does not reach the server.\n{stdout}");
            }
        }

        var csv = await File.ReadAllLinesAsync(Path.Combine(_output, "results.csv"));
        Assert.StartsWith("scenario,phase,", csv[0], StringComparison.Ordinal);
        Assert.Contains(csv, line => line.StartsWith("re-ws,latency,", StringComparison.Ordinal));
        foreach (var svg in new[] { "throughput.svg", "latency.svg" })
        {
            var root = XDocument.Load(Path.Combine(_output, svg)).Root!;
            Assert.Equal("svg", root.Name.LocalName);
        }

        Assert.Contains("| target | measured | met |", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownOption_Exits2_WithTheUsage()
    {
        var (exit, _, stderr) = await RunToolAsync(["run", "--clientz", "5"]);

        Assert.Equal(2, exit);
        Assert.Contains("Unknown option '--clientz'", stderr, StringComparison.Ordinal);
        Assert.Contains("usage: RealtimeEvents.LoadTest run", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunToolAsync(string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(FindTool());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var readOut = CopyAsync(process.StandardOutput, stdout);
        var readErr = CopyAsync(process.StandardError, stderr);
        try
        {
            await process.WaitForExitAsync().WithTimeout(RunTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The load tool ran longer than {RunTimeout}.\nstdout:\n{stdout}\nstderr:\n{stderr}");
        }

        await Task.WhenAll(readOut, readErr).WithTimeout();
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static async Task CopyAsync(StreamReader reader, StringBuilder into)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (into)
            {
                into.AppendLine(line);
            }
        }
    }

    /// <summary>The tool this build built: its path is stamped into this assembly at build time (see the csproj).</summary>
    private static string FindTool()
    {
        var dll = typeof(LoadToolSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LoadToolPath")?.Value;
        return string.IsNullOrEmpty(dll)
            ? throw new InvalidOperationException("The load tool's path was not stamped into the test assembly (LoadToolPath); rebuild the test project.")
            : File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the load tool first: {dll} is missing.", dll);
    }
}
