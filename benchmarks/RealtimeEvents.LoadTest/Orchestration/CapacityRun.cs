using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>
/// How many idle connections one server holds: client processes of up to <see cref="ChunkSize"/> connections each
/// (a process has a limited number of open files) are added until the target is reached, one of them fails to
/// connect some, or the server dies; the server's count, its memory and what stopped the run are the result.
/// </summary>
internal static class CapacityRun
{
    private const int ChunkSize = 15_000;

    public static async Task<CapacityResult> RunAsync(Scenario scenario, RunOptions options, TextWriter log)
    {
        await using var server = await ServerProcess.StartAsync(scenario, options, options.Capacity + 100).ConfigureAwait(false);
        log.WriteLine($"== capacity: idle {scenario.Name()} connections, target {options.Capacity:N0} (server pid {server.Process.Id})");
        var openFiles = server.Process.OpenFilesLimit();
        var before = await server.StatsAsync(collect: true).ConfigureAwait(false);
        var processes = new List<ClientsProcess>();
        var limit = "reached the target";
        var connected = 0;
        try
        {
            while (connected < options.Capacity)
            {
                var chunk = Math.Min(ChunkSize, options.Capacity - connected);
                var clients = await ClientsProcess.StartAsync(scenario, server.BaseAddress, chunk, idle: true, options, $"capacity {scenario.Name()} {processes.Count + 1}")
                    .ConfigureAwait(false);
                processes.Add(clients);
                connected += clients.Ready.Connected;
                log.WriteLine($"   +{clients.Ready.Connected:N0} connected ({connected:N0} in all){(clients.Ready.Failed > 0 ? $", {clients.Ready.Failed:N0} failed: {clients.Ready.FirstError}" : "")}");
                if (clients.Ready.Failed > 0 || clients.Ready.Connected == 0)
                {
                    limit = $"{clients.Ready.Failed:N0} of the next {chunk:N0} connections failed: {clients.Ready.FirstError}";
                    break;
                }
            }

            if (server.Process.HasExited)
            {
                return Died(scenario, options, log, connected, limit, openFiles, server.Process.ExitCode);
            }

            ServerStats after;
            try
            {
                after = await server.StatsAsync(collect: true).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (server.Process.HasExited)
            {
                return Died(scenario, options, log, connected, limit, openFiles, server.Process.ExitCode);
            }

            log.WriteLine($"   the server held {after.Connections:N0} connections, {after.RssBytes / 1048576.0:N0} MiB RSS; its open-files limit is {openFiles}; {limit}");
            return new CapacityResult(scenario.Name(), options.Capacity, after.Connections, limit, openFiles, ServerExited: false, after.RssBytes,
                after.Connections > 0 ? (after.RssBytes - before.RssBytes) / (double)after.Connections : 0);
        }
        finally
        {
            foreach (var clients in processes)
            {
                await clients.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The soft limit of "N (soft) / M (hard)", if it is a number.</summary>
    private static long? SoftLimit(string openFiles) =>
        long.TryParse(openFiles.Split(' ', 2)[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var soft) ? soft : null;

    private static CapacityResult Died(Scenario scenario, RunOptions options, TextWriter log, int connected, string limit, string openFiles, int exitCode)
    {
        var atLimit = SoftLimit(openFiles) is { } soft && connected >= soft * 0.98;
        var how = atLimit
            ? $"the server reached its open-files limit ({openFiles}): it died (exit code {exitCode}, see its standard error above) with about {connected:N0} connections, within 2 % of it; before that: {limit}"
            : $"the server process died (exit code {exitCode}, see its standard error above) with about {connected:N0} connections; before that: {limit}";
        log.WriteLine($"   {how}");
        return new CapacityResult(scenario.Name(), options.Capacity, connected, how, openFiles, ServerExited: true, 0, 0);
    }
}
