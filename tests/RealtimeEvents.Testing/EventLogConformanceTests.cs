using System.Collections.Concurrent;
using System.Text.Json;

namespace RealtimeEvents.Testing;

/// <summary>How a conformance test wants its log configured.</summary>
/// <param name="Time">The clock the log must stamp events with.</param>
/// <param name="RetainEvents">When set, the log keeps at most about this many events (count- or size-based retention).</param>
/// <param name="MaxAge">When set, the log drops events older than this.</param>
public sealed record EventLogTestSettings(TimeProvider Time, int? RetainEvents = null, TimeSpan? MaxAge = null);

/// <summary>
/// The behaviour every <see cref="IEventLog"/> must have. Each implementation derives once and says how to create a
/// log; the RabbitMQ log runs the same suite.
/// </summary>
public abstract class EventLogConformanceTests
{
    protected FakeTimeProvider Time { get; } = new();

    /// <summary>Creates a new, empty log instance (its own epoch).</summary>
    protected abstract Task<IEventLog> CreateLogAsync(EventLogTestSettings settings);

    protected Task<IEventLog> CreateLogAsync() => CreateLogAsync(new EventLogTestSettings(Time));

    protected static EventDraft Draft(int n, string topic = "executions/exec-1") =>
        new(EventTypes.Task.Progress, topic) { Data = EventData.FromJson($$"""{"n":{{n}}}""") };

    private static EventPosition Start(IEventLog log) => new(log.CurrentPosition.Epoch, 0);

    [Fact]
    public async Task NewLog_StartsAtSequenceZero_WithAValidEpoch()
    {
        var log = await CreateLogAsync();

        Assert.Equal(0, log.CurrentPosition.Sequence);
        Assert.False(string.IsNullOrEmpty(log.CurrentPosition.Epoch));
    }

    [Fact]
    public async Task TwoLogs_HaveDifferentEpochs()
    {
        var first = await CreateLogAsync();
        var second = await CreateLogAsync();

        Assert.NotEqual(first.CurrentPosition.Epoch, second.CurrentPosition.Epoch);
    }

    [Fact]
    public async Task Append_StampsStrictlyIncreasingSequencesFromOne_AndTheClocksTime()
    {
        var log = await CreateLogAsync();

        var a = await log.AppendAsync(Draft(1)).WithTimeout();
        Time.Advance(TimeSpan.FromSeconds(1));
        var b = await log.AppendAsync(Draft(2)).WithTimeout();

        Assert.Equal(1, a.Sequence);
        Assert.Equal(2, b.Sequence);
        Assert.Equal(log.CurrentPosition.Epoch, a.Epoch);
        Assert.Equal(b.Position, log.CurrentPosition);
        Assert.Equal(Time.GetUtcNow() - TimeSpan.FromSeconds(1), a.Time);
        Assert.Equal(Time.GetUtcNow(), b.Time);
        Assert.NotEqual(a.Id, b.Id);
    }

