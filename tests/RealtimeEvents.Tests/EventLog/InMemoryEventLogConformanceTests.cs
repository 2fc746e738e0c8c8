using Microsoft.Extensions.Options;
using RealtimeEvents.EventLog;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Tests.EventLog;

public sealed class InMemoryEventLogConformanceTests : EventLogConformanceTests
{
    protected override Task<IEventLog> CreateLogAsync(EventLogTestSettings settings)
    {
        var options = new RealtimeEventsOptions();
        if (settings.RetainEvents is { } retain)
        {
            options.History.MaxEvents = retain;
        }

        if (settings.MaxAge is { } maxAge)
        {
            options.History.MaxAge = maxAge;
        }

        return Task.FromResult<IEventLog>(new InMemoryEventLog(Options.Create(options), settings.Time));
    }
}
