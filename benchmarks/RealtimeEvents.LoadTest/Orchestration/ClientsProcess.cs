using System.Globalization;
using System.Text.Json;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>A clients process: N connections to one scenario's server, driven by JSON commands on its input.</summary>
internal sealed class ClientsProcess : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private ClientsProcess(ChildProcess process, ClientReply ready)
    {
        Process = process;
        Ready = ready;
    }

    public ChildProcess Process { get; }

    /// <summary>The <c>ready</c> line: how many connected and failed, and the first failure.</summary>
    public ClientReply Ready { get; }

    public static async Task<ClientsProcess> StartAsync(Scenario scenario, Uri server, int clients, bool idle, RunOptions options, string name)
    {
        var args = new List<string>
        {
            "--scenario", scenario.Name(),
            "--url", server.ToString().TrimEnd('/'),
            "--clients", clients.ToString(CultureInfo.InvariantCulture),
            "--source-addresses", options.SourceAddresses.ToString(CultureInfo.InvariantCulture),
        };
        if (idle)
        {
            args.Add("--idle");
        }

        var process = ChildProcess.Start(name, "clients", args);
        try
        {
            // Connecting is bounded per connection by the clients themselves; this only catches a hung process.
            var timeout = TimeSpan.FromSeconds(60 + (clients / 200.0));
            var ready = await ReadReplyAsync(process, timeout).ConfigureAwait(false);
            return ready.Type == "ready"
                ? new ClientsProcess(process, ready)
                : throw new InvalidOperationException($"{name} answered '{ready.Type}' instead of 'ready': {ready.Message}");
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<ClientReply> ResetAsync() => CommandAsync(new ClientCommand("reset"), CommandTimeout);

    public Task<ClientReply> ReportAsync() => CommandAsync(new ClientCommand("report"), CommandTimeout);

    /// <summary>The reading clients' received total since the last reset (cheap: no latency histogram).</summary>
    public Task<ClientReply> CountAsync() => CommandAsync(new ClientCommand("count"), CommandTimeout);

    public Task<ClientReply> StallAsync(int count) => CommandAsync(new ClientCommand("stall", Count: count), CommandTimeout);

    /// <summary>Waits until every reading client has seen event <paramref name="lastN"/>, at most <paramref name="timeout"/>.</summary>
    public Task<ClientReply> WaitAsync(long lastN, TimeSpan timeout) =>
        CommandAsync(new ClientCommand("wait", lastN, (int)timeout.TotalMilliseconds), timeout + CommandTimeout);

    private async Task<ClientReply> CommandAsync(ClientCommand command, TimeSpan timeout)
    {
        await Process.WriteLineAsync(JsonSerializer.Serialize(command, ControlJson.Options)).ConfigureAwait(false);
        var reply = await ReadReplyAsync(Process, timeout).ConfigureAwait(false);
        return reply.Type == "error"
            ? throw new InvalidOperationException($"{Process.Name} refused '{command.Cmd}': {reply.Message}")
            : reply;
    }

    private static async Task<ClientReply> ReadReplyAsync(ChildProcess process, TimeSpan timeout)
    {
        var line = await process.ReadLineAsync(timeout).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<ClientReply>(line, ControlJson.Options)
                ?? throw new InvalidOperationException($"{process.Name} wrote 'null'.");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{process.Name} wrote a line that is not a reply: {line}", e);
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
