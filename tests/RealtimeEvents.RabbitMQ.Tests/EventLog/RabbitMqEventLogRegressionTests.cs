using System.Text;
using RealtimeEvents.Client.Tests.Support;
using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.EventLog;

/// <summary>
/// Regression tests for what review of the RabbitMQ log found, each named after the fault. (A lagging node's resume and a
/// small prefetch are covered end to end in Integration/LaggingNodeResumeTests and SmallPrefetchTests.)
/// </summary>
public sealed class RabbitMqEventLogRegressionTests : IAsyncLifetime
{
    private readonly TestLogs _logs = new();

    [Fact]
    public async Task CancelledPublishes_DoNotBreakPublishingOnTheNode()
    {
        var log = await _logs.StartAsync(TestBroker.NewStreamName("review"));

        var attempts = Enumerable.Range(0, 600).Select(async i =>
        {
            using var cts = new CancellationTokenSource();
            if (i % 2 == 0)
            {
                cts.CancelAfter(i % 3);
            }

            try
            {
                await log.AppendAsync(TestLogs.Draft(i), cts.Token);
            }
            catch (OperationCanceledException)
            {
                // expected for some
            }
        });
        await Task.WhenAll(attempts).WithTimeout();

        for (var i = 0; i < 50; i++)
        {
            await log.AppendAsync(TestLogs.Draft(i)).WithTimeout();
        }

        Assert.True(log.IsConnected);
    }

    [Fact]
    public async Task AnEventOverMaxEventBytes_IsRefusedBeforeSending_AndTheNodeGoesOn()
    {
        var log = await _logs.StartAsync(TestBroker.NewStreamName("review"), configure: o => o.MaxEventBytes = 4096);
        var big = new EventDraft(EventTypes.Task.Progress, "executions/e1") { Data = EventData.FromJson($"\"{new string('x', 5000)}\"") };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(big).AsTask()).WithTimeout();
        Assert.Contains("MaxEventBytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => log.TryAppend(big, out _));

        var next = await log.AppendAsync(TestLogs.Draft(1)).WithTimeout();
        Assert.Equal(log.CurrentPosition, next.Position);
    }

    [Fact]
    public async Task AMessageLargerThanTheClientsDefaultLimit_DoesNotStopTheNodesTail()
    {
        var stream = TestBroker.NewStreamName("review");
        var logger = new CollectingLogger<RabbitMqEventLog>();
        var log = await _logs.StartAsync(stream, logger: logger);

        await TestLogs.PublishRawAsync(stream, new byte[70 << 20]); // written by some other tool: 70 MiB, over RabbitMQ.Client's 64 MiB default
        var next = await log.AppendAsync(TestLogs.Draft(1)).WithTimeout(TimeSpan.FromSeconds(60));

        Assert.True(log.IsConnected);
        Assert.Equal(log.CurrentPosition, next.Position);
        Assert.Contains(logger.Entries, e => e.Id.Id == 405);
    }

    [Fact]
    public async Task APositionNeverIssued_IsStillReportedAsNotRecoverable_AfterCatchingUp()
    {
        var log = await _logs.StartAsync(TestBroker.NewStreamName("review"));
        var evt = await log.AppendAsync(TestLogs.Draft(1)).WithTimeout();

        var read = await log.ReadAsync(new EventPosition(evt.Epoch, evt.Sequence + 1000), 10).WithTimeout();

        Assert.Equal(ResumeStatus.EpochChanged, read.Status);
    }

    [Fact]
    public async Task NodesStartingTogether_OnAStreamWhoseFirstMessageIsNotAnEnvelope_AgreeOnTheEpoch()
    {
        for (var round = 0; round < 3; round++)
        {
            var stream = TestBroker.NewStreamName("review");
            _logs.Track(stream);
            await TestLogs.PublishRawAsync(stream, Encoding.UTF8.GetBytes("not an envelope"), declare: true);

            var nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _logs.StartAsync(stream))).WithTimeout();

