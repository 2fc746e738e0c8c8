namespace RealtimeEvents.Tests.Events;

public sealed class EventNamesTests
{
    public static TheoryData<string> ValidTypes => new()
    {
        "execution.started",
        "a.b",
        "task.timed_out",
        "agent.tool-called",
        "crew.member_joined",
        "queue.depth2",
        "my-app.orders.shipped",
        "x1.y2.z3",
        "a." + new string('b', EventNames.MaxTypeLength - 2),
    };

    public static TheoryData<string?> InvalidTypes => new()
    {
        null,
        string.Empty,
        "execution",
        "Execution.started",
        "execution.Started",
        "EXECUTION.STARTED",
        "1execution.started",
        "execution.1started",
        "_execution.started",
        "-execution.started",
        "execution._started",
        ".execution.started",
        "execution.started.",
        "execution..started",
        "execution.",
        ".",
        "execution started",
        " execution.started",
        "execution.started ",
        "execution.\tstarted",
        "exécution.started",
        "execution.démarré",
        "execution/started",
        "execution:started",
        "execution.*",
        "a." + new string('b', EventNames.MaxTypeLength - 1),
    };

    public static TheoryData<string> ValidTopics => new()
    {
        "executions",
        "executions/exec-123",
        "Executions/Exec-123",
        "123",
        "123/456",
        "crews/crew_9/agents/a.b",
        "users/alice@example.com",
        "urn:thing:1",
        "a/b/c/d/e/f/g",
        new string('a', EventNames.MaxTopicLength),
    };

    public static TheoryData<string?> InvalidTopics => new()
    {
        null,
        string.Empty,
        "/",
        "/executions",
        "executions/",
        "executions//exec-1",
        "executions/exec 1",
        " executions",
        "executions\t",
        "executions/exec-1\n",
        "executions/*",
        "executions/**",
        "executions/exec#1",
        "executions/exec?1",
        "executions\\exec-1",
        "exécutions/1",
        "executions/ü",
        "executions/日本",
        new string('a', EventNames.MaxTopicLength + 1),
    };

    [Theory]
    [MemberData(nameof(ValidTypes))]
    public void IsValidType_AcceptsWellFormedTypes(string type) => Assert.True(EventNames.IsValidType(type), type);

    [Theory]
    [MemberData(nameof(InvalidTypes))]
    public void IsValidType_RejectsMalformedTypes(string? type) => Assert.False(EventNames.IsValidType(type), type);

    [Fact]
    public void IsValidType_LengthLimit_Is128Characters()
    {
        var atLimit = "a." + new string('b', EventNames.MaxTypeLength - 2);
        var overLimit = atLimit + "b";

        Assert.Equal(128, EventNames.MaxTypeLength);
        Assert.Equal(128, atLimit.Length);
        Assert.True(EventNames.IsValidType(atLimit));
        Assert.False(EventNames.IsValidType(overLimit));
    }

    [Theory]
    [MemberData(nameof(ValidTopics))]
    public void IsValidTopic_AcceptsWellFormedTopics(string topic) => Assert.True(EventNames.IsValidTopic(topic), topic);

    [Theory]
    [MemberData(nameof(InvalidTopics))]
    public void IsValidTopic_RejectsMalformedTopics(string? topic) => Assert.False(EventNames.IsValidTopic(topic), topic);

    [Fact]
    public void IsValidTopic_LengthLimit_Is256Characters()
    {
        var atLimit = "executions/" + new string('e', EventNames.MaxTopicLength - "executions/".Length);

        Assert.Equal(256, EventNames.MaxTopicLength);
        Assert.True(EventNames.IsValidTopic(atLimit));
        Assert.False(EventNames.IsValidTopic(atLimit + "e"));
    }

    [Fact]
    public void ThrowIfInvalidType_ThrowsArgumentException_NamingTheTypeAndTheRule()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventNames.ThrowIfInvalidType("Execution.Started"));

        Assert.Equal("type", ex.ParamName);
        Assert.Contains("'Execution.Started'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(EventNames.TypeRule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowIfInvalidType_UsesTheGivenParameterName()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventNames.ThrowIfInvalidType("bad", "eventType"));

        Assert.Equal("eventType", ex.ParamName);
    }

    [Fact]
    public void ThrowIfInvalidType_Null_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventNames.ThrowIfInvalidType(null));

        Assert.Contains(EventNames.TypeRule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowIfInvalidType_ValidType_DoesNotThrow()
    {
        var ex = Record.Exception(() => EventNames.ThrowIfInvalidType(EventTypes.Execution.Started));

        Assert.Null(ex);
    }

    [Fact]
    public void ThrowIfInvalidTopic_ThrowsArgumentException_NamingTheTopicAndTheRule()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventNames.ThrowIfInvalidTopic("executions//e1"));

        Assert.Equal("topic", ex.ParamName);
        Assert.Contains("'executions//e1'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(EventNames.TopicRule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowIfInvalidTopic_UsesTheGivenParameterName()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventNames.ThrowIfInvalidTopic("a b", "subject"));

        Assert.Equal("subject", ex.ParamName);
    }

    [Fact]
    public void ThrowIfInvalidTopic_ValidTopic_DoesNotThrow()
    {
        var ex = Record.Exception(() => EventNames.ThrowIfInvalidTopic("executions/exec-1"));

        Assert.Null(ex);
    }

    [Fact]
    public void Rules_StateTheLengthLimits()
    {
        Assert.Contains("128", EventNames.TypeRule, StringComparison.Ordinal);
        Assert.Contains("256", EventNames.TopicRule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("execution.completed")]
    [InlineData("execution.failed")]
    [InlineData("execution.cancelled")]
    [InlineData("execution.canceled")]
    [InlineData("execution.timed_out")]
    [InlineData("agent.failed")]
    [InlineData("my-app.orders.completed")]
    public void IsTerminalType_CompletedFailedCancelledAndTimedOut_AreTerminal(string type) =>
        Assert.True(EventNames.IsTerminalType(type), type);

    [Theory]
    [InlineData("execution.started")]
    [InlineData("execution.progress")]
    [InlineData("task.retrying")]
    [InlineData("workflow.step_completed")]
    [InlineData("workflow.step_failed")]
    [InlineData("execution.completed_partially")]
    [InlineData("completed.started")]
    [InlineData("execution.Completed")]
    public void IsTerminalType_OtherActions_AreNotTerminal(string type) =>
        Assert.False(EventNames.IsTerminalType(type), type);

    [Fact]
    public void IsTerminalType_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => EventNames.IsTerminalType(null!));
}
