using System.Text.Json;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>Events the tests publish: numbered, so order and gaps can be checked from the <c>data.i</c> field.</summary>
public static class Drafts
{
    public static EventDraft Numbered(int i, string topic = "tasks/t1", string type = EventTypes.Task.Progress, string pad = "",
        EventPriority priority = EventPriority.Normal) =>
        new(type, topic)
        {
            Priority = priority,
            Data = EventData.From(new Dictionary<string, object> { ["i"] = i, ["pad"] = pad }),
        };

    /// <summary>Gets the number an event was published with.</summary>
    public static int NumberOf(JsonElement evt) => evt.GetProperty("data").GetProperty("i").GetInt32();

    /// <summary>Gets an event's position, <c>epoch:seq</c>, the value to resume after (docs/protocol.md, "Resume").</summary>
    public static string PositionOf(JsonElement evt) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{evt.GetProperty("epoch").GetString()}:{evt.GetProperty("seq").GetInt64()}");
}
