namespace RealtimeEvents.Tests.Events;

public sealed class EventDraftTests
{
    [Fact]
    public void Ctor_StoresTypeAndTopic_WithDefaults()
    {
        var draft = new EventDraft(EventTypes.Execution.Started, "executions/exec-1");

        Assert.Equal("execution.started", draft.Type);
        Assert.Equal("executions/exec-1", draft.Topic);
        Assert.Equal(EventPriority.Normal, draft.Priority);
        Assert.True(draft.Data.IsEmpty);
        Assert.Null(draft.Id);
        Assert.Null(draft.ConflationKey);
        Assert.Null(draft.Meta);
    }

    [Theory]
    [InlineData("Execution.Started")]
    [InlineData("execution")]
    [InlineData("")]
    [InlineData("execution started")]
    public void Ctor_InvalidType_ThrowsArgumentException_NamingTheRule(string type)
    {
        var ex = Assert.Throws<ArgumentException>(() => new EventDraft(type, "executions/e1"));

        Assert.Equal("type", ex.ParamName);
        Assert.Contains(EventNames.TypeRule, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("executions/")]
    [InlineData("executions/*")]
    [InlineData("executions/exec 1")]
    public void Ctor_InvalidTopic_ThrowsArgumentException_NamingTheRule(string topic)
    {
        var ex = Assert.Throws<ArgumentException>(() => new EventDraft(EventTypes.Execution.Started, topic));

        Assert.Equal("topic", ex.ParamName);
        Assert.Contains(EventNames.TopicRule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctor_NullTypeOrTopic_ThrowsArgumentException()
    {
        Assert.ThrowsAny<ArgumentException>(() => new EventDraft(null!, "executions/e1"));
        Assert.ThrowsAny<ArgumentException>(() => new EventDraft(EventTypes.Execution.Started, null!));
    }

    [Theory]
    [InlineData(EventPriority.Low)]
    [InlineData(EventPriority.Normal)]
    [InlineData(EventPriority.High)]
    [InlineData(EventPriority.Critical)]
    public void Priority_DefinedValue_IsKept(EventPriority priority) =>
        Assert.Equal(priority, new EventDraft("a.b", "t") { Priority = priority }.Priority);

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    [InlineData(100)]
    public void Priority_UndefinedValue_ThrowsArgumentOutOfRangeException(int value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EventDraft("a.b", "t") { Priority = (EventPriority)value });

        Assert.Equal("Priority", ex.ParamName);
        Assert.Contains("Low, Normal, High or Critical", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("my-own-id")]
    [InlineData(" padded ")]
    public void Id_ValidValue_IsKept(string id) => Assert.Equal(id, new EventDraft("a.b", "t") { Id = id }.Id);

    [Fact]
    public void Id_128Characters_IsKept()
    {
        var id = new string('i', 128);

        Assert.Equal(id, new EventDraft("a.b", "t") { Id = id }.Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    public void Id_EmptyOrWhiteSpace_ThrowsArgumentException(string id)
    {
        var ex = Assert.Throws<ArgumentException>(() => new EventDraft("a.b", "t") { Id = id });

        Assert.Equal("Id", ex.ParamName);
        Assert.Contains("1 to 128 characters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Id_129Characters_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EventDraft("a.b", "t") { Id = new string('i', 129) });

        Assert.Equal("Id", ex.ParamName);
    }

    [Fact]
    public void ConflationKey_ValidValues_AreKept()
    {
        Assert.Equal("k", new EventDraft("a.b", "t") { ConflationKey = "k" }.ConflationKey);
        var longest = new string('k', 512);
        Assert.Equal(longest, new EventDraft("a.b", "t") { ConflationKey = longest }.ConflationKey);
    }

    [Fact]
    public void ConflationKey_Empty_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EventDraft("a.b", "t") { ConflationKey = string.Empty });

        Assert.Equal("ConflationKey", ex.ParamName);
        Assert.Contains("1 to 512 characters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConflationKey_513Characters_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EventDraft("a.b", "t") { ConflationKey = new string('k', 513) });

        Assert.Equal("ConflationKey", ex.ParamName);
    }

    [Fact]
    public void ConflationKey_FitsTheLongestTopicPlusTheLongestType()
    {
        var key = new string('t', EventNames.MaxTopicLength) + "#" + new string('y', EventNames.MaxTypeLength);

        Assert.Equal(key, new EventDraft("a.b", "t") { ConflationKey = key }.ConflationKey);
    }

    [Fact]
    public void Meta_IsCopied_SoLaterChangesToTheSourceDoNotLeakIn()
    {
        var source = new Dictionary<string, string> { ["tenant"] = "acme" };

        var draft = new EventDraft("a.b", "t") { Meta = source };
        source["tenant"] = "other";
        source["extra"] = "x";

        Assert.NotSame(source, draft.Meta);
        Assert.Equal(new Dictionary<string, string> { ["tenant"] = "acme" }, draft.Meta);
    }

    [Fact]
    public void Meta_IsCaseSensitiveAfterCopy_EvenFromACaseInsensitiveSource()
    {
        var source = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Tenant"] = "acme" };

        var draft = new EventDraft("a.b", "t") { Meta = source };

        Assert.True(draft.Meta!.ContainsKey("Tenant"));
        Assert.False(draft.Meta.ContainsKey("tenant"));
    }

    [Fact]
    public void Meta_AtTheLimits_IsAccepted()
    {
        var meta = Enumerable.Range(0, EventDraft.MaxMetaEntries).ToDictionary(i => $"k{i}", i => string.Empty);
        meta["k0"] = new string('v', 1024);
        meta[new string('k', 64)] = "v";
        meta.Remove("k1");

        var draft = new EventDraft("a.b", "t") { Meta = meta };

        Assert.Equal(32, EventDraft.MaxMetaEntries);
        Assert.Equal(EventDraft.MaxMetaEntries, draft.Meta!.Count);
    }

    [Fact]
    public void Meta_TooManyEntries_ThrowsArgumentException_WithTheCount()
    {
        var meta = Enumerable.Range(0, EventDraft.MaxMetaEntries + 1).ToDictionary(i => $"k{i}", i => "v");

        var ex = Assert.Throws<ArgumentException>(() => new EventDraft("a.b", "t") { Meta = meta });

        Assert.Equal("Meta", ex.ParamName);
        Assert.Contains("at most 32 meta entries (got 33)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_EmptyKey_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new EventDraft("a.b", "t") { Meta = new Dictionary<string, string> { [string.Empty] = "v" } });

        Assert.Equal("Meta", ex.ParamName);
        Assert.Contains("keys must be 1 to 64 characters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_KeyLongerThan64_ThrowsArgumentException()
    {
        var key = new string('k', 65);

        var ex = Assert.Throws<ArgumentException>(() =>
            new EventDraft("a.b", "t") { Meta = new Dictionary<string, string> { [key] = "v" } });

        Assert.Contains($"'{key}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_NullValue_ThrowsArgumentException_NamingTheKey()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new EventDraft("a.b", "t") { Meta = new Dictionary<string, string> { ["tenant"] = null! } });

        Assert.Equal("Meta", ex.ParamName);
        Assert.Contains("'tenant'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("non-null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_ValueLongerThan1024_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new EventDraft("a.b", "t") { Meta = new Dictionary<string, string> { ["tenant"] = new string('v', 1025) } });

        Assert.Contains("at most 1024 characters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_Null_IsAllowed() => Assert.Null(new EventDraft("a.b", "t") { Meta = null }.Meta);

    [Fact]
    public void Data_IsKept()
    {
        var data = EventData.FromJson("""{"n":1}""");

        Assert.Equal(data, new EventDraft("a.b", "t") { Data = data }.Data);
    }
}
