using Microsoft.Extensions.Logging.Abstractions;
using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.EventLog;

/// <summary>The shared event log suite, unchanged, on a real broker: each test gets a stream of its own.</summary>
public sealed class RabbitMqEventLogConformanceTests : EventLogConformanceTests, IAsyncLifetime
{
    private readonly List<(RabbitMqEventLog Log, string Stream)> _logs = [];

    protected override async Task<IEventLog> CreateLogAsync(EventLogTestSettings settings)
    {
        var history = new EventHistoryOptions();
        if (settings.RetainEvents is { } retain)
        {
            history.MaxEvents = retain;
        }

        if (settings.MaxAge is { } maxAge)
        {
            history.MaxAge = maxAge;
        }

        var stream = TestBroker.NewStreamName("conformance");
        var log = new RabbitMqEventLog(new RabbitMqEventLogOptions { ConnectionString = TestBroker.Uri, StreamName = stream },
            history, settings.Time, NullLogger.Instance);
        _logs.Add((log, stream));
        await log.WaitUntilAttachedAsync(CancellationToken.None).WithTimeout();
        return log;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (log, stream) in _logs)
        {
            await log.DisposeAsync();
            await TestBroker.DeleteStreamAsync(stream);
        }
    }
}
