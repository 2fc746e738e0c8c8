using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.Client.Internal;

/// <summary>
/// Reads server messages. Unknown fields are ignored, as the protocol asks; a message that is not JSON, has an unknown
/// <c>op</c> or lacks a required field is reported with a reason instead of throwing.
/// </summary>
internal static class ServerMessageParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static bool TryParse(ReadOnlyMemory<byte> utf8, [NotNullWhen(true)] out ServerMessage? message, [NotNullWhen(false)] out string? error)
    {
        message = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (JsonException ex)
        {
            error = "the frame is not JSON: " + ex.Message;
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "the message is not a JSON object";
                return false;
            }

            if (!TryString(root, "op", out var op))
            {
                error = "the message has no string 'op'";
                return false;
            }

            try
            {
                message = op switch
                {
                    RealtimeProtocol.Welcome => ParseWelcome(root),
                    RealtimeProtocol.Subscribed => ParseSubscribed(root),
                    RealtimeProtocol.Unsubscribed => new UnsubscribedMessage(Required(root, "id"), Required(root, "reason")),
                    RealtimeProtocol.Event => new EventsMessage(Required(root, "sub"), [ParseEvent(Property(root, "event"))]),
                    RealtimeProtocol.Events => ParseEvents(root),
                    RealtimeProtocol.Overflow => ParseOverflow(root),
                    RealtimeProtocol.Error => new ErrorMessage(Optional(root, "id"), Required(root, "code"), Optional(root, "message") ?? string.Empty),
                    RealtimeProtocol.Pong or RealtimeProtocol.Heartbeat => new KeepAliveMessage(op, OptionalPosition(root, "position")),
                    _ => null,
                };
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                error = $"the '{op}' message is invalid: {ex.Message}";
                return false;
            }

            if (message is null)
            {
                error = $"unknown op '{op}'";
                return false;
            }

            error = null;
            return true;
        }
    }

    private static WelcomeMessage ParseWelcome(JsonElement root)
    {
        var protocol = Property(root, "protocol").GetInt32();
        var heartbeatMs = root.TryGetProperty("heartbeatMs", out var hb) && hb.ValueKind == JsonValueKind.Number ? hb.GetDouble() : 15_000;
        return new WelcomeMessage(protocol, Optional(root, "connectionId") ?? string.Empty, OptionalPosition(root, "position"),
            TimeSpan.FromMilliseconds(Math.Max(1, heartbeatMs)));
    }

    private static SubscribedMessage ParseSubscribed(JsonElement root)
    {
        ResumeStatus? resume = Optional(root, "resume") switch
        {
            null => null,
            "complete" => ResumeStatus.Complete,
            "truncated" => ResumeStatus.Truncated,
            "epoch_changed" => ResumeStatus.EpochChanged,
            var other => throw new FormatException($"'resume' is '{other}', not complete, truncated or epoch_changed."),
        };
        var snapshots = new List<EventSnapshot>();
        if (root.TryGetProperty("snapshots", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                var state = item.TryGetProperty("state", out var s) && s.ValueKind != JsonValueKind.Null ? EventData.FromJsonElement(s) : EventData.None;
                snapshots.Add(new EventSnapshot(Required(item, "topic"), state, EventPosition.Parse(Required(item, "position"))));
            }
        }

        return new SubscribedMessage(Required(root, "id"), resume, OptionalPosition(root, "position"), snapshots);
    }

    private static EventsMessage ParseEvents(JsonElement root)
    {
        var array = Property(root, "events");
        var events = new List<RealtimeEvent>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            events.Add(ParseEvent(item));
        }

        return new EventsMessage(Required(root, "sub"), events);
    }

    private static OverflowMessage ParseOverflow(JsonElement root)
    {
        var reason = Required(root, "reason") switch
        {
            "overflow" => GapReason.Overflow,
            "history_truncated" => GapReason.HistoryTruncated,
            "epoch_changed" => GapReason.EpochChanged,
            var other => throw new FormatException($"'reason' is '{other}', not overflow, history_truncated or epoch_changed."),
        };
        long? dropped = root.TryGetProperty("dropped", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetInt64() : null;
        var recoverable = root.TryGetProperty("recoverable", out var r) && r.ValueKind == JsonValueKind.True;
        var gap = new GapNotice(reason, dropped, OptionalPosition(root, "first"), OptionalPosition(root, "last"), recoverable);
        return new OverflowMessage(Required(root, "sub"), gap);
    }

    internal static RealtimeEvent ParseEvent(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("an event is not a JSON object.");
        }

        var priority = PriorityNames.TryParse(Optional(element, "priority"), out var p) ? p : EventPriority.Normal;
        var data = element.TryGetProperty("data", out var dataElement) && dataElement.ValueKind != JsonValueKind.Null
            ? EventData.FromJsonElement(dataElement)
            : EventData.None;
        Dictionary<string, string>? meta = null;
        if (element.TryGetProperty("meta", out var metaElement) && metaElement.ValueKind == JsonValueKind.Object)
        {
            meta = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in metaElement.EnumerateObject())
            {
                meta[entry.Name] = entry.Value.GetString() ?? string.Empty;
            }
        }

        var draft = new EventDraft(Required(element, "type"), Required(element, "topic"))
        {
            Priority = priority,
            Data = data,
            Meta = meta,
            ConflationKey = Optional(element, "conflationKey"),
        };
        var position = new EventPosition(Required(element, "epoch"), Property(element, "seq").GetInt64());
        return RealtimeEvent.Create(draft, Required(element, "id"), Property(element, "time").GetDateTimeOffset(), position);
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? value
            : throw new FormatException($"the field '{name}' is missing.");

    private static string Required(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value
            ? value.GetString()!
            : throw new FormatException($"the field '{name}' is not a string.");

    private static string? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryString(JsonElement element, string name, [NotNullWhen(true)] out string? value)
    {
        value = Optional(element, name);
        return value is not null;
    }

    private static EventPosition? OptionalPosition(JsonElement element, string name) =>
        Optional(element, name) is { Length: > 0 } text ? EventPosition.Parse(text) : null;
}
