namespace RealtimeEvents.Testing;

/// <summary>Reads from subscriptions in tests, always with a timeout.</summary>
public static class SubscriptionTestExtensions
{
    /// <summary>Reads exactly <paramref name="count"/> items, waiting as needed; fails on timeout.</summary>
    public static async Task<List<SubscriptionItem>> ReadItemsAsync(this ISubscription subscription, int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TaskTimeoutExtensions.DefaultTimeout);
        var items = new List<SubscriptionItem>(count);
        try
        {
            while (items.Count < count)
            {
                if (!await subscription.WaitToReadAsync(cts.Token))
                {
                    break;
                }

                while (items.Count < count && subscription.TryRead(out var item))
                {
                    items.Add(item);
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"Read {items.Count} of {count} items before the timeout: [{string.Join("; ", items)}]");
        }

        return items;
    }

    /// <summary>Reads items until one matches <paramref name="stop"/> (included); fails on timeout.</summary>
    public static async Task<List<SubscriptionItem>> ReadUntilAsync(this ISubscription subscription, Func<SubscriptionItem, bool> stop, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TaskTimeoutExtensions.DefaultTimeout);
        var items = new List<SubscriptionItem>();
        try
        {
            while (await subscription.WaitToReadAsync(cts.Token))
            {
                while (subscription.TryRead(out var item))
                {
                    items.Add(item);
                    if (stop(item))
                    {
                        return items;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"No matching item among {items.Count} read before the timeout; last: {(items.Count > 0 ? items[^1].ToString() : "none")}");
        }

        return items;
    }

    /// <summary>Reads whatever is available right now, without waiting.</summary>
    public static List<SubscriptionItem> Drain(this ISubscription subscription)
    {
        var items = new List<SubscriptionItem>();
        while (subscription.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }
}
