using System.Globalization;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>One scenario's server, a child process, driven over its <c>/load/*</c> control endpoints.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const string ListeningPrefix = "listening ";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly HttpClient _http;

    private ServerProcess(ChildProcess process, Uri baseAddress)
    {
        Process = process;
        BaseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    public ChildProcess Process { get; }

    public Uri BaseAddress { get; }

    public static async Task<ServerProcess> StartAsync(Scenario scenario, RunOptions options, int maxConnections)
    {
        var args = new List<string>
        {
            "--scenario", scenario.Name(),
            "--event-bytes", options.EventBytes.ToString(CultureInfo.InvariantCulture),
            "--max-connections", maxConnections.ToString(CultureInfo.InvariantCulture),
        };
        if (scenario.IsRealtimeEvents())
        {
            args.AddRange(["--log", options.Log]);
        }

        var process = ChildProcess.Start($"server {scenario.Name()}", "server", args);
        try
        {
            while (true)
            {
                var line = await process.ReadLineAsync(StartTimeout).ConfigureAwait(false);
                if (line.StartsWith(ListeningPrefix, StringComparison.Ordinal))
                {
                    return new ServerProcess(process, new Uri(line[ListeningPrefix.Length..].Trim()));
                }

                await Console.Error.WriteLineAsync($"[{process.Name}] (stdout) {line}").ConfigureAwait(false);
            }
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Publishes <paramref name="rate"/> events/s for <paramref name="seconds"/> and returns what the publisher did.</summary>
    public async Task<RunResult> RunAsync(double rate, double seconds)
    {
        var uri = string.Create(CultureInfo.InvariantCulture, $"/load/run?rate={rate:0.###}&seconds={seconds:0.###}");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds((seconds * 1.5) + 60));
        using var response = await _http.PostAsync(uri, null, cts.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
            throw new InvalidOperationException($"The server refused {uri}: {(int)response.StatusCode} {body}");
        }

        return await response.Content.ReadFromJsonAsync<RunResult>(ControlJson.Options, cts.Token).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The server answered /load/run with nothing.");
    }

    /// <summary>The server's memory, CPU and connection count; <paramref name="collect"/> runs a full GC first.</summary>
    public async Task<ServerStats> StatsAsync(bool collect)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await _http.GetFromJsonAsync<ServerStats>(collect ? "/load/stats?gc=true" : "/load/stats?gc=false", ControlJson.Options, cts.Token)
                .ConfigureAwait(false)
            ?? throw new InvalidOperationException("The server answered /load/stats with nothing.");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Process.DisposeAsync().ConfigureAwait(false);
    }
}
