namespace RealtimeEvents.Tests.Events;

public sealed class TaskEventsTests
{
    [Fact]
    public void Topic_IsTasksSlashId() => Assert.Equal("tasks/task-7", TaskEvents.Topic("task-7"));

    [Fact]
    public void Queued_HasTypeTopicPriorityAndName()
    {
        var draft = TaskEvents.Queued("task-7", "resize images");

        Assert.Equal(EventTypes.Task.Queued, draft.Type);
        Assert.Equal("tasks/task-7", draft.Topic);
        Assert.Equal(EventPriority.Normal, draft.Priority);
        Assert.Null(draft.ConflationKey);
        Assert.Equal("""{"id":"task-7","name":"resize images"}""", draft.Data.ToString());
    }

    [Fact]
    public void Started_HasTypeAndTopic()
    {
        var draft = TaskEvents.Started("task-7");

        Assert.Equal(EventTypes.Task.Started, draft.Type);
        Assert.Equal("tasks/task-7", draft.Topic);
        Assert.Equal("""{"id":"task-7"}""", draft.Data.ToString());
    }

    [Fact]
    public void Progress_IsLowPriority_ConflatedPerTask()
    {
        var draft = TaskEvents.Progress("task-7", 40);

        Assert.Equal(EventTypes.Task.Progress, draft.Type);
        Assert.Equal(EventPriority.Low, draft.Priority);
        Assert.Equal("tasks/task-7#task.progress", draft.ConflationKey);
        Assert.Equal("""{"id":"task-7","percent":40}""", draft.Data.ToString());
        Assert.NotEqual(draft.ConflationKey, TaskEvents.Progress("task-8", 40).ConflationKey);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void Progress_OutOfRange_ThrowsArgumentOutOfRangeException(double percent)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => TaskEvents.Progress("t1", percent));

        Assert.Equal("percent", ex.ParamName);
    }

    [Fact]
    public void Completed_IsTerminal_WithMessage()
    {
        var draft = TaskEvents.Completed("task-7", "resized 12 images");

        Assert.Equal(EventTypes.Task.Completed, draft.Type);
        Assert.True(EventNames.IsTerminalType(draft.Type));
        Assert.Equal("""{"id":"task-7","message":"resized 12 images"}""", draft.Data.ToString());
    }

    [Fact]
    public void Failed_IsHighPriority_WithTheError()
    {
        var draft = TaskEvents.Failed("task-7", "timeout", "TimeoutException");

        Assert.Equal(EventTypes.Task.Failed, draft.Type);
        Assert.Equal(EventPriority.High, draft.Priority);
        Assert.Equal("""{"id":"task-7","error":"timeout","errorType":"TimeoutException"}""", draft.Data.ToString());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("task 7")]
    [InlineData("tasks/**")]
    public void InvalidTaskId_ThrowsArgumentException_NamingTaskId(string taskId)
    {
        var ex = Assert.Throws<ArgumentException>(() => TaskEvents.Queued(taskId));

        Assert.Equal("taskId", ex.ParamName);
        Assert.Throws<ArgumentException>(() => TaskEvents.Topic(taskId));
        Assert.Throws<ArgumentException>(() => TaskEvents.Started(taskId));
        Assert.Throws<ArgumentException>(() => TaskEvents.Progress(taskId, 1));
        Assert.Throws<ArgumentException>(() => TaskEvents.Completed(taskId));
        Assert.Throws<ArgumentException>(() => TaskEvents.Failed(taskId, "x"));
    }

    [Fact]
    public void TaskIdTooLongForATopic_ThrowsArgumentException_NamingTaskId()
    {
        var taskId = new string('t', EventNames.MaxTopicLength - "tasks/".Length + 1);

        Assert.Equal("taskId", Assert.Throws<ArgumentException>(() => TaskEvents.Topic(taskId)).ParamName);
        Assert.Equal(EventNames.MaxTopicLength, TaskEvents.Topic(taskId[1..]).Length);
    }

    [Fact]
    public void NullTaskId_ThrowsArgumentNullException() =>
        Assert.Equal("taskId", Assert.Throws<ArgumentNullException>(() => TaskEvents.Started(null!)).ParamName);

    [Fact]
    public void TaskIdsWithAllowedPunctuation_AreAccepted() =>
        Assert.Equal("tasks/user@host:job_1.v2", TaskEvents.Topic("user@host:job_1.v2"));
}
