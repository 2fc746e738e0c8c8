namespace RealtimeEvents.Tests.Filtering;

public sealed partial class EventFilterTests
{
    [Theory]
    [InlineData("executions/*", "executions/e1", true)]
    [InlineData("executions/*", "executions/E-1.x", true)]
    [InlineData("executions/*", "executions", false)]
    [InlineData("executions/*", "executions/e1/agents", false)]
    [InlineData("executions/*", "executionsx/e1", false)]
    [InlineData("executions/*", "tasks/e1", false)]
    [InlineData("*", "executions", true)]
    [InlineData("*", "executions/e1", false)]
    [InlineData("*/e1", "executions/e1", true)]
    [InlineData("*/e1", "tasks/e1", true)]
    [InlineData("*/e1", "tasks/e2", false)]
    [InlineData("*/*", "a/b", true)]
    [InlineData("*/*", "a", false)]
    [InlineData("*/*", "a/b/c", false)]
    [InlineData("executions/*/agents/*", "executions/e1/agents/a1", true)]
    [InlineData("executions/*/agents/*", "executions/e1/agents", false)]
    [InlineData("executions/*/agents/*", "executions/e1/tasks/a1", false)]
    [InlineData("executions/*/agents/*", "executions/e1/agents/a1/x", false)]
    public void SingleSegmentWildcard_MatchesExactlyOneSegment(string pattern, string topic, bool expected) =>
        Assert.Equal(expected, EventFilter.Create([pattern]).MatchesTopic(topic));

    [Theory]
    [InlineData("executions/e1/**", "executions/e1", true)]
    [InlineData("executions/e1/**", "executions/e1/agents", true)]
    [InlineData("executions/e1/**", "executions/e1/agents/a1", true)]
    [InlineData("executions/e1/**", "executions/e1/agents/a1/tools/t1", true)]
    [InlineData("executions/e1/**", "executions/e10", false)]
    [InlineData("executions/e1/**", "executions/e10/agents", false)]
    [InlineData("executions/e1/**", "executions", false)]
    [InlineData("executions/e1/**", "executions/e2/agents/a1", false)]
    [InlineData("executions/**", "executions", true)]
    [InlineData("executions/**", "executions/e1", true)]
    [InlineData("executions/**", "executionsx", false)]
    [InlineData("executions/**", "tasks/t1", false)]
    [InlineData("**", "a", true)]
    [InlineData("**", "a/b/c/d", true)]
    [InlineData("executions/*/**", "executions/e1", true)]
    [InlineData("executions/*/**", "executions/e1/agents/a1", true)]
    [InlineData("executions/*/**", "executions", false)]
    public void TrailingDoubleWildcard_MatchesAnyNumberOfFurtherSegments_IncludingNone(string pattern, string topic, bool expected) =>
        Assert.Equal(expected, EventFilter.Create([pattern]).MatchesTopic(topic));

    [Fact]
    public void TopicPattern_MatchesCaseSensitively()
    {
        var filter = EventFilter.Create(["Executions/*"]);

        Assert.True(filter.MatchesTopic("Executions/e1"));
        Assert.False(filter.MatchesTopic("executions/e1"));
    }

