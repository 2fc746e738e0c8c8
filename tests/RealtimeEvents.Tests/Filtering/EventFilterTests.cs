namespace RealtimeEvents.Tests.Filtering;

public sealed partial class EventFilterTests
{
    [Theory]
    [InlineData("execution.*", "execution.started", true)]
    [InlineData("execution.*", "execution.failed", true)]
    [InlineData("execution.*", "execution.step.started", false)]
    [InlineData("execution.*", "executions.started", false)]
    [InlineData("execution.*", "agent.started", false)]
    [InlineData("*.failed", "execution.failed", true)]
    [InlineData("*.failed", "agent.failed", true)]
    [InlineData("*.failed", "agent.failed_twice", false)]
    [InlineData("*.failed", "workflow.step_failed", false)]
    [InlineData("*.failed", "my-app.orders.failed", false)]
    [InlineData("*.*", "a.b", true)]
    [InlineData("*.*", "a.b.c", false)]
    [InlineData("execution.started", "execution.started", true)]
    [InlineData("execution.started", "execution.started2", false)]
    [InlineData("my-app.*.shipped", "my-app.orders.shipped", true)]
    [InlineData("my-app.*.shipped", "my-app.orders.shipped.late", false)]
    [InlineData("my-app.*.shipped", "my-app.shipped", false)]
    public void TypePattern_WildcardMatchesExactlyOneSegment(string pattern, string type, bool expected) =>
        Assert.Equal(expected, EventFilter.Create(types: [pattern]).Matches(Event(type: type)));

    [Fact]
    public void TypeStar_MatchesEveryType_AndIsTheSameAsNamingNone()
    {
        var star = EventFilter.Create(types: ["*"]);
        var starAndMore = EventFilter.Create(types: ["execution.*", "*"]);

        Assert.True(star.Matches(Event(type: "anything.at.all")));
        Assert.True(starAndMore.Matches(Event(type: "agent.started")));
        Assert.True(EventFilter.Create().Matches(Event(type: "x.y")));
        Assert.Equal(["*"], starAndMore.Types);
    }

    [Fact]
    public void TypeStar_StaysEveryType_WhenMoreTypesAreAddedLater()
    {
        var star = EventFilter.Create(types: ["*"]);

        var extended = star.WithTypes("execution.*");

        Assert.True(extended.Matches(Event(type: "agent.started")));
        Assert.Equal(EventFilter.Create(types: ["*", "execution.*"]).Types, extended.Types);
    }

    [Fact]
    public void SeveralTypePatterns_MatchAny()
    {
        var filter = EventFilter.Create(types: ["execution.*", "*.failed"]);

        Assert.True(filter.Matches(Event(type: "execution.started")));
        Assert.True(filter.Matches(Event(type: "agent.failed")));
        Assert.False(filter.Matches(Event(type: "agent.started")));
        Assert.Equal(["execution.*", "*.failed"], filter.Types);
    }

