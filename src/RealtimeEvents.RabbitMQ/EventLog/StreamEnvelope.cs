using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace RealtimeEvents.RabbitMQ.EventLog;

/// <summary>What a stream message holds.</summary>
internal enum EnvelopeKind
{
    /// <summary>A published event.</summary>
    Event,

    /// <summary>A node announcing itself as it attaches; carries a candidate epoch that counts only at offset 0.</summary>
    Hello,

    /// <summary>A node restating the stream's epoch after attaching, so every later segment carries it.</summary>
    Beacon,
}

/// <summary>A decoded stream message: an event draft with its stamps, or a marker.</summary>
internal sealed record DecodedEnvelope(EnvelopeKind Kind, string Epoch, string? Node, EventDraft? Draft, string? Id, DateTimeOffset Time);

/// <summary>
/// The versioned envelope every stream message uses (documented in docs/rabbitmq.md). The body is UTF-8 JSON with
/// <c>"v":1</c> and a <c>kind</c>; the AMQP <c>type</c> property names the same kind, so tools can tell events from markers.
/// </summary>
internal static class StreamEnvelope
{
    public const int Version = 1;
    public const string ContentType = "application/json";
    public const string EventType = "realtime-events.event";
    public const string HelloType = "realtime-events.hello";
    public const string BeaconType = "realtime-events.beacon";

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static byte[] EncodeEvent(EventDraft draft, string id, DateTimeOffset time, string epoch)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + draft.Data.Utf8Json.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", Version);
            writer.WriteString("kind", "event");
            writer.WriteString("epoch", epoch);
            writer.WriteString("id", id);
            writer.WriteString("type", draft.Type);
            writer.WriteString("topic", draft.Topic);
            writer.WriteString("priority", PriorityNames.ToWire(draft.Priority));
            writer.WriteString("time", time);
            writer.WritePropertyName("data");
            if (draft.Data.IsEmpty)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteRawValue(draft.Data.Utf8Json.Span, skipInputValidation: true);
            }

            if (draft.Meta is { Count: > 0 } meta)
            {
                writer.WriteStartObject("meta");
                foreach (var (key, value) in meta)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            if (draft.ConflationKey is { } conflationKey)
            {
                writer.WriteString("conflationKey", conflationKey);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] EncodeMarker(EnvelopeKind kind, string epoch, string node)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", Version);
            writer.WriteString("kind", kind == EnvelopeKind.Hello ? "hello" : "beacon");
            writer.WriteString("epoch", epoch);
            writer.WriteString("node", node);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a stream message body; returns false with a reason for anything that is not a valid version-1 envelope.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> body, out DecodedEnvelope? envelope, out string? error)
    {
        envelope = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "the body is not a JSON object";
                return false;
            }

            if (!root.TryGetProperty("v", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v))
            {
                error = "the envelope has no version \"v\"";
                return false;
            }

            if (v != Version)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"envelope version {v} is not supported (this node reads version {Version}); upgrade this node");
                return false;
            }

            var kind = GetString(root, "kind");
            var epoch = GetString(root, "epoch");
            if (!IsValidEpoch(epoch))
            {
                error = "the envelope has no valid \"epoch\"";
                return false;
            }

            switch (kind)
            {
                case "hello":
                case "beacon":
                    envelope = new DecodedEnvelope(kind == "hello" ? EnvelopeKind.Hello : EnvelopeKind.Beacon, epoch, GetString(root, "node"), null, null, default);
                    error = null;
                    return true;
                case "event":
                    return TryDecodeEvent(root, epoch, out envelope, out error);
                default:
                    error = $"unknown envelope kind '{kind}'";
                    return false;
            }
        }
        catch (JsonException ex)
        {
            error = "the body is not valid JSON: " + ex.Message;
            return false;
        }
        catch (InvalidOperationException ex)
        {
            error = "the body has a string that is not valid text: " + ex.Message; // for example a lone surrogate escape
            return false;
        }
    }

    private static bool TryDecodeEvent(JsonElement root, string epoch, out DecodedEnvelope? envelope, out string? error)
    {
        envelope = null;
        var id = GetString(root, "id");
        var type = GetString(root, "type");
        var topic = GetString(root, "topic");
        if (string.IsNullOrEmpty(id) || type is null || topic is null)
        {
            error = "the event has no \"id\", \"type\" or \"topic\"";
            return false;
        }

        if (!root.TryGetProperty("time", out var timeElement) || !timeElement.TryGetDateTimeOffset(out var time))
        {
            error = "the event has no valid \"time\"";
            return false;
        }

        var priority = EventPriority.Normal;
        if (GetString(root, "priority") is { } priorityText && !PriorityNames.TryParse(priorityText, out priority))
        {
            error = $"unknown priority '{priorityText}'";
            return false;
        }

        Dictionary<string, string>? meta = null;
        if (root.TryGetProperty("meta", out var metaElement) && metaElement.ValueKind == JsonValueKind.Object)
        {
            meta = [];
            foreach (var entry in metaElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    error = $"meta '{entry.Name}' is not a string";
                    return false;
                }

                meta[entry.Name] = entry.Value.GetString()!;
            }
        }

        try
        {
            var draft = new EventDraft(type, topic)
            {
                Id = id,
                Priority = priority,
                Data = root.TryGetProperty("data", out var data) && data.ValueKind != JsonValueKind.Null
                    ? EventData.FromJsonElement(data)
                    : EventData.None,
                Meta = meta,
                ConflationKey = GetString(root, "conflationKey"),
            };
            envelope = new DecodedEnvelope(EnvelopeKind.Event, epoch, null, draft, id, time);
            error = null;
            return true;
        }
        catch (ArgumentException ex)
        {
            error = "the event is invalid: " + ex.Message;
            return false;
        }
    }

    private static bool IsValidEpoch([NotNullWhen(true)] string? epoch) =>
        epoch is { Length: > 0 and <= 64 } && epoch.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string? GetString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
