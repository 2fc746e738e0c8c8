using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RealtimeEvents.Client.Tests.Support;
using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Support;

/// <summary>The logs a test starts on the test broker and the streams it uses; disposing stops the logs and deletes the streams.</summary>
internal sealed class TestLogs : IAsyncDisposable
{
    private readonly List<RabbitMqEventLog> _logs = [];
    private readonly List<string> _streams = [];

    public static EventDraft Draft(int n, string topic = "executions/e1") =>
        new(EventTypes.Task.Progress, topic) { Data = EventData.FromJson($$"""{"n":{{n}}}""") };

    /// <summary>Deletes <paramref name="stream"/> when the test ends (for streams or queues the test creates itself).</summary>
    public void Track(string stream)
    {
        if (!_streams.Contains(stream))
        {
            _streams.Add(stream);
        }
    }

    /// <summary>Starts a log on <paramref name="stream"/> and, unless told otherwise, waits until it has attached.</summary>
    public async Task<RabbitMqEventLog> StartAsync(string stream, EventHistoryOptions? history = null, ILogger? logger = null,
        Action<RabbitMqEventLogOptions>? configure = null, bool waitForAttach = true)
    {
        Track(stream);
        var options = new RabbitMqEventLogOptions { ConnectionString = TestBroker.Uri, StreamName = stream };
        configure?.Invoke(options);
        var log = new RabbitMqEventLog(options, history ?? new EventHistoryOptions(), TimeProvider.System,
            logger ?? new CollectingLogger<RabbitMqEventLog>());
        _logs.Add(log);
        if (waitForAttach)
        {
            await log.WaitUntilAttachedAsync(CancellationToken.None).WithTimeout();
        }

        return log;
    }

    /// <summary>Publishes a message as another tool would, optionally declaring the stream first (so it is the stream's first message).</summary>
    public static async Task PublishRawAsync(string stream, byte[] body, bool declare = false)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestBroker.Uri), MaxInboundMessageBodySize = 128u << 20 };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        if (declare)
        {
            await channel.QueueDeclareAsync(stream, durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "stream" });
        }

        await channel.BasicPublishAsync(string.Empty, stream, mandatory: true, new BasicProperties(), body);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var log in _logs)
        {
            await log.DisposeAsync();
        }

        foreach (var stream in _streams)
        {
            await TestBroker.DeleteStreamAsync(stream);
        }
    }
}