    [Theory]
    [InlineData("exec-*", "'*' must be a whole segment")]
    [InlineData("executions/e*", "'*' must be a whole segment")]
    [InlineData("executions/*x", "'*' must be a whole segment")]
    [InlineData("executions/***", "'*' must be a whole segment")]
    [InlineData("executions/**x", "'*' must be a whole segment")]
    [InlineData("executions/**/agents", "'**' may only be the last segment")]
    [InlineData("**/agents", "'**' may only be the last segment")]
    [InlineData("a/**/**", "'**' may only be the last segment")]
    [InlineData("executions//*", "segments must not be empty")]
    [InlineData("/executions/*", "segments must not be empty")]
    [InlineData("executions/*/", "segments must not be empty")]
    [InlineData("executions/e 1/*", "' ' is not allowed")]
    [InlineData("exécutions/*", "'é' is not allowed")]
    public void MalformedTopicPattern_IsRejected_WithAClearMessage(string pattern, string expected)
    {
        Assert.False(EventFilter.TryCreate([pattern], null, EventPriority.Low, null, out var filter, out var error));

        Assert.Null(filter);
        Assert.Contains($"Topic pattern '{pattern}' is invalid", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void PartialWildcard_Create_ThrowsArgumentException_ExplainingWholeSegments()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventFilter.Create(["exec-*"]));

        Assert.Contains("'exec-*'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'executions/*'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TopicPattern_LongerThanTheTopicLimit_IsRejected()
    {
        var pattern = new string('a', EventNames.MaxTopicLength - 1) + "/*";

        Assert.False(EventFilter.TryCreate([pattern], null, EventPriority.Low, null, out _, out var error));
        Assert.Contains("1 to 256 characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("executions/e 1")]
    [InlineData("executions//e1")]
    [InlineData("executions/")]
    [InlineData("")]
    public void MalformedExactTopic_IsRejected_NamingTheRule(string topic)
    {
        Assert.False(EventFilter.TryCreate([topic], null, EventPriority.Low, null, out _, out var error));

        Assert.Contains($"Topic '{topic}' is invalid", error, StringComparison.Ordinal);
        Assert.Contains(EventNames.TopicRule, error, StringComparison.Ordinal);
    }

    [Fact]
    public void NullTopic_IsRejected()
    {
        Assert.False(EventFilter.TryCreate(["a", null!], null, EventPriority.Low, null, out _, out var error));
        Assert.Contains("null", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ExactTopics_MatchOnlyThemselves()
    {
        var filter = EventFilter.Create(["executions/e1", "tasks/t1"]);

        Assert.True(filter.MatchesTopic("executions/e1"));
        Assert.True(filter.MatchesTopic("tasks/t1"));
        Assert.False(filter.MatchesTopic("executions/e1/agents/a1"));
        Assert.False(filter.MatchesTopic("executions"));
        Assert.False(filter.MatchesTopic("Executions/e1"));
        Assert.False(filter.MatchesTopic("executions/e"));
    }

    [Fact]
    public void ManyExactTopics_StillMatchExactly()
    {
        var topics = Enumerable.Range(0, 20).Select(i => $"executions/e{i}").ToArray();
        var filter = EventFilter.Create(topics);

        Assert.All(topics, t => Assert.True(filter.MatchesTopic(t), t));
        Assert.False(filter.MatchesTopic("executions/e20"));
        Assert.False(filter.MatchesTopic("executions/e1/x"));
    }

    [Fact]
    public void ExactTopicsAndPatterns_AreSeparated_AndBothMatch()
    {
        var filter = EventFilter.Create(["tasks/t1", "executions/*", "crews/c1/**"]);

        Assert.Equal(["tasks/t1"], filter.Topics);
        Assert.Equal(["executions/*", "crews/c1/**"], filter.TopicPatterns);
        Assert.True(filter.MatchesTopic("tasks/t1"));
        Assert.True(filter.MatchesTopic("executions/e9"));
        Assert.True(filter.MatchesTopic("crews/c1"));
        Assert.True(filter.MatchesTopic("crews/c1/members/m1"));
        Assert.False(filter.MatchesTopic("tasks/t2"));
        Assert.False(filter.MatchesTopic("crews/c2"));
    }

    [Fact]
    public void DuplicateTopics_AreKeptOnce()
    {
        var filter = EventFilter.Create(["a/b", "a/b", "a/*", "a/*"]);

        Assert.Equal(["a/b"], filter.Topics);
        Assert.Equal(["a/*"], filter.TopicPatterns);
    }

    [Fact]
    public void NoTopics_MatchesEveryTopic()
    {
        Assert.True(EventFilter.Create().MatchesTopic("anything/at/all"));
        Assert.True(EventFilter.Create(topics: []).MatchesTopic("x"));
        Assert.True(EventFilter.All.MatchesTopic("executions/e1"));
        Assert.Empty(EventFilter.All.Topics);
        Assert.Empty(EventFilter.All.TopicPatterns);
    }

    [Fact]
    public void MatchesTopic_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => EventFilter.All.MatchesTopic(null!));

    [Fact]
    public void Matches_UsesTheTopicPart()
    {
        var filter = EventFilter.Create(["executions/e1/**"]);

        Assert.True(filter.Matches(Event(topic: "executions/e1/agents/a1")));
        Assert.False(filter.Matches(Event(topic: "executions/e2")));
    }

    [Fact]
    public void Topics_AtTheLimit_AreAccepted_OneMoreIsRejected()
    {
        var exact = Enumerable.Range(0, EventFilter.MaxTopics / 2).Select(i => $"t/{i}");
        var patterns = Enumerable.Range(0, EventFilter.MaxTopics / 2).Select(i => $"p/{i}/*");
        var atLimit = exact.Concat(patterns).ToArray();

        Assert.Equal(64, EventFilter.MaxTopics);
        Assert.True(EventFilter.TryCreate(atLimit, null, EventPriority.Low, null, out var filter, out _));
        Assert.Equal(EventFilter.MaxTopics, filter.Topics.Count + filter.TopicPatterns.Count);

        Assert.False(EventFilter.TryCreate([.. atLimit, "one/more"], null, EventPriority.Low, null, out _, out var error));
        Assert.Contains("at most 64 topics", error, StringComparison.Ordinal);
        Assert.False(EventFilter.TryCreate([.. atLimit, "one/more/*"], null, EventPriority.Low, null, out _, out _));
    }

    [Fact]
    public void Topics_DuplicatesDoNotCountTowardsTheLimit()
    {
        var topics = Enumerable.Repeat("a/b", 200).Concat(Enumerable.Range(0, EventFilter.MaxTopics - 1).Select(i => $"t/{i}"));

        Assert.True(EventFilter.TryCreate(topics, null, EventPriority.Low, null, out var filter, out var error), error);
        Assert.Equal(EventFilter.MaxTopics, filter.Topics.Count);
    }
}
