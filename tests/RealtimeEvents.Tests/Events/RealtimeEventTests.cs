using System.Runtime.InteropServices;
using System.Text.Json;

namespace RealtimeEvents.Tests.Events;

public sealed class RealtimeEventTests
{
    private static readonly DateTimeOffset Time = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);
    private static readonly EventPosition Position = new("epoch1", 7);

    [Fact]
    public void Create_CopiesTheDraft_AndTheStamp()
    {
        var draft = new EventDraft(EventTypes.Task.Progress, "tasks/t1")
        {
            Priority = EventPriority.High,
            Data = EventData.FromJson("""{"n":1}"""),
            Meta = new Dictionary<string, string> { ["tenant"] = "acme" },
            ConflationKey = "tasks/t1#progress",
        };

        var evt = RealtimeEvent.Create(draft, "id-1", Time, Position, timestamp: 99);

        Assert.Equal("id-1", evt.Id);
        Assert.Equal(EventTypes.Task.Progress, evt.Type);
        Assert.Equal("tasks/t1", evt.Topic);
        Assert.Equal(EventPriority.High, evt.Priority);
        Assert.Equal(Time, evt.Time);
        Assert.Equal(Position, evt.Position);
        Assert.Equal("epoch1", evt.Epoch);
        Assert.Equal(7, evt.Sequence);
        Assert.Equal(draft.Data, evt.Data);
        Assert.Equal("acme", evt.Meta["tenant"]);
        Assert.Equal("tasks/t1#progress", evt.ConflationKey);
        Assert.False(evt.IsTerminal);
        Assert.Equal(99, evt.Timestamp);
    }

    [Fact]
    public void Create_NullDraft_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => RealtimeEvent.Create(null!, "id", Time, Position));

    [Fact]
    public void Create_NullId_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => RealtimeEvent.Create(Draft(), null!, Time, Position));

    [Fact]
    public void Create_EmptyId_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => RealtimeEvent.Create(Draft(), string.Empty, Time, Position));

        Assert.Equal("id", ex.ParamName);
    }

    [Fact]
    public void Create_SequenceZero_ThrowsArgumentException_SayingItMustBeAtLeastOne()
    {
        var ex = Assert.Throws<ArgumentException>(() => RealtimeEvent.Create(Draft(), "id", Time, new EventPosition("e1", 0)));

        Assert.Equal("position", ex.ParamName);
        Assert.Contains("at least 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_DefaultPosition_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => RealtimeEvent.Create(Draft(), "id", Time, default));

    [Fact]
    public void Utf8Json_HasThePropertiesInTheDocumentedOrder()
    {
        var draft = new EventDraft(EventTypes.Task.Progress, "tasks/t1")
        {
            Data = EventData.FromJson("""{"n":1}"""),
            Meta = new Dictionary<string, string> { ["tenant"] = "acme" },
            ConflationKey = "k",
        };

        using var json = Parse(RealtimeEvent.Create(draft, "id-1", Time, Position));

        Assert.Equal(
            ["id", "type", "topic", "priority", "time", "epoch", "seq", "data", "meta", "conflationKey"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Utf8Json_CarriesEveryValue()
    {
        var draft = new EventDraft(EventTypes.Agent.Message, "executions/e1/agents/a1")
        {
            Priority = EventPriority.Critical,
            Data = EventData.FromJson("""{"text":"hi","n":[1,2]}"""),
            Meta = new Dictionary<string, string> { ["tenant"] = "acme", ["correlation"] = "c-1" },
            ConflationKey = "executions/e1/agents/a1#message",
        };

        var evt = RealtimeEvent.Create(draft, "id-9", Time, new EventPosition("abc123", 12345678901));
        using var json = Parse(evt);
        var root = json.RootElement;

        Assert.Equal("id-9", root.GetProperty("id").GetString());
        Assert.Equal("agent.message", root.GetProperty("type").GetString());
        Assert.Equal("executions/e1/agents/a1", root.GetProperty("topic").GetString());
        Assert.Equal("critical", root.GetProperty("priority").GetString());
        Assert.Equal(Time, root.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("2026-03-04T05:06:07.89+00:00", root.GetProperty("time").GetString());
        Assert.Contains("\"time\":\"2026-03-04T05:06:07.89+00:00\"", evt.ToString(), StringComparison.Ordinal); // '+' not escaped
        Assert.Equal("abc123", root.GetProperty("epoch").GetString());
        Assert.Equal(12345678901, root.GetProperty("seq").GetInt64());
        Assert.Equal("hi", root.GetProperty("data").GetProperty("text").GetString());
        Assert.Equal(2, root.GetProperty("data").GetProperty("n")[1].GetInt32());
        Assert.Equal("acme", root.GetProperty("meta").GetProperty("tenant").GetString());
        Assert.Equal("c-1", root.GetProperty("meta").GetProperty("correlation").GetString());
        Assert.Equal("executions/e1/agents/a1#message", root.GetProperty("conflationKey").GetString());
    }

    [Theory]
    [InlineData(EventPriority.Low, "low")]
    [InlineData(EventPriority.Normal, "normal")]
    [InlineData(EventPriority.High, "high")]
    [InlineData(EventPriority.Critical, "critical")]
    public void Utf8Json_WritesThePriorityWireName(EventPriority priority, string expected)
    {
        using var json = Parse(RealtimeEvent.Create(new EventDraft("a.b", "t") { Priority = priority }, "id", Time, Position));

        Assert.Equal(expected, json.RootElement.GetProperty("priority").GetString());
    }

    [Fact]
    public void Utf8Json_DataIsNull_WhenThereIsNoPayload()
    {
        using var json = Parse(RealtimeEvent.Create(Draft(), "id", Time, Position));

        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("data").ValueKind);
    }

    [Fact]
    public void Utf8Json_OmitsMetaAndConflationKey_WhenAbsent()
    {
        using var json = Parse(RealtimeEvent.Create(Draft(), "id", Time, Position));

        Assert.False(json.RootElement.TryGetProperty("meta", out _));
        Assert.False(json.RootElement.TryGetProperty("conflationKey", out _));
    }

    [Fact]
    public void Utf8Json_OmitsMeta_WhenTheDraftsMetaIsEmpty()
    {
        var evt = RealtimeEvent.Create(new EventDraft("a.b", "t") { Meta = new Dictionary<string, string>() }, "id", Time, Position);
        using var json = Parse(evt);

        Assert.Empty(evt.Meta);
        Assert.False(json.RootElement.TryGetProperty("meta", out _));
    }

    [Fact]
    public void Meta_IsEmptyNotNull_WhenTheDraftHasNone() =>
        Assert.Empty(RealtimeEvent.Create(Draft(), "id", Time, Position).Meta);

    [Theory]
    [InlineData(EventTypes.Execution.Completed)]
    [InlineData(EventTypes.Task.Failed)]
    [InlineData(EventTypes.Agent.Cancelled)]
    [InlineData(EventTypes.Execution.TimedOut)]
    public void TerminalEvent_IsTerminal_AndDropsTheConflationKey(string type)
    {
        var evt = RealtimeEvent.Create(new EventDraft(type, "executions/e1") { ConflationKey = "executions/e1#state" }, "id", Time, Position);
        using var json = Parse(evt);

        Assert.True(evt.IsTerminal);
        Assert.Null(evt.ConflationKey);
        Assert.False(json.RootElement.TryGetProperty("conflationKey", out _));
    }

    [Fact]
    public void NonTerminalEvent_KeepsTheConflationKey()
    {
        var evt = RealtimeEvent.Create(new EventDraft(EventTypes.Execution.Progress, "executions/e1") { ConflationKey = "k" }, "id", Time, Position);

        Assert.False(evt.IsTerminal);
        Assert.Equal("k", evt.ConflationKey);
    }

    [Fact]
    public void Utf8Json_EscapesStringsSoTheJsonStaysValid()
    {
        var draft = new EventDraft("a.b", "t")
        {
            Meta = new Dictionary<string, string> { ["quote\"key"] = "line\nbreak \"quoted\" <tag> café" },
        };

        using var json = Parse(RealtimeEvent.Create(draft, "id\"with\\quotes", Time, Position));

        Assert.Equal("id\"with\\quotes", json.RootElement.GetProperty("id").GetString());
        Assert.Equal("line\nbreak \"quoted\" <tag> café", json.RootElement.GetProperty("meta").GetProperty("quote\"key").GetString());
    }

    [Fact]
    public void Utf8Json_IsBuiltOnce_AndToStringReturnsIt()
    {
        var evt = RealtimeEvent.Create(Draft(), "id", Time, Position);

        Assert.True(MemoryMarshal.TryGetArray(evt.Utf8Json, out var first));
        Assert.True(MemoryMarshal.TryGetArray(evt.Utf8Json, out var second));
        Assert.Same(first.Array, second.Array);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(evt.Utf8Json.Span), evt.ToString());
    }

    [Fact]
    public void Utf8Json_OfALargeEvent_IsCompleteAndDoesNotBleedIntoTheNext()
    {
        var big = new string('x', 200_000);
        var large = RealtimeEvent.Create(new EventDraft("a.b", "t") { Data = EventData.FromJson($"\"{big}\"") }, "big", Time, Position);
        var small = RealtimeEvent.Create(Draft(), "small", Time, Position);

        using var largeJson = Parse(large);
        using var smallJson = Parse(small);

        Assert.Equal(big, largeJson.RootElement.GetProperty("data").GetString());
        Assert.Equal("small", smallJson.RootElement.GetProperty("id").GetString());
        Assert.True(small.Utf8Json.Length < 300);
    }

    [Fact]
    public void Utf8Json_OfEventsCreatedConcurrently_AreEachTheirOwn()
    {
        var events = Enumerable.Range(1, 2000).AsParallel()
            .Select(i => RealtimeEvent.Create(new EventDraft("a.b", "t") { Data = EventData.FromJson(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) }, "id" + i, Time, Position))
            .ToArray();

        foreach (var evt in events)
        {
            using var json = Parse(evt);
            Assert.Equal(evt.Id, "id" + json.RootElement.GetProperty("data").GetInt32());
        }
    }

    private static EventDraft Draft() => new(EventTypes.Execution.Started, "executions/e1");

    private static JsonDocument Parse(RealtimeEvent evt) => JsonDocument.Parse(evt.Utf8Json);
}
