using System.Text;
using RabbitMQ.Client;
using RealtimeEvents.Client.Tests.Support;
using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.EventLog;

/// <summary>What the RabbitMQ log does beyond the shared conformance suite, on a real broker.</summary>
public sealed class RabbitMqEventLogTests : IAsyncLifetime
{
    private readonly TestLogs _logs = new();

    private static async Task<List<RealtimeEvent>> ReadAllAsync(IEventLog log, EventPosition after, int pageSize = 100)
    {
        var events = new List<RealtimeEvent>();
        while (true)
        {
            var page = await log.ReadAsync(after, pageSize).WithTimeout();
            Assert.Equal(ResumeStatus.Complete, page.Status);
            if (page.Events.Count == 0)
            {
                return events;
            }

            events.AddRange(page.Events);
            after = page.Events[^1].Position;
        }
    }

    [Fact]
    public async Task TwoLogsOnOneStream_ShareTheEpochAndEveryPosition()
    {
        var stream = TestBroker.NewStreamName();
        var a = await _logs.StartAsync(stream);
        var b = await _logs.StartAsync(stream);
        Assert.Equal(a.CurrentPosition.Epoch, b.CurrentPosition.Epoch);

        var fromA = await a.AppendAsync(TestLogs.Draft(1)).WithTimeout();
        var fromB = await b.AppendAsync(TestLogs.Draft(2)).WithTimeout();
        await b.WaitForEventsAsync(new EventPosition(fromA.Epoch, fromB.Sequence - 1), CancellationToken.None).WithTimeout();
        while (a.CurrentPosition.Sequence < fromB.Sequence)
        {
            await a.WaitForEventsAsync(a.CurrentPosition, CancellationToken.None).WithTimeout();
        }

        var start = new EventPosition(fromA.Epoch, fromA.Sequence - 1);
        var seenByA = await ReadAllAsync(a, start);
        var seenByB = await ReadAllAsync(b, start);
        Assert.Equal([fromA.Position, fromB.Position], seenByA.Select(e => e.Position));
        Assert.Equal([fromA.Position, fromB.Position], seenByB.Select(e => e.Position));
        Assert.Equal(seenByA.Select(e => e.ToString()), seenByB.Select(e => e.ToString())); // byte-identical event JSON
    }

    [Fact]
    public async Task ANodeAttachedLater_ReadsOlderEventsFromTheStreamItself_InPages()
    {
        var stream = TestBroker.NewStreamName();
        var first = await _logs.StartAsync(stream);
        var published = new List<RealtimeEvent>();
        for (var i = 1; i <= 250; i++)
        {
            published.Add(await first.AppendAsync(TestLogs.Draft(i)).WithTimeout());
        }

        // The late node's memory starts where it attached; everything before comes from the stream.
        var late = await _logs.StartAsync(stream);
        Assert.Equal(published[0].Epoch, late.CurrentPosition.Epoch);
        Assert.True(late.CanResumeFrom(new EventPosition(published[0].Epoch, published[0].Sequence - 1)));

        var read = await ReadAllAsync(late, new EventPosition(published[0].Epoch, published[0].Sequence - 1), pageSize: 64);

        Assert.Equal(published.Select(e => e.Position), read.Select(e => e.Position));
        Assert.Equal(published.Select(e => e.ToString()), read.Select(e => e.ToString()));
    }

