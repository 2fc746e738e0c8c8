using System.Text.Json;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.WebSockets;

/// <summary>Parses client messages (docs/protocol.md); every rejection carries a stable code and says what to fix.</summary>
internal static class ClientMessageParser
{
    private const int MaxIdLength = 128;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 8 };

    public static ClientMessage Parse(ReadOnlyMemory<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, DocumentOptions);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.MalformedMessage, "The message is not valid JSON (or nests deeper than 8 levels).");
        }

        using (document)
        {
            try
            {
                return ParseMessage(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                return NotUnicode();
            }
        }
    }

    /// <summary>
    /// Parses a subscribe request given as a JSON value, as SignalR's <c>Subscribe</c> receives it: the fields of the
    /// <c>subscribe</c> message, with the same checks and error codes; an <c>op</c> field is not needed.
    /// </summary>
    public static ClientMessage ParseSubscribeRequest(JsonElement request)
    {
        try
        {
            return ParseSubscribeRequestValue(request);
        }
        catch (InvalidOperationException)
        {
            return NotUnicode();
        }
    }

    /// <summary>Checks a subscription id given as a bare value (SignalR's <c>Unsubscribe</c>), like the <c>id</c> field.</summary>
    public static bool IsValidId(string? id) => id is { Length: > 0 and <= MaxIdLength };

    /// <summary>
    /// JSON text may escape a lone surrogate (<c>"\ud800"</c>), which is not Unicode text: System.Text.Json refuses to read
    /// such a string or property name with <see cref="InvalidOperationException"/>. Answered <c>malformed_message</c>, so the
    /// exception does not end the connection.
    /// </summary>
    private static ClientMessage NotUnicode() => ClientMessage.Invalid(ProtocolErrorCodes.MalformedMessage,
        "The message is not valid Unicode text: it escapes a lone surrogate such as \\ud800.");

    private static ClientMessage ParseMessage(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.MalformedMessage, "A message must be a JSON object with an \"op\" field.");
        }

        if (!TryGetId(root, out var id, out var invalidId))
        {
            return invalidId;
        }

        if (!root.TryGetProperty("op", out var opElement))
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.MissingField, "Field \"op\" is required: subscribe, unsubscribe or ping.", id);
        }

        if (opElement.ValueKind != JsonValueKind.String)
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.InvalidField, "Field \"op\" must be a string: subscribe, unsubscribe or ping.", id);
        }

        var op = opElement.GetString();
        switch (op)
        {
            case RealtimeProtocol.Subscribe:
                return id is null
                    ? ClientMessage.Invalid(ProtocolErrorCodes.MissingField, "Field \"id\" is required: the subscription's id, unique on this connection.")
                    : ParseSubscribe(root, id);
            case RealtimeProtocol.Unsubscribe:
                return id is null
                    ? ClientMessage.Invalid(ProtocolErrorCodes.MissingField, "Field \"id\" is required: the id of the subscription to end.")
                    : new ClientMessage(op, id, null, null, null);
            case RealtimeProtocol.Ping:
                return new ClientMessage(op, id, null, null, null);
            default:
                return ClientMessage.Invalid(ProtocolErrorCodes.UnknownOp,
                    $"Unknown op \"{Truncate(op)}\": expected subscribe, unsubscribe or ping.", id);
        }
    }

    private static ClientMessage ParseSubscribeRequestValue(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.MalformedMessage,
                "The subscribe request must be a JSON object such as {\"id\":\"a\",\"topics\":[\"executions/**\"]}.");
        }

        if (!TryGetId(request, out var id, out var invalidId))
        {
            return invalidId;
        }

        return id is null
            ? ClientMessage.Invalid(ProtocolErrorCodes.MissingField, "Field \"id\" is required: the subscription's id, unique on this connection.")
            : ParseSubscribe(request, id);
    }

    private static bool TryGetId(JsonElement root, out string? id, out ClientMessage invalid)
    {
        invalid = default!;
        if (!JsonFields.TryGetString(root, "id", out id, out var idError))
        {
            invalid = ClientMessage.Invalid(ProtocolErrorCodes.InvalidField, idError);
            return false;
        }

        if (id is not null && !IsValidId(id))
        {
            invalid = ClientMessage.Invalid(ProtocolErrorCodes.InvalidField, "Field \"id\" must be 1 to 128 characters.");
            id = null;
            return false;
        }

        return true;
    }

    private static ClientMessage ParseSubscribe(JsonElement root, string id)
    {
        if (!TryGetStrings(root, "topics", out var topics, out var error)
            || !TryGetStrings(root, "types", out var types, out error))
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.InvalidField, error, id);
        }

        var priority = EventPriority.Low;
        if (!JsonFields.TryGetString(root, "minPriority", out var priorityText, out error))
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.InvalidField, error, id);
        }

        if (priorityText is not null && !PriorityNames.TryParse(priorityText, out priority))
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.InvalidField,
                $"Field \"minPriority\" must be low, normal, high or critical, not \"{Truncate(priorityText)}\".", id);
        }

        if (!JsonFields.TryGetStringMap(root, "meta", out var meta, out error))
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.InvalidField, error, id);
        }

        if (!JsonFields.TryGetString(root, "resumeAfter", out var resumeText, out error))
        {
            return ClientMessage.Invalid(ProtocolErrorCodes.InvalidField, error, id);
        }

        EventPosition? resumeAfter = null;
        if (resumeText is not null)
        {
            if (!EventPosition.TryParse(resumeText, out var position))
            {
                return ClientMessage.Invalid(ProtocolErrorCodes.InvalidField,
                    $"Field \"resumeAfter\" must be a position 'epoch:seq' as received in events, not \"{Truncate(resumeText)}\".", id);
            }

            resumeAfter = position;
        }

        var snapshot = false;
        if (root.TryGetProperty("snapshot", out var snapshotElement) && snapshotElement.ValueKind != JsonValueKind.Null)
        {
            if (snapshotElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return ClientMessage.Invalid(ProtocolErrorCodes.InvalidField, "Field \"snapshot\" must be true or false.", id);
            }

            snapshot = snapshotElement.GetBoolean();
        }

        var request = new SubscriptionRequest
        {
            Id = id,
            Topics = topics,
            Types = types,
            MinimumPriority = priority,
            Meta = meta,
            ResumeAfter = resumeAfter,
            Snapshot = snapshot,
        };
        return new ClientMessage(RealtimeProtocol.Subscribe, id, request, null, null);
    }

    private static bool TryGetStrings(JsonElement root, string name, out string[] values, out string error)
    {
        values = [];
        error = string.Empty;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            error = $"Field \"{name}\" must be an array of strings.";
            return false;
        }

        var list = new List<string>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                error = $"Field \"{name}\" must be an array of strings.";
                return false;
            }

            list.Add(item.GetString()!);
        }

        values = [.. list];
        return true;
    }

    private static string Truncate(string? text) => text is { Length: > 64 } ? text[..64] + "..." : text ?? string.Empty;
}
