using System.Text.Json;
using System.Text.Json.Nodes;

namespace RealtimeEvents.Tests.Events;

public sealed class EventDataDepthTests
{
    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("[", depth)) + string.Concat(Enumerable.Repeat("]", depth));

    [Fact]
    public void FromJson_AcceptsTheMaximumDepth_AndTheWrappedEventStillParsesWithDefaultLimits()
    {
        var data = EventData.FromJson(Nested(EventData.MaxDepth));
        var evt = RealtimeEvent.Create(new EventDraft(EventTypes.Task.Progress, "tasks/t1") { Data = data }, "id", DateTimeOffset.UnixEpoch, new EventPosition("e", 1));

        // A transport frame wrapping the event in two more levels must still be readable by default JSON readers.
        var frame = "{\"type\":\"events\",\"events\":[" + evt + "]}";
        using var document = JsonDocument.Parse(frame);
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("events")[0].GetProperty("data").ValueKind);
    }

    [Fact]
    public void FromJson_RejectsDeeperPayloads()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventData.FromJson(Nested(EventData.MaxDepth + 1)));

        Assert.Contains("well-formed JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_RejectsDeeperSerializedPayloads()
    {
        JsonNode node = new JsonArray();
        for (var i = 1; i < EventData.MaxDepth + 1; i++)
        {
            node = new JsonArray(node);
        }

        var ex = Assert.Throws<ArgumentException>(() => EventData.From(node, EventDataDepthJsonContext.Default.JsonNode));

        Assert.Contains($"deeper than {EventData.MaxDepth} levels", ex.Message, StringComparison.Ordinal);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class EventDataDepthJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