    [Fact]
    public async Task UndecodableMessages_AreLoggedAndSkipped_AndTheNodeKeepsGoing()
    {
        var stream = TestBroker.NewStreamName();
        var logger = new CollectingLogger<RabbitMqEventLog>();
        var log = await _logs.StartAsync(stream, logger: logger);
        var before = await log.AppendAsync(TestLogs.Draft(1)).WithTimeout();

        await TestLogs.PublishRawAsync(stream, Encoding.UTF8.GetBytes("this is not json"));
        await TestLogs.PublishRawAsync(stream, Encoding.UTF8.GetBytes("""{"v":2,"kind":"event","epoch":"x"}"""));
        await TestLogs.PublishRawAsync(stream, Encoding.UTF8.GetBytes("""{"v":1,"kind":"event","epoch":"e","id":"i","type":"NOT VALID","topic":"t","time":"2026-11-22T10:00:00Z"}"""));
        var after = await log.AppendAsync(TestLogs.Draft(2)).WithTimeout();

        Assert.Equal(before.Sequence + 4, after.Sequence); // the three skipped messages hold offsets of their own
        var read = await ReadAllAsync(log, new EventPosition(before.Epoch, before.Sequence - 1));
        Assert.Equal([before.Position, after.Position], read.Select(e => e.Position));
        var skipped = logger.Entries.Where(e => e.Id.Id == 405).Select(e => e.Message).ToList();
        Assert.Equal(3, skipped.Count);
        Assert.Contains(skipped, m => m.Contains("not valid JSON", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("version 2 is not supported", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("the event is invalid", StringComparison.Ordinal));

        // A node attaching later reads past them from the stream too.
        var late = await _logs.StartAsync(stream);
        var lateRead = await ReadAllAsync(late, new EventPosition(before.Epoch, before.Sequence - 1));
        Assert.Equal([before.Position, after.Position], lateRead.Select(e => e.Position));
    }

    [Fact]
    public async Task ARecreatedStream_HasANewEpoch_AndOldPositionsCannotBeResumed()
    {
        var stream = TestBroker.NewStreamName();
        var logger = new CollectingLogger<RabbitMqEventLog>();
        var log = await _logs.StartAsync(stream, logger: logger, configure: o => o.MinReconnectDelay = TimeSpan.FromMilliseconds(50));
        var old = await log.AppendAsync(TestLogs.Draft(1)).WithTimeout();

        await TestBroker.DeleteStreamAsync(stream);
        await log.WaitForEventsAsync(old.Position, CancellationToken.None).WithTimeout(); // wakes on the epoch change
        await Eventually.TrueAsync(log, () => log.IsConnected && log.CurrentPosition.Epoch != old.Epoch, "the log attached to the new stream");

        var fresh = await log.AppendAsync(TestLogs.Draft(2)).WithTimeout();
        Assert.NotEqual(old.Epoch, fresh.Epoch);
        Assert.False(log.CanResumeFrom(old.Position));
        var read = await log.ReadAsync(old.Position, 10).WithTimeout();
        Assert.Equal(ResumeStatus.EpochChanged, read.Status);
        Assert.Equal([fresh.Position], read.Events.Select(e => e.Position));
        Assert.Contains(logger.Entries, e => e.Id.Id == 403);
    }

    [Fact]
    public async Task AQueueThatIsNotAStream_IsReportedClearly_AndNeverAttached()
    {
        var name = TestBroker.NewStreamName("classic");
        _logs.Track(name);
        var factory = new ConnectionFactory { Uri = new Uri(TestBroker.Uri) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false);
        }

        var log = await _logs.StartAsync(name, waitForAttach: false, configure: o => o.MinReconnectDelay = TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(log, () => log.FailedAttempts > 0, "the first connection attempt failed");

        Assert.False(log.IsConnected);
        Assert.True(log.LastError!.Contains("is not a stream queue", StringComparison.Ordinal), log.LastError);
        Assert.False(log.TryAppend(TestLogs.Draft(1), out _));
        var error = await Assert.ThrowsAsync<EventLogUnavailableException>(() => log.AppendAsync(TestLogs.Draft(1)).AsTask()).WithTimeout();
        Assert.Contains("not connected", error.Message, StringComparison.Ordinal);
        await using var check = await factory.CreateConnectionAsync();
        await using var checkChannel = await check.CreateChannelAsync();
        Assert.Equal(0u, (await checkChannel.QueueDeclarePassiveAsync(name)).MessageCount); // nothing was written into that queue
    }

    [Fact]
    public async Task TryAppend_ReturnsTheStampedEvent_AndFalseOnceDisposed()
    {
        var log = await _logs.StartAsync(TestBroker.NewStreamName());

        Assert.True(log.TryAppend(TestLogs.Draft(1), out var evt));
        Assert.Equal(log.CurrentPosition, evt.Position);

        await log.DisposeAsync();
        Assert.False(log.TryAppend(TestLogs.Draft(2), out _));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(TestLogs.Draft(3)).AsTask()).WithTimeout();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logs.DisposeAsync();
}
