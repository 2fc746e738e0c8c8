namespace RealtimeEvents.Tests.Filtering;

public sealed class SubscriptionRequestTests
{
    [Fact]
    public void Defaults_AskForEverythingLive()
    {
        var request = new SubscriptionRequest();

        Assert.Null(request.Id);
        Assert.Empty(request.Topics);
        Assert.Empty(request.Types);
        Assert.Equal(EventPriority.Low, request.MinimumPriority);
        Assert.Null(request.Meta);
        Assert.Null(request.ResumeAfter);
        Assert.False(request.Snapshot);
    }

    [Fact]
    public void ToFilter_Defaults_MatchesEveryEvent()
    {
        var filter = new SubscriptionRequest().ToFilter();

        Assert.True(filter.Matches(Event("anything/here", "x.y", EventPriority.Low)));
        Assert.Empty(filter.Topics);
        Assert.Empty(filter.TopicPatterns);
        Assert.Empty(filter.Types);
    }

    [Fact]
    public void ToFilter_CarriesEveryPart()
    {
        var request = new SubscriptionRequest
        {
            Id = "dashboard-1",
            Topics = ["tasks/t1", "executions/e1/**"],
            Types = ["*.failed", "execution.*"],
            MinimumPriority = EventPriority.High,
            Meta = new Dictionary<string, string> { ["tenant"] = "acme" },
        };

        var filter = request.ToFilter();

        Assert.Equal(["tasks/t1"], filter.Topics);
        Assert.Equal(["executions/e1/**"], filter.TopicPatterns);
        Assert.Equal(["*.failed", "execution.*"], filter.Types);
        Assert.Equal(EventPriority.High, filter.MinimumPriority);
        Assert.Equal("acme", filter.Meta["tenant"]);
        var acme = new Dictionary<string, string> { ["tenant"] = "acme" };
        Assert.True(filter.Matches(Event("executions/e1/agents/a1", "agent.failed", EventPriority.High, acme)));
        Assert.True(filter.Matches(Event("executions/e1", "execution.completed", EventPriority.Critical, acme)));
        Assert.False(filter.Matches(Event("executions/e1", "execution.completed", EventPriority.Normal, acme)));
        Assert.False(filter.Matches(Event("executions/e2", "execution.failed", EventPriority.High, acme)));
        Assert.False(filter.Matches(Event("executions/e1", "agent.started", EventPriority.High, acme)));
        Assert.False(filter.Matches(Event("executions/e1", "execution.failed", EventPriority.High)));
    }

    [Fact]
    public void TryToFilter_ValidRequest_ReturnsTrueAndNoError()
    {
        var request = new SubscriptionRequest { Topics = ["executions/*"] };

        Assert.True(request.TryToFilter(out var filter, out var error));
        Assert.NotNull(filter);
        Assert.Null(error);
        Assert.Equal(["executions/*"], filter.TopicPatterns);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("my subscription #1")]
    public void TryToFilter_AcceptsIdsUpTo128Characters(string id)
    {
        Assert.True(new SubscriptionRequest { Id = id }.TryToFilter(out _, out _));
        Assert.True(new SubscriptionRequest { Id = new string('i', 128) }.TryToFilter(out _, out _));
    }

    [Fact]
    public void TryToFilter_EmptyId_IsRejected()
    {
        Assert.False(new SubscriptionRequest { Id = string.Empty }.TryToFilter(out var filter, out var error));

        Assert.Null(filter);
        Assert.Equal("Subscription id must be 1 to 128 characters.", error);
    }

    [Fact]
    public void TryToFilter_IdLongerThan128_IsRejected()
    {
        Assert.False(new SubscriptionRequest { Id = new string('i', 129) }.TryToFilter(out _, out var error));

        Assert.Contains("1 to 128 characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryToFilter_PartialWildcardTopic_ReportsWhy()
    {
        Assert.False(new SubscriptionRequest { Topics = ["exec-*"] }.TryToFilter(out var filter, out var error));

        Assert.Null(filter);
        Assert.Contains("'exec-*'", error, StringComparison.Ordinal);
        Assert.Contains("'*' must be a whole segment", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryToFilter_DoubleWildcardNotLast_ReportsWhy()
    {
        Assert.False(new SubscriptionRequest { Topics = ["executions/**/agents"] }.TryToFilter(out _, out var error));

        Assert.Contains("'**' may only be the last segment", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryToFilter_MalformedType_ReportsWhy()
    {
        Assert.False(new SubscriptionRequest { Types = ["Execution.*"] }.TryToFilter(out _, out var error));

        Assert.Contains("Type pattern 'Execution.*' is invalid", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryToFilter_UndefinedPriority_ReportsWhy()
    {
        Assert.False(new SubscriptionRequest { MinimumPriority = (EventPriority)(-1) }.TryToFilter(out _, out var error));

        Assert.Contains("Minimum priority", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryToFilter_TooManyTopics_ReportsTheLimit()
    {
        var request = new SubscriptionRequest { Topics = [.. Enumerable.Range(0, EventFilter.MaxTopics + 1).Select(i => $"t/{i}")] };

        Assert.False(request.TryToFilter(out _, out var error));
        Assert.Contains("at most 64", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryToFilter_TooManyMetaEntries_ReportsTheLimit()
    {
        var request = new SubscriptionRequest { Meta = Enumerable.Range(0, EventFilter.MaxMeta + 1).ToDictionary(i => $"k{i}", i => "v") };

        Assert.False(request.TryToFilter(out _, out var error));
        Assert.Contains("at most 16 meta entries", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryToFilter_NullTopicsList_MeansEveryTopic()
    {
        Assert.True(new SubscriptionRequest { Topics = null!, Types = null! }.TryToFilter(out var filter, out _));
        Assert.True(filter.MatchesTopic("a/b"));
    }

    [Fact]
    public void ToFilter_Invalid_ThrowsArgumentException_WithTheSameMessage()
    {
        var request = new SubscriptionRequest { Topics = ["executions//e1"] };
        request.TryToFilter(out _, out var error);

        var ex = Assert.Throws<ArgumentException>(() => request.ToFilter());

        Assert.Equal(error, ex.Message);
        Assert.Contains(EventNames.TopicRule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToFilter_InvalidId_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => new SubscriptionRequest { Id = string.Empty }.ToFilter());

    [Fact]
    public void ToFilter_IgnoresResumeAndSnapshot_WhichAreNotPartOfTheFilter()
    {
        var request = new SubscriptionRequest { Topics = ["a/b"], ResumeAfter = new EventPosition("e1", 5), Snapshot = true };

        var filter = request.ToFilter();

        Assert.Equal(EventFilter.Create(["a/b"]).ToString(), filter.ToString());
    }

    private static RealtimeEvent Event(string topic, string type, EventPriority priority, Dictionary<string, string>? meta = null) =>
        RealtimeEvent.Create(new EventDraft(type, topic) { Priority = priority, Meta = meta }, "id", DateTimeOffset.UnixEpoch, new EventPosition("e1", 1));
}
