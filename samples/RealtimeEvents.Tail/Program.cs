// Tails RealtimeEvents from the command line with the .NET client (RealtimeEvents.Client):
//   dotnet run --project samples/RealtimeEvents.Tail -- --url http://localhost:5000/realtime --topic 'executions/**' --type 'execution.*'
// prints each event as it arrives (--json for its raw JSON), reports reconnects and missed events on stderr, and with
// --until execution.completed waits for one matching event and exits 0 (useful in scripts). Exit codes: see --help.
using System.Text;
using RealtimeEvents;
using RealtimeEvents.Client;
using RealtimeEvents.Protocol;
using RealtimeEvents.Tail;

if (args is ["--help" or "-h"])
{
    Console.Out.WriteLine(TailArguments.Usage);
    return 0;
}

if (!TailArguments.TryParse(args, out var tail, out var error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(TailArguments.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // stop cleanly: close the connection, exit 0
    stop.Cancel();
};

var options = new RealtimeEventsClientOptions
{
    Endpoint = tail!.Url,
    AccessTokenProvider = tail.Token is { } token ? _ => ValueTask.FromResult<string?>(token) : null,
};
await using var client = new RealtimeEventsClient(options);
client.StateChanged += (_, change) => Console.Error.WriteLine(TailOutput.Describe(change));
var until = tail.Until is { } pattern ? EventFilter.Create(types: [pattern]) : null;

try
{
    await using var subscription = await client.SubscribeAsync(new SubscriptionRequest
    {
        Topics = tail.Topics,
        Types = tail.Types,
        MinimumPriority = tail.MinPriority,
        ResumeAfter = tail.Since,
    }, stop.Token);
    Console.Error.WriteLine($"tailing {tail.Url} (subscription {subscription.Id}); Ctrl+C stops");
    await foreach (var item in subscription.ReadAllAsync(stop.Token))
    {
        switch (item.Kind)
        {
            case SubscriptionItemKind.Event:
                Console.Out.WriteLine(tail.Json ? Encoding.UTF8.GetString(item.Event!.Utf8Json.Span) : TailOutput.Describe(item.Event!));
                if (until?.Matches(item.Event!) == true)
                {
                    return 0;
                }

                break;
            case SubscriptionItemKind.Gap:
                Console.Error.WriteLine($"missed events: {item.Gap}");
                break;
            case SubscriptionItemKind.Ended:
                Console.Error.WriteLine($"the subscription ended: {item.EndReason}");
                return 1;
            default:
                break;
        }
    }

    return 0; // Ctrl+C
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}
catch (RealtimeEventsClientException ex) when (ex.Code is RealtimeEventsClientException.Unauthorized or ProtocolErrorCodes.Forbidden)
{
    Console.Error.WriteLine($"refused: {ex.Message}");
    return 3;
}
catch (RealtimeEventsClientException ex)
{
    Console.Error.WriteLine($"failed: {ex.Message}");
    return 1;
}