            Assert.Single(nodes.Select(n => n.CurrentPosition.Epoch).Distinct());
        }
    }

    [Fact]
    public async Task ManyResumesOlderThanANodesMemory_AllComplete()
    {
        var stream = TestBroker.NewStreamName("review");
        var first = await _logs.StartAsync(stream);
        var published = new List<RealtimeEvent>();
        for (var i = 0; i < 20; i++)
        {
            published.Add(await first.AppendAsync(TestLogs.Draft(i)).WithTimeout());
        }

        var late = await _logs.StartAsync(stream);
        var start = new EventPosition(published[0].Epoch, published[0].Sequence - 1);
        var reads = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => late.ReadAsync(start, 100).AsTask())).WithTimeout(TimeSpan.FromSeconds(60));

        Assert.All(reads, r =>
        {
            Assert.Equal(ResumeStatus.Complete, r.Status);
            Assert.Equal(published.Select(e => e.Position), r.Events.Select(e => e.Position));
        });
    }

    [Fact]
    public async Task TryAppendRacingDisposal_ReturnsFalse_AndNeverThrows()
    {
        var log = await _logs.StartAsync(TestBroker.NewStreamName("review"));
        var calls = Enumerable.Range(0, 64).Select(i => Task.Run(() =>
        {
            for (var j = 0; j < 20; j++)
            {
                log.TryAppend(TestLogs.Draft(i), out _);
            }
        })).ToList();

        await log.DisposeAsync();
        await Task.WhenAll(calls).WithTimeout(TimeSpan.FromSeconds(60)); // an exception here fails the test
        Assert.False(log.TryAppend(TestLogs.Draft(0), out _));
    }

    [Fact]
    public async Task AnEventAtOffsetZero_IsSkipped_AndTheNodeAttaches()
    {
        var stream = TestBroker.NewStreamName("review");
        _logs.Track(stream);
        await TestLogs.PublishRawAsync(stream, StreamEnvelope.EncodeEvent(TestLogs.Draft(0), "written-by-a-tool", DateTimeOffset.UnixEpoch, "toolepoch"), declare: true);
        var logger = new CollectingLogger<RabbitMqEventLog>();

        var log = await _logs.StartAsync(stream, logger: logger);
        var evt = await log.AppendAsync(TestLogs.Draft(1)).WithTimeout();
        var read = await log.ReadAsync(new EventPosition(evt.Epoch, 0), 10).WithTimeout();

        Assert.Equal([evt.Position], read.Events.Select(e => e.Position));
    }

    [Fact]
    public async Task ALongNonAsciiEventId_IsPublished()
    {
        var log = await _logs.StartAsync(TestBroker.NewStreamName("review"));
        var id = new string('€', 128); // 384 bytes of UTF-8: too long for the AMQP message_id property

        var evt = await log.AppendAsync(new EventDraft(EventTypes.Task.Progress, "executions/e1") { Id = id }).WithTimeout();

        Assert.Equal(id, evt.Id);
    }

    [Fact]
    public async Task MarkersInTheStream_DoNotShortenHowFarBackAResumeReaches()
    {
        var log = await _logs.StartAsync(TestBroker.NewStreamName("review"), new EventHistoryOptions { MaxEvents = 10 });
        var published = new List<RealtimeEvent>();
        for (var i = 0; i < 10; i++)
        {
            published.Add(await log.AppendAsync(TestLogs.Draft(i)).WithTimeout());
        }

        for (var i = 0; i < 6; i++)
        {
            await log.ReadAsync(new EventPosition(published[0].Epoch, 1_000_000), 1).WithTimeout(); // each catches up: a beacon
        }

        var start = new EventPosition(published[0].Epoch, published[0].Sequence - 1);
        var read = await log.ReadAsync(start, 100).WithTimeout();

        Assert.True(log.CanResumeFrom(start));
        Assert.Equal(ResumeStatus.Complete, read.Status);
        Assert.Equal(published.Select(e => e.Position), read.Events.Select(e => e.Position));
    }

    [Fact]
    public async Task AFloodOfResumesFromPositionsNotIssued_WritesFewMarkers()
    {
        var log = await _logs.StartAsync(TestBroker.NewStreamName("review"));
        var before = await log.AppendAsync(TestLogs.Draft(0)).WithTimeout();

        var reads = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(i => log.ReadAsync(new EventPosition(before.Epoch, 1_000_000 + i), 1).AsTask())).WithTimeout();
        var after = await log.AppendAsync(TestLogs.Draft(1)).WithTimeout();

        Assert.All(reads, r => Assert.Equal(ResumeStatus.EpochChanged, r.Status));
        var markers = after.Sequence - before.Sequence - 1;
        Assert.True(markers <= 20, $"{markers} beacons for 200 reads");
    }

    [Fact]
    public async Task ANonHelloMessageAtOffsetZero_DoesNotNameTheEpoch()
    {
        var stream = TestBroker.NewStreamName("review");
        _logs.Track(stream);
        await TestLogs.PublishRawAsync(stream, StreamEnvelope.EncodeMarker(EnvelopeKind.Beacon, "staleepoch", "oldnode"), declare: true);

        var log = await _logs.StartAsync(stream);

        Assert.NotEqual("staleepoch", log.CurrentPosition.Epoch);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logs.DisposeAsync();
}
