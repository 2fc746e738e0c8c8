using System.Globalization;
using Microsoft.Extensions.Hosting;

namespace RealtimeEvents.SampleHost;

/// <summary>Subscribes to every execution and prints each event, gap notice and the end as they arrive.</summary>
public sealed class ConsoleDashboard(IEventBroadcaster broadcaster) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var subscription = await broadcaster.SubscribeAsync(
            new SubscriptionRequest { Topics = ["executions/**"] }, stoppingToken);
        Console.WriteLine("Subscribed to executions/** — events appear below. Press Ctrl+C to stop.");
        try
        {
            await foreach (var item in subscription.ReadAllAsync(stoppingToken))
            {
                Console.WriteLine(item.Kind switch
                {
                    SubscriptionItemKind.Event => Format(item.Event!),
                    SubscriptionItemKind.Gap => $"!! missed events: {item.Gap}",
                    SubscriptionItemKind.Ended => $"-- subscription ended: {item.EndReason}",
                    _ => item.ToString(),
                });
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private static string Format(RealtimeEvent evt) =>
        string.Create(CultureInfo.InvariantCulture, $"{evt.Time:HH:mm:ss.fff} #{evt.Sequence,-5} {evt.Type,-20} {evt.Topic,-40} {evt.Data}");
}
