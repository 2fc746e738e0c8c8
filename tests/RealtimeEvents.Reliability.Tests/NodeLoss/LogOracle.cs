using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.NodeLoss;

/// <summary>
/// The test's oracle: the stream read independently at the end, through the library's log API (<see cref="IEventLog.ReadAsync"/>)
/// on a RabbitMQ log of its own that attaches after the run, so every event it returns comes from the broker, not from
/// the memory of a node that took part.
/// </summary>
internal static class LogOracle
{
    private const int PageSize = 1000;

    /// <summary>Every event of <paramref name="stream"/> after sequence 0 of <paramref name="epoch"/>, in log order; fails on any gap.</summary>
    public static async Task<List<RealtimeEvent>> ReadAllAsync(string brokerUri, string stream, string epoch, TimeSpan timeout)
    {
        var services = new ServiceCollection();
        services.AddRealtimeEvents(o =>
            {
                // Positions before this reader attached are counted in offsets: let it reach back over the whole run.
                o.History.MaxEvents = 10_000_000;
                o.History.MaxBytes = 1L << 30;
            })
            .AddRabbitMq(o =>
            {
                o.ConnectionString = brokerUri;
                o.StreamName = stream;
                o.ConnectionName = "node-loss oracle";
            });
        await using var provider = services.BuildServiceProvider();
        var log = provider.GetRequiredService<IEventLog>();

        using var deadline = new CancellationTokenSource(timeout);
        var events = new List<RealtimeEvent>();
        var after = new EventPosition(epoch, 0);
        while (true)
        {
            var page = await log.ReadAsync(after, PageSize, deadline.Token).WithTimeout(timeout);
            if (!page.IsComplete)
            {
                throw new InvalidOperationException($"Reading the stream after {after} answered {page.Status}: the log lost events the run published.");
            }

            if (page.Events.Count == 0)
            {
                return events; // the log reads on past stream ranges without events, so an empty page is the end
            }

            events.AddRange(page.Events);
            after = page.Events[^1].Position;
        }
    }
}
