namespace RealtimeEvents.Tests.Events;

public sealed class AgentEventsTests
{
    [Fact]
    public void Topic_IsUnderTheExecution() =>
        Assert.Equal("executions/exec-1/agents/researcher", AgentEvents.Topic("exec-1", "researcher"));

    [Fact]
    public void Topic_IsCoveredByTheExecutionsDeepPattern()
    {
        var filter = EventFilter.Create(["executions/exec-1/**"]);

        Assert.True(filter.MatchesTopic(AgentEvents.Topic("exec-1", "a1")));
        Assert.True(filter.MatchesTopic(ExecutionEvents.Topic("exec-1")));
        Assert.False(filter.MatchesTopic(AgentEvents.Topic("exec-2", "a1")));
    }

    [Fact]
    public void Started_HasTypeTopicPriorityAndRole()
    {
        var draft = AgentEvents.Started("exec-1", "a1", "researcher");

        Assert.Equal(EventTypes.Agent.Started, draft.Type);
        Assert.Equal("executions/exec-1/agents/a1", draft.Topic);
        Assert.Equal(EventPriority.Normal, draft.Priority);
        Assert.Null(draft.ConflationKey);
        Assert.Equal("""{"id":"a1","name":"researcher"}""", draft.Data.ToString());
    }

    [Fact]
    public void Progress_IsLowPriority_ConflatedPerAgent()
    {
        var draft = AgentEvents.Progress("exec-1", "a1", 75, "reading sources");

        Assert.Equal(EventTypes.Agent.Progress, draft.Type);
        Assert.Equal(EventPriority.Low, draft.Priority);
        Assert.Equal("executions/exec-1/agents/a1#agent.progress", draft.ConflationKey);
        Assert.Equal("""{"id":"a1","percent":75,"message":"reading sources"}""", draft.Data.ToString());
        Assert.NotEqual(draft.ConflationKey, AgentEvents.Progress("exec-1", "a2", 75).ConflationKey);
        Assert.NotEqual(draft.ConflationKey, ExecutionEvents.Progress("exec-1", 75).ConflationKey);
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(101)]
    [InlineData(double.NaN)]
    public void Progress_OutOfRange_ThrowsArgumentOutOfRangeException(double percent) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AgentEvents.Progress("e1", "a1", percent));

    [Fact]
    public void Completed_HasTheMessage()
    {
        var draft = AgentEvents.Completed("exec-1", "a1", "done");

        Assert.Equal(EventTypes.Agent.Completed, draft.Type);
        Assert.Equal(EventPriority.Normal, draft.Priority);
        Assert.Equal("""{"id":"a1","message":"done"}""", draft.Data.ToString());
    }

    [Fact]
    public void Failed_IsHighPriority_WithTheError()
    {
        var draft = AgentEvents.Failed("exec-1", "a1", "rate limited", "429");

        Assert.Equal(EventTypes.Agent.Failed, draft.Type);
        Assert.Equal("executions/exec-1/agents/a1", draft.Topic);
        Assert.Equal(EventPriority.High, draft.Priority);
        Assert.Equal("""{"id":"a1","error":"rate limited","errorType":"429"}""", draft.Data.ToString());
    }

    [Fact]
    public void Failed_EmptyError_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => AgentEvents.Failed("e1", "a1", string.Empty));

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("agent 1")]
    [InlineData("*")]
    public void InvalidAgentId_ThrowsArgumentException_NamingAgentId(string agentId)
    {
        var ex = Assert.Throws<ArgumentException>(() => AgentEvents.Started("exec-1", agentId));

        Assert.Equal("agentId", ex.ParamName);
        Assert.Throws<ArgumentException>(() => AgentEvents.Progress("exec-1", agentId, 1));
        Assert.Throws<ArgumentException>(() => AgentEvents.Completed("exec-1", agentId));
        Assert.Throws<ArgumentException>(() => AgentEvents.Failed("exec-1", agentId, "x"));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    public void InvalidExecutionId_ThrowsArgumentException_NamingExecutionId(string executionId)
    {
        var ex = Assert.Throws<ArgumentException>(() => AgentEvents.Topic(executionId, "a1"));

        Assert.Equal("executionId", ex.ParamName);
    }

    [Fact]
    public void AgentIdTooLongForATopic_ThrowsArgumentException_NamingAgentId()
    {
        var agentId = new string('a', EventNames.MaxTopicLength - "executions/e1/agents/".Length + 1);

        var ex = Assert.Throws<ArgumentException>(() => AgentEvents.Topic("e1", agentId));

        Assert.Equal("agentId", ex.ParamName);
        Assert.Equal(EventNames.MaxTopicLength, AgentEvents.Topic("e1", agentId[1..]).Length);
    }

    [Fact]
    public void NullIds_ThrowArgumentNullException()
    {
        Assert.Equal("agentId", Assert.Throws<ArgumentNullException>(() => AgentEvents.Started("e1", null!)).ParamName);
        Assert.Equal("executionId", Assert.Throws<ArgumentNullException>(() => AgentEvents.Started(null!, "a1")).ParamName);
    }
}