    [Fact]
    public async Task Append_KeepsTheDraftsContent()
    {
        var log = await CreateLogAsync();
        var draft = new EventDraft(EventTypes.Agent.Failed, "executions/e1/agents/a1")
        {
            Id = "my-id",
            Priority = EventPriority.Critical,
            Data = EventData.FromJson("""{"error":"boom"}"""),
            Meta = new Dictionary<string, string> { ["tenant"] = "acme" },
        };

        var evt = await log.AppendAsync(draft).WithTimeout();
        var read = (await log.ReadAsync(Start(log), 10).WithTimeout()).Events.Single();

        Assert.Equal("my-id", read.Id);
        Assert.Equal(EventTypes.Agent.Failed, read.Type);
        Assert.Equal("executions/e1/agents/a1", read.Topic);
        Assert.Equal(EventPriority.Critical, read.Priority);
        Assert.Equal("boom", read.Data.ToJsonElement().GetProperty("error").GetString());
        Assert.Equal("acme", read.Meta["tenant"]);
        Assert.Equal(evt.Position, read.Position);
        using var json = JsonDocument.Parse(read.Utf8Json);
        Assert.Equal(evt.Sequence, json.RootElement.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task TryAppend_AppendsWithoutWaiting()
    {
        var log = await CreateLogAsync();

        Assert.True(log.TryAppend(Draft(1), out var evt));
        Assert.Equal(1, evt.Sequence);
        Assert.Equal(1, log.CurrentPosition.Sequence);
    }

    [Fact]
    public async Task Read_FromTheStart_ReturnsEverythingInOrder_Complete()
    {
        var log = await CreateLogAsync();
        for (var i = 1; i <= 5; i++)
        {
            await log.AppendAsync(Draft(i)).WithTimeout();
        }

        var result = await log.ReadAsync(Start(log), 100).WithTimeout();

        Assert.Equal(ResumeStatus.Complete, result.Status);
        Assert.True(result.IsComplete);
        Assert.Equal([1L, 2, 3, 4, 5], result.Events.Select(e => e.Sequence));
        Assert.Equal(log.CurrentPosition, result.CurrentPosition);
    }

    [Fact]
    public async Task Read_AfterAPosition_ReturnsOnlyLaterEvents_UpToMaxCount()
    {
        var log = await CreateLogAsync();
        for (var i = 1; i <= 10; i++)
        {
            await log.AppendAsync(Draft(i)).WithTimeout();
        }

        var result = await log.ReadAsync(new EventPosition(log.CurrentPosition.Epoch, 4), 3).WithTimeout();

        Assert.Equal(ResumeStatus.Complete, result.Status);
        Assert.Equal([5L, 6, 7], result.Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Read_AfterTheNewestEvent_IsEmptyAndComplete()
    {
        var log = await CreateLogAsync();
        await log.AppendAsync(Draft(1)).WithTimeout();

        var result = await log.ReadAsync(log.CurrentPosition, 10).WithTimeout();

        Assert.Empty(result.Events);
        Assert.Equal(ResumeStatus.Complete, result.Status);
    }

    [Fact]
    public async Task Read_FromAnotherEpoch_IsNotRecoverable_AndReturnsWhatIsAvailable()
    {
        var log = await CreateLogAsync();
        await log.AppendAsync(Draft(1)).WithTimeout();
        await log.AppendAsync(Draft(2)).WithTimeout();

        var result = await log.ReadAsync(new EventPosition("some-other-epoch", 1), 10).WithTimeout();

        Assert.Equal(ResumeStatus.EpochChanged, result.Status);
        Assert.False(result.IsComplete);
        Assert.Equal([1L, 2], result.Events.Select(e => e.Sequence));
        Assert.False(log.CanResumeFrom(new EventPosition("some-other-epoch", 1)));
    }

    [Fact]
    public async Task Read_FromASequenceThisLogNeverIssued_IsNotRecoverable()
    {
        var log = await CreateLogAsync();
        await log.AppendAsync(Draft(1)).WithTimeout();

        var result = await log.ReadAsync(new EventPosition(log.CurrentPosition.Epoch, 99), 10).WithTimeout();

        Assert.Equal(ResumeStatus.EpochChanged, result.Status);
        Assert.False(log.CanResumeFrom(new EventPosition(log.CurrentPosition.Epoch, 99)));
    }

    [Fact]
    public async Task Read_OlderThanRetained_IsTruncated_AndStartsAtTheOldestRetainedEvent()
    {
        var log = await CreateLogAsync(new EventLogTestSettings(Time, RetainEvents: 5));
        for (var i = 1; i <= 20; i++)
        {
            await log.AppendAsync(Draft(i)).WithTimeout();
        }

        var result = await log.ReadAsync(Start(log), 100).WithTimeout();

        Assert.Equal(ResumeStatus.Truncated, result.Status);
        Assert.NotEmpty(result.Events);
        Assert.True(result.Events[0].Sequence > 1);
        Assert.Equal(20, result.Events[^1].Sequence);
        Assert.Equal(Enumerable.Range((int)result.Events[0].Sequence, result.Events.Count).Select(i => (long)i), result.Events.Select(e => e.Sequence));
        Assert.False(log.CanResumeFrom(Start(log)));
        Assert.True(log.CanResumeFrom(log.CurrentPosition));
    }

    [Fact]
    public async Task Read_AfterEventsAged_IsTruncated()
    {
        var log = await CreateLogAsync(new EventLogTestSettings(Time, MaxAge: TimeSpan.FromMinutes(1)));
        await log.AppendAsync(Draft(1)).WithTimeout();
        await log.AppendAsync(Draft(2)).WithTimeout();
        Time.Advance(TimeSpan.FromMinutes(2));
        await log.AppendAsync(Draft(3)).WithTimeout();

        var result = await log.ReadAsync(Start(log), 100).WithTimeout();

        Assert.Equal(ResumeStatus.Truncated, result.Status);
        Assert.Equal([3L], result.Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task CanResumeFrom_IsTrueForEveryRetainedPosition()
    {
        var log = await CreateLogAsync();
        for (var i = 1; i <= 3; i++)
        {
            await log.AppendAsync(Draft(i)).WithTimeout();
        }

        for (var seq = 0; seq <= 3; seq++)
        {
            Assert.True(log.CanResumeFrom(new EventPosition(log.CurrentPosition.Epoch, seq)), $"seq {seq}");
        }
    }

    [Fact]
    public async Task WaitForEvents_CompletesWhenSomethingIsAppended()
    {
        var log = await CreateLogAsync();
        var position = log.CurrentPosition;

        var wait = log.WaitForEventsAsync(position, CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);
        await log.AppendAsync(Draft(1)).WithTimeout();

        await wait.WithTimeout();
    }

    [Fact]
    public async Task WaitForEvents_CompletesAtOnce_WhenTheLogIsAlreadyAhead()
    {
        var log = await CreateLogAsync();
        await log.AppendAsync(Draft(1)).WithTimeout();

        await log.WaitForEventsAsync(Start(log), CancellationToken.None).WithTimeout();
    }

    [Fact]
    public async Task WaitForEvents_HonoursCancellation()
    {
        var log = await CreateLogAsync();
        using var cts = new CancellationTokenSource();

        var wait = log.WaitForEventsAsync(log.CurrentPosition, cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WithTimeout());
    }

    [Fact]
    public async Task ConcurrentAppends_GetUniqueContiguousSequences_AndReadBackInOrder()
    {
        var log = await CreateLogAsync();
        const int Writers = 8;
        const int PerWriter = 250;
        var stamped = new ConcurrentBag<long>();

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                var evt = i % 2 == 0 ? await log.AppendAsync(Draft(i)) : (log.TryAppend(Draft(i), out var e) ? e : throw new InvalidOperationException("TryAppend refused"));
                stamped.Add(evt.Sequence);
            }
        }))).WithTimeout();

        Assert.Equal(Enumerable.Range(1, Writers * PerWriter).Select(i => (long)i), stamped.Order());
        var read = new List<RealtimeEvent>();
        var after = Start(log);
        while (true)
        {
            var page = await log.ReadAsync(after, 300).WithTimeout();
            if (page.Events.Count == 0)
            {
                break;
            }

            read.AddRange(page.Events);
            after = page.Events[^1].Position;
        }

        Assert.Equal(Enumerable.Range(1, Writers * PerWriter).Select(i => (long)i), read.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Read_RejectsANonPositiveMaxCount()
    {
        var log = await CreateLogAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.ReadAsync(Start(log), 0).AsTask());
    }
}