    [Theory]
    [InlineData("", "1 to 128 characters")]
    [InlineData("execution", "use a full type")]
    [InlineData("**", "use a full type")]
    [InlineData("execution.st*", "'*' must be a whole segment")]
    [InlineData("exec*.started", "'*' must be a whole segment")]
    [InlineData("Execution.*", "segment 'Execution' breaks the rule")]
    [InlineData("execution.", "breaks the rule")]
    [InlineData("*.1failed", "segment '1failed' breaks the rule")]
    [InlineData("execution .*", "breaks the rule")]
    public void MalformedTypePattern_IsRejected_WithAClearMessage(string pattern, string expected)
    {
        Assert.False(EventFilter.TryCreate(null, [pattern], EventPriority.Low, null, out var filter, out var error));

        Assert.Null(filter);
        Assert.Contains($"Type pattern '{pattern}' is invalid", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TypePattern_LongerThanTheTypeLimit_IsRejected()
    {
        var pattern = "*." + new string('a', EventNames.MaxTypeLength - 1);

        Assert.False(EventFilter.TryCreate(null, [pattern], EventPriority.Low, null, out _, out var error));
        Assert.Contains("1 to 128 characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void NullType_IsRejected()
    {
        Assert.False(EventFilter.TryCreate(null, ["a.b", null!], EventPriority.Low, null, out _, out var error));
        Assert.Contains("null", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Types_AtTheLimit_AreAccepted_OneMoreIsRejected()
    {
        var types = Enumerable.Range(0, EventFilter.MaxTypes).Select(i => $"category{i}.*").ToArray();

        Assert.Equal(32, EventFilter.MaxTypes);
        Assert.True(EventFilter.TryCreate(null, types, EventPriority.Low, null, out var filter, out _));
        Assert.Equal(EventFilter.MaxTypes, filter.Types.Count);
        Assert.False(EventFilter.TryCreate(null, [.. types, "one.more"], EventPriority.Low, null, out _, out var error));
        Assert.Contains("at most 32 type patterns", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateTypes_AreKeptOnce_AndDoNotCountTowardsTheLimit()
    {
        var types = Enumerable.Repeat("a.b", 100).ToArray();

        Assert.True(EventFilter.TryCreate(null, types, EventPriority.Low, null, out var filter, out _));
        Assert.Equal(["a.b"], filter.Types);
    }

    [Theory]
    [InlineData(EventPriority.Low, EventPriority.Low, true)]
    [InlineData(EventPriority.Normal, EventPriority.Low, false)]
    [InlineData(EventPriority.Normal, EventPriority.Normal, true)]
    [InlineData(EventPriority.Normal, EventPriority.Critical, true)]
    [InlineData(EventPriority.High, EventPriority.Normal, false)]
    [InlineData(EventPriority.High, EventPriority.High, true)]
    [InlineData(EventPriority.Critical, EventPriority.High, false)]
    [InlineData(EventPriority.Critical, EventPriority.Critical, true)]
    public void MinimumPriority_LetsThroughThatPriorityAndAbove(EventPriority minimum, EventPriority priority, bool expected) =>
        Assert.Equal(expected, EventFilter.Create(minimumPriority: minimum).Matches(Event(priority: priority)));

    [Fact]
    public void MinimumPriority_Undefined_IsRejected()
    {
        Assert.False(EventFilter.TryCreate(null, null, (EventPriority)9, null, out _, out var error));
        Assert.Contains("Minimum priority '9' is invalid", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_EventMustCarryEveryEntryWithAnEqualValue()
    {
        var filter = EventFilter.Create(meta: new Dictionary<string, string> { ["tenant"] = "acme", ["region"] = "eu" });

        Assert.True(filter.Matches(Event(meta: new() { ["tenant"] = "acme", ["region"] = "eu" })));
        Assert.True(filter.Matches(Event(meta: new() { ["tenant"] = "acme", ["region"] = "eu", ["extra"] = "x" })));
        Assert.False(filter.Matches(Event(meta: new() { ["tenant"] = "acme" })));
        Assert.False(filter.Matches(Event(meta: new() { ["tenant"] = "acme", ["region"] = "us" })));
        Assert.False(filter.Matches(Event(meta: new() { ["tenant"] = "Acme", ["region"] = "eu" })));
        Assert.False(filter.Matches(Event(meta: new() { ["Tenant"] = "acme", ["region"] = "eu" })));
        Assert.False(filter.Matches(Event()));
    }

    [Fact]
    public void Meta_IsCopied()
    {
        var source = new Dictionary<string, string> { ["tenant"] = "acme" };
        var filter = EventFilter.Create(meta: source);
        source["tenant"] = "other";

        Assert.Equal("acme", filter.Meta["tenant"]);
        Assert.True(filter.Matches(Event(meta: new() { ["tenant"] = "acme" })));
    }

    [Fact]
    public void Meta_AtTheLimit_IsAccepted_OneMoreIsRejected()
    {
        var meta = Enumerable.Range(0, EventFilter.MaxMeta).ToDictionary(i => $"k{i}", i => "v");

        Assert.Equal(16, EventFilter.MaxMeta);
        Assert.True(EventFilter.TryCreate(null, null, EventPriority.Low, meta, out _, out _));
        meta["one-more"] = "v";
        Assert.False(EventFilter.TryCreate(null, null, EventPriority.Low, meta, out _, out var error));
        Assert.Contains("at most 16 meta entries", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "v")]
    [InlineData("tenant", null)]
    public void Meta_MalformedEntry_IsRejected(string key, string? value)
    {
        var meta = new Dictionary<string, string> { [key] = value! };

        Assert.False(EventFilter.TryCreate(null, null, EventPriority.Low, meta, out _, out var error));
        Assert.Contains($"Meta filter entry '{key}' is invalid", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_OverlongKeyOrValue_IsRejected()
    {
        Assert.False(EventFilter.TryCreate(null, null, EventPriority.Low, new Dictionary<string, string> { [new string('k', 65)] = "v" }, out _, out _));
        Assert.False(EventFilter.TryCreate(null, null, EventPriority.Low, new Dictionary<string, string> { ["k"] = new string('v', 1025) }, out _, out _));
        Assert.True(EventFilter.TryCreate(null, null, EventPriority.Low, new Dictionary<string, string> { [new string('k', 64)] = new string('v', 1024) }, out _, out _));
    }

    [Fact]
    public void Matches_RequiresEveryPart()
    {
        var filter = EventFilter.Create(["executions/*"], ["execution.*"], EventPriority.Normal, new Dictionary<string, string> { ["tenant"] = "acme" });
        var acme = new Dictionary<string, string> { ["tenant"] = "acme" };

        Assert.True(filter.Matches(Event("executions/e1", "execution.started", EventPriority.Normal, acme)));
        Assert.False(filter.Matches(Event("tasks/t1", "execution.started", EventPriority.Normal, acme)));
        Assert.False(filter.Matches(Event("executions/e1", "task.started", EventPriority.Normal, acme)));
        Assert.False(filter.Matches(Event("executions/e1", "execution.started", EventPriority.Low, acme)));
        Assert.False(filter.Matches(Event("executions/e1", "execution.started", EventPriority.Normal)));
    }

    [Fact]
    public void Matches_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => EventFilter.All.Matches(null!));

    [Fact]
    public void All_MatchesEveryEvent()
    {
        Assert.True(EventFilter.All.Matches(Event("x/y/z", "q.r", EventPriority.Low, new() { ["a"] = "b" })));
        Assert.Equal(EventPriority.Low, EventFilter.All.MinimumPriority);
        Assert.Empty(EventFilter.All.Types);
        Assert.Empty(EventFilter.All.Meta);
    }

    [Fact]
    public void Create_MalformedPart_ThrowsArgumentException_WithTheSameMessageAsTryCreate()
    {
        EventFilter.TryCreate(null, ["Bad"], EventPriority.Low, null, out _, out var error);

        var ex = Assert.Throws<ArgumentException>(() => EventFilter.Create(types: ["Bad"]));

        Assert.Equal(error, ex.Message);
    }

    [Fact]
    public void WithTopics_ReturnsANewFilter_AndLeavesTheOriginalUnchanged()
    {
        var original = EventFilter.Create(["tasks/t1"], ["task.*"], EventPriority.High, new Dictionary<string, string> { ["tenant"] = "acme" });

        var extended = original.WithTopics("executions/*", "crews/c1");

        Assert.NotSame(original, extended);
        Assert.Equal(["tasks/t1"], original.Topics);
        Assert.Empty(original.TopicPatterns);
        Assert.Equal(["tasks/t1", "crews/c1"], extended.Topics);
        Assert.Equal(["executions/*"], extended.TopicPatterns);
        Assert.Equal(["task.*"], extended.Types);
        Assert.Equal(EventPriority.High, extended.MinimumPriority);
        Assert.Equal("acme", extended.Meta["tenant"]);
        Assert.True(extended.MatchesTopic("executions/e1"));
        Assert.False(original.MatchesTopic("executions/e1"));
    }

    [Fact]
    public void WithTopics_Malformed_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => EventFilter.All.WithTopics("exec-*"));

    [Fact]
    public void WithTypes_ReturnsANewFilter_AndLeavesTheOriginalUnchanged()
    {
        var original = EventFilter.Create(["tasks/*"], ["task.*"]);

        var extended = original.WithTypes("*.failed");

        Assert.Equal(["task.*"], original.Types);
        Assert.Equal(["task.*", "*.failed"], extended.Types);
        Assert.Equal(["tasks/*"], extended.TopicPatterns);
        Assert.True(extended.Matches(Event("tasks/t1", "agent.failed")));
        Assert.False(original.Matches(Event("tasks/t1", "agent.failed")));
    }

    [Fact]
    public void WithTypes_Malformed_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => EventFilter.All.WithTypes("execution"));

    [Fact]
    public void WithMinimumPriority_ReturnsANewFilter_AndLeavesTheOriginalUnchanged()
    {
        var original = EventFilter.Create(["tasks/*"], ["task.*"]);

        var raised = original.WithMinimumPriority(EventPriority.Critical);

        Assert.Equal(EventPriority.Low, original.MinimumPriority);
        Assert.Equal(EventPriority.Critical, raised.MinimumPriority);
        Assert.Equal(original.TopicPatterns, raised.TopicPatterns);
        Assert.Equal(original.Types, raised.Types);
        Assert.Throws<ArgumentException>(() => original.WithMinimumPriority((EventPriority)42));
    }

    [Fact]
    public void WithMeta_AddsOrReplacesAnEntry_AndLeavesTheOriginalUnchanged()
    {
        var original = EventFilter.All.WithMeta("tenant", "acme");

        var added = original.WithMeta("region", "eu");
        var replaced = original.WithMeta("tenant", "globex");

        Assert.Equal(new Dictionary<string, string> { ["tenant"] = "acme" }, original.Meta);
        Assert.Equal(new Dictionary<string, string> { ["tenant"] = "acme", ["region"] = "eu" }, added.Meta);
        Assert.Equal(new Dictionary<string, string> { ["tenant"] = "globex" }, replaced.Meta);
        Assert.Empty(EventFilter.All.Meta);
        Assert.Throws<ArgumentException>(() => original.WithMeta("k", null!));
    }

    [Fact]
    public void WithCalls_Compose_IntoTheSameFilterAsCreate()
    {
        var composed = EventFilter.All
            .WithTopics("executions/*")
            .WithTypes("*.failed")
            .WithMinimumPriority(EventPriority.High)
            .WithMeta("tenant", "acme");
        var created = EventFilter.Create(["executions/*"], ["*.failed"], EventPriority.High, new Dictionary<string, string> { ["tenant"] = "acme" });

        Assert.Equal(created.ToString(), composed.ToString());
        Assert.True(composed.Matches(Event("executions/e1", "execution.failed", EventPriority.High, new() { ["tenant"] = "acme" })));
        Assert.True(EventFilter.All.Matches(Event("tasks/t1", "task.started")));
    }

    [Fact]
    public void WithTopics_BeyondTheLimit_ThrowsArgumentException()
    {
        var full = EventFilter.Create(Enumerable.Range(0, EventFilter.MaxTopics).Select(i => $"t/{i}"));

        Assert.Throws<ArgumentException>(() => full.WithTopics("t/one-more"));
    }

    [Fact]
    public void ToString_DescribesEveryPart()
    {
        var filter = EventFilter.Create(["tasks/t1", "executions/*"], ["*.failed"], EventPriority.High, new Dictionary<string, string> { ["tenant"] = "acme" });

        Assert.Equal("topics=[tasks/t1, executions/*] types=[*.failed] min=High meta=[tenant=acme]", filter.ToString());
        Assert.Equal("topics=[] types=[] min=Low", EventFilter.All.ToString());
    }

    private static RealtimeEvent Event(string topic = "executions/e1", string type = "execution.started",
        EventPriority priority = EventPriority.Normal, Dictionary<string, string>? meta = null) =>
        RealtimeEvent.Create(new EventDraft(type, topic) { Priority = priority, Meta = meta }, "id", DateTimeOffset.UnixEpoch, new EventPosition("e1", 1));
}
