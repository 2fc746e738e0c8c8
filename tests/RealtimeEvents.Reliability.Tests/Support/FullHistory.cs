using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.Support;

/// <summary>
/// A history small enough to fill before a memory reading: the log is bounded by count, so once it is full it holds the
/// same number of events however many more are published, and its growth does not pass for a leak.
/// </summary>
internal static class FullHistory
{
    /// <summary>The history's size in events, for <c>core: o => o.History.MaxEvents = FullHistory.Events</c>.</summary>
    public const int Events = 2_000;

    /// <summary>
    /// Publishes <see cref="Events"/> events and waits until they are dispatched. Call it before a control group
    /// subscribes: a burst that outruns the dispatcher would evict events before they are routed.
    /// </summary>
    public static async Task FillAsync(TestHost host)
    {
        for (var i = 0; i < Events; i++)
        {
            await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "filler/history")).WithTimeout();
        }

        await host.Broadcaster.WaitForDispatchAsync(host.Broadcaster.CurrentPosition).WithTimeout();
    }
}
