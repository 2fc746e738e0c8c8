using System.Text.Json;

namespace RealtimeEvents.Tests.Events;

public sealed class ExecutionEventsTests
{
    [Fact]
    public void Topic_IsExecutionsSlashId() => Assert.Equal("executions/exec-1", ExecutionEvents.Topic("exec-1"));

    [Fact]
    public void Started_HasTypeTopicPriorityAndPayload()
    {
        var draft = ExecutionEvents.Started("exec-1", "nightly-build");

        Assert.Equal(EventTypes.Execution.Started, draft.Type);
        Assert.Equal("executions/exec-1", draft.Topic);
        Assert.Equal(EventPriority.Normal, draft.Priority);
        Assert.Null(draft.ConflationKey);
        Assert.Equal("""{"id":"exec-1","name":"nightly-build"}""", draft.Data.ToString());
    }

    [Fact]
    public void Started_WithoutWorkflow_OmitsTheName() =>
        Assert.Equal("""{"id":"exec-1"}""", ExecutionEvents.Started("exec-1").Data.ToString());

    [Fact]
    public void Progress_IsLowPriority_ConflatedPerExecution()
    {
        var draft = ExecutionEvents.Progress("exec-1", 42.5, "step 3 of 8");

        Assert.Equal(EventTypes.Execution.Progress, draft.Type);
        Assert.Equal("executions/exec-1", draft.Topic);
        Assert.Equal(EventPriority.Low, draft.Priority);
        Assert.Equal("executions/exec-1#execution.progress", draft.ConflationKey);
        Assert.Equal("""{"id":"exec-1","percent":42.5,"message":"step 3 of 8"}""", draft.Data.ToString());
    }

    [Fact]
    public void Progress_OfTwoExecutions_HaveDifferentConflationKeys() =>
        Assert.NotEqual(ExecutionEvents.Progress("e1", 1).ConflationKey, ExecutionEvents.Progress("e2", 1).ConflationKey);

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(0.001)]
    public void Progress_AtTheBounds_IsAccepted(double percent)
    {
        var data = ExecutionEvents.Progress("e1", percent).Data.ToJsonElement();

        Assert.Equal(percent, data.GetProperty("percent").GetDouble());
        Assert.False(data.TryGetProperty("message", out _));
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(100.01)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Progress_OutOfRange_ThrowsArgumentOutOfRangeException(double percent)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ExecutionEvents.Progress("e1", percent));

        Assert.Equal("percent", ex.ParamName);
        Assert.Contains("0 to 100", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Completed_IsTerminalType_WithMessage()
    {
        var draft = ExecutionEvents.Completed("exec-1", "all good");

        Assert.Equal(EventTypes.Execution.Completed, draft.Type);
        Assert.Equal(EventPriority.Normal, draft.Priority);
        Assert.True(EventNames.IsTerminalType(draft.Type));
        Assert.Equal("""{"id":"exec-1","message":"all good"}""", draft.Data.ToString());
    }

    [Fact]
    public void Failed_IsHighPriority_WithErrorAndErrorType()
    {
        var draft = ExecutionEvents.Failed("exec-1", "disk full", "IOException");

        Assert.Equal(EventTypes.Execution.Failed, draft.Type);
        Assert.Equal("executions/exec-1", draft.Topic);
        Assert.Equal(EventPriority.High, draft.Priority);
        Assert.Null(draft.ConflationKey);
        Assert.Equal("""{"id":"exec-1","error":"disk full","errorType":"IOException"}""", draft.Data.ToString());
    }

    [Fact]
    public void Failed_WithoutErrorType_OmitsIt() =>
        Assert.Equal("""{"id":"e1","error":"boom"}""", ExecutionEvents.Failed("e1", "boom").Data.ToString());

    [Fact]
    public void Failed_EmptyOrNullError_Throws()
    {
        Assert.Throws<ArgumentException>(() => ExecutionEvents.Failed("e1", string.Empty));
        Assert.Throws<ArgumentNullException>(() => ExecutionEvents.Failed("e1", null!));
    }

    [Fact]
    public void Cancelled_CarriesTheReasonAsMessage()
    {
        var draft = ExecutionEvents.Cancelled("exec-1", "user asked");

        Assert.Equal(EventTypes.Execution.Cancelled, draft.Type);
        Assert.Equal(EventPriority.Normal, draft.Priority);
        Assert.Equal("""{"id":"exec-1","message":"user asked"}""", draft.Data.ToString());
    }

    [Fact]
    public void Payload_EscapesSpecialCharacters_AndStaysValidJson()
    {
        var draft = ExecutionEvents.Failed("e1", "quote \" and \\ and <script>");

        Assert.Equal("quote \" and \\ and <script>", draft.Data.ToJsonElement().GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("exec 1")]
    [InlineData("exec*")]
    [InlineData("exec#1")]
    [InlineData("é")]
    public void InvalidExecutionId_ThrowsArgumentException_NamingTheParameter(string id)
    {
        var ex = Assert.Throws<ArgumentException>(() => ExecutionEvents.Started(id));

        Assert.Equal("executionId", ex.ParamName);
        Assert.Contains("one topic segment", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ExecutionEvents.Topic(id));
        Assert.Throws<ArgumentException>(() => ExecutionEvents.Progress(id, 1));
        Assert.Throws<ArgumentException>(() => ExecutionEvents.Completed(id));
        Assert.Throws<ArgumentException>(() => ExecutionEvents.Failed(id, "x"));
        Assert.Throws<ArgumentException>(() => ExecutionEvents.Cancelled(id));
    }

    [Fact]
    public void NullExecutionId_ThrowsArgumentNullException()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => ExecutionEvents.Started(null!));

        Assert.Equal("executionId", ex.ParamName);
    }

    [Fact]
    public void Progress_WithTheLongestIdThatFitsATopic_IsAccepted()
    {
        var id = new string('e', EventNames.MaxTopicLength - "executions/".Length);

        var draft = ExecutionEvents.Progress(id, 50);

        Assert.Equal(EventNames.MaxTopicLength, draft.Topic.Length);
        Assert.NotNull(draft.ConflationKey);
        Assert.NotEqual(ExecutionEvents.Progress(id[..^1] + "f", 50).ConflationKey, draft.ConflationKey);
    }

    [Fact]
    public void IdTooLongForATopic_ThrowsArgumentException_NamingTheParameter()
    {
        var id = new string('e', EventNames.MaxTopicLength - "executions/".Length + 1);

        var ex = Assert.Throws<ArgumentException>(() => ExecutionEvents.Topic(id));

        Assert.Equal("executionId", ex.ParamName);
        Assert.Contains("at most 256 characters", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ExecutionEvents.Started(id));
    }

    [Fact]
    public void Events_AreReadableThroughTheirPayloadRecords()
    {
        var progress = ExecutionEvents.Progress("e1", 10, "m").Data.Deserialize(EventJsonContext.Default.ProgressData);
        var failure = ExecutionEvents.Failed("e1", "err", "T").Data.Deserialize(EventJsonContext.Default.FailureData);

        Assert.Equal(new ProgressData("e1", 10, "m"), progress);
        Assert.Equal(new FailureData("e1", "err", "T"), failure);
        Assert.Equal(JsonValueKind.Object, ExecutionEvents.Started("e1").Data.ToJsonElement().ValueKind);
    }
}
