using RealtimeEvents.Testing;

namespace RealtimeEvents.Client.Tests.Support;

internal static class ItemReader
{
    /// <summary>Reads the next item, failing fast when none arrives in time.</summary>
    public static async Task<SubscriptionItem> NextAsync(this ClientSubscription subscription, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TaskTimeoutExtensions.DefaultTimeout);
        return await subscription.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Reads events (skipping nothing) until <paramref name="count"/> events have been read; returns every item read.</summary>
    public static async Task<List<SubscriptionItem>> ReadEventsAsync(this ClientSubscription subscription, int count)
    {
        var items = new List<SubscriptionItem>();
        var events = 0;
        while (events < count)
        {
            var item = await subscription.NextAsync();
            items.Add(item);
            if (item.Kind == SubscriptionItemKind.Event)
            {
                events++;
            }
        }

        return items;
    }

    public static EventDraft Draft(int n, string topic = "tasks/t-1") =>
        new("task.progress", topic) { Data = EventData.FromJson("{\"n\":" + n + "}") };
}
