using System.Text;
using System.Text.Json;

namespace RealtimeEvents.Tests.Events;

public sealed class EventDataTests
{
    [Fact]
    public void None_IsEmpty_AndEqualToDefault()
    {
        Assert.True(EventData.None.IsEmpty);
        Assert.True(EventData.None.Utf8Json.IsEmpty);
        Assert.Equal(default, EventData.None);
        Assert.Equal("null", EventData.None.ToString());
    }

    [Fact]
    public void From_WithJsonTypeInfo_SerializesWithTheContextsOptions()
    {
        var data = EventData.From(new LifecycleData("exec-1", "nightly"), EventJsonContext.Default.LifecycleData);

        Assert.False(data.IsEmpty);
        Assert.Equal("""{"id":"exec-1","name":"nightly"}""", data.ToString());
    }

    [Fact]
    public void From_WithJsonTypeInfo_RoundTripsThroughDeserialize()
    {
        var payload = new ProgressData("task-7", 42.5, "step 3");

        var data = EventData.From(payload, EventJsonContext.Default.ProgressData);

        Assert.Equal(payload, data.Deserialize(EventJsonContext.Default.ProgressData));
    }

    [Fact]
    public void From_NullTypeInfo_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => EventData.From(new LifecycleData("x"), (System.Text.Json.Serialization.Metadata.JsonTypeInfo<LifecycleData>)null!));

    [Fact]
    public void From_Reflection_UsesWebDefaults()
    {
        var data = EventData.From(new { Percent = 40, StepName = "load" });

        Assert.Equal("""{"percent":40,"stepName":"load"}""", data.ToString());
    }

    [Theory]
    [InlineData("""{"a":1}""")]
    [InlineData("[1,2,3]")]
    [InlineData("42")]
    [InlineData("-1.5e3")]
    [InlineData("\"text\"")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("  {\"a\" : [ 1 , {\"b\":null} ] }  ")]
    public void FromJson_OneWellFormedValue_IsKeptByteForByte(string json)
    {
        var data = EventData.FromJson(json);

        Assert.Equal(Encoding.UTF8.GetBytes(json), data.Utf8Json.ToArray());
        Assert.Equal(json, data.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("""{"a":""")]
    [InlineData("""{"a":1,}""")]
    [InlineData("[1,2")]
    [InlineData("{a:1}")]
    [InlineData("'text'")]
    [InlineData("undefined")]
    [InlineData("NaN")]
    [InlineData("// comment\n1")]
    [InlineData("1 2")]
    [InlineData("{} {}")]
    [InlineData("[1][2]")]
    [InlineData("\"a\" \"b\"")]
    [InlineData("null,")]
    public void FromJson_MalformedOrMoreThanOneValue_ThrowsArgumentException(string json)
    {
        var ex = Assert.Throws<ArgumentException>(() => EventData.FromJson(json));

        Assert.Contains("one well-formed JSON value", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(ex.InnerException);
    }

    [Fact]
    public void FromJson_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => EventData.FromJson(null!));

    [Fact]
    public void FromJson_NestingDeeperThanMaxDepth_IsRejected()
    {
        Assert.False(EventData.FromJson(Nested(EventData.MaxDepth)).IsEmpty);
        Assert.Throws<ArgumentException>(() => EventData.FromJson(Nested(EventData.MaxDepth + 1)));
    }

    [Fact]
    public void FromUtf8Json_CopiesTheBytes()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"n":1}""");

        var data = EventData.FromUtf8Json(bytes);
        bytes[5] = (byte)'2';

        Assert.Equal("""{"n":1}""", data.ToString());
    }

    [Fact]
    public void FromUtf8Json_InvalidUtf8InsideAString_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventData.FromUtf8Json([(byte)'"', 0xC3, 0x28, (byte)'"']));

        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromUtf8Json_MultiByteUtf8_IsAccepted() =>
        Assert.Equal("\"café ✓\"", EventData.FromUtf8Json("\"café ✓\""u8).ToString());

    [Fact]
    public void FromJsonElement_KeepsTheValue()
    {
        using var document = JsonDocument.Parse("""{"a":[1,2]}""");

        var data = EventData.FromJsonElement(document.RootElement);

        Assert.Equal("""{"a":[1,2]}""", data.ToString());
    }

    [Fact]
    public void FromJsonElement_Undefined_IsNone() => Assert.True(EventData.FromJsonElement(default).IsEmpty);

    [Fact]
    public void ToJsonElement_ParsesThePayload()
    {
        var element = EventData.FromJson("""{"percent":40,"tags":["a","b"]}""").ToJsonElement();

        Assert.Equal(JsonValueKind.Object, element.ValueKind);
        Assert.Equal(40, element.GetProperty("percent").GetInt32());
        Assert.Equal("b", element.GetProperty("tags")[1].GetString());
    }

    [Fact]
    public void ToJsonElement_None_IsANullElement() =>
        Assert.Equal(JsonValueKind.Null, EventData.None.ToJsonElement().ValueKind);

    [Fact]
    public void ToJsonElement_ReturnsAnElementThatStaysReadable()
    {
        var element = EventData.FromJson("[1,2,3]").ToJsonElement();

        Assert.Equal(3, element.GetArrayLength());
    }

    [Fact]
    public void Deserialize_None_ReturnsDefault() =>
        Assert.Null(EventData.None.Deserialize(EventJsonContext.Default.LifecycleData));

    [Fact]
    public void Equality_IsByJsonBytes()
    {
        var a = EventData.FromJson("""{"a":1}""");
        var b = EventData.FromUtf8Json("""{"a":1}"""u8);
        var spaced = EventData.FromJson("""{ "a": 1 }""");
        var other = EventData.FromJson("""{"a":2}""");

        Assert.True(a.Equals(b));
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.Equals((object)b));
        Assert.NotEqual(a, spaced);
        Assert.True(a != other);
        Assert.False(a.Equals("""{"a":1}"""));
        Assert.NotEqual(a, EventData.None);
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);
}
