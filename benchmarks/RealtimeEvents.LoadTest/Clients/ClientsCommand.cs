using System.Text.Json;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>
/// The <c>clients</c> command: N connections to one scenario's server, each subscribed to the load topic, counting
/// and timing every event; then it obeys <see cref="ClientCommand"/> lines on standard input and answers each with one
/// <see cref="ClientReply"/> line on standard output (nothing else goes there; diagnostics go to standard error).
/// </summary>
internal static class ClientsCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (!ClientsOptions.TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error + Environment.NewLine + ClientsOptions.Usage);
            return 2;
        }

        // Load everything the command loop needs now: once connections use up the open-file limit (EMFILE), loading
        // an assembly such as System.Text.Json would fail.
        using var input = new StreamReader(Console.OpenStandardInput());
        _ = Parse("""{"cmd":"report"}""", out _);
        _ = JsonSerializer.Serialize(new ClientReply("ok", Latency: new LatencySummary(0, 0, 0, 0, 0)), ControlJson.Options);

        using var context = new ClientContext(options.Scenario, options.Url, options.SourceAddresses, options.Clients);
        var fleet = new ClientFleet(context, options.Clients);
        await Console.Error.WriteLineAsync(
            $"clients: {options.Clients} {options.Scenario.Name()} clients{(options.Idle ? " (idle)" : string.Empty)} -> {context.Target} " +
            $"from {options.SourceAddresses} source addresses, {options.ConnectConcurrency} connects at a time");
        Write(await fleet.ConnectAllAsync(options.ConnectConcurrency));

        while (await input.ReadLineAsync() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var command = Parse(line, out var parseError);
            if (command is null)
            {
                Write(new ClientReply("error", Message: parseError));
                continue;
            }

            if (command.Cmd == "quit")
            {
                Write(new ClientReply("ok"));
                break;
            }

            Write(await ExecuteAsync(fleet, command));
        }

        fleet.AbortAll();
        await Console.Error.WriteLineAsync(
            $"clients: exiting; allocated {GC.GetTotalAllocatedBytes() / (1024.0 * 1024):0.0} MiB in all, " +
            $"GCs gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
        return 0;
    }

    private static async Task<ClientReply> ExecuteAsync(ClientFleet fleet, ClientCommand command)
    {
        switch (command.Cmd)
        {
            case "reset":
                fleet.Reset();
                return new ClientReply("ok");
            case "report":
                return fleet.Report();
            case "count":
                return fleet.Count();
            case "wait" when command.TimeoutMs >= 0:
                return await fleet.WaitAsync(command.ExpectedLastN, TimeSpan.FromMilliseconds(command.TimeoutMs));
            case "wait":
                return new ClientReply("error", Message: "wait needs timeoutMs >= 0.");
            case "stall" when command.Count >= 0:
                return await fleet.StallAsync(command.Count);
            case "stall":
                return new ClientReply("error", Message: "stall needs count >= 0.");
            default:
                return new ClientReply("error", Message: $"Unknown cmd '{command.Cmd}'. Valid: reset, report, count, wait, stall, quit.");
        }
    }

    private static ClientCommand? Parse(string line, out string error)
    {
        try
        {
            var command = JsonSerializer.Deserialize<ClientCommand>(line, ControlJson.Options);
            error = command?.Cmd is null ? "A command needs a \"cmd\"." : string.Empty;
            return command?.Cmd is null ? null : command;
        }
        catch (JsonException exception)
        {
            error = "Not a command: " + exception.Message;
            return null;
        }
    }

    private static void Write(ClientReply reply)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(reply, ControlJson.Options));
        Console.Out.Flush();
    }
}
