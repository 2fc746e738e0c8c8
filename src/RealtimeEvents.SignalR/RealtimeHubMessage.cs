using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RealtimeEvents.SignalR;

/// <summary>
/// A protocol message carried over SignalR: the JSON object docs/protocol.md describes (with its <c>op</c>), written as
/// is into the hub message, so an event's JSON is built once and copied, never serialized again per connection.
/// </summary>
/// <remarks>
/// The server sends each message as a hub invocation whose method name is <see cref="Op"/>; the hub's <c>Subscribe</c>
/// and <c>Unsubscribe</c> return their reply as one. It needs SignalR's JSON hub protocol.
/// </remarks>
[JsonConverter(typeof(RealtimeHubMessageJsonConverter))]
public sealed class RealtimeHubMessage
{
    /// <summary>Initializes a new instance of the <see cref="RealtimeHubMessage"/> class.</summary>
    /// <param name="op">The message's op, for example <c>subscribed</c> or <c>events</c>.</param>
    /// <param name="utf8Json">The message's JSON object, UTF-8 encoded; it is not copied or checked.</param>
    public RealtimeHubMessage(string op, ReadOnlyMemory<byte> utf8Json)
    {
        ArgumentException.ThrowIfNullOrEmpty(op);
        Op = op;
        Utf8Json = utf8Json;
    }

    /// <summary>Gets the message's op, which is also the SignalR method name it is sent with.</summary>
    public string Op { get; }

    /// <summary>Gets the message's JSON object, UTF-8 encoded.</summary>
    public ReadOnlyMemory<byte> Utf8Json { get; }

    /// <summary>Gets a value indicating whether this is an <c>error</c> reply.</summary>
    public bool IsError => string.Equals(Op, Protocol.RealtimeProtocol.Error, StringComparison.Ordinal);

    /// <summary>Parses the message, for hosts that inspect a reply.</summary>
    /// <returns>A document the caller disposes.</returns>
    public JsonDocument ToJsonDocument() => JsonDocument.Parse(Utf8Json);

    /// <summary>Returns the message's JSON.</summary>
    /// <returns>The JSON text.</returns>
    public override string ToString() => Encoding.UTF8.GetString(Utf8Json.Span);
}

/// <summary>Writes a <see cref="RealtimeHubMessage"/> as its JSON, as is; reads any JSON object into one.</summary>
internal sealed class RealtimeHubMessageJsonConverter : JsonConverter<RealtimeHubMessage>
{
    public override RealtimeHubMessage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("op", out var op) || op.ValueKind != JsonValueKind.String)
        {
            throw new JsonException("A RealtimeEvents hub message is a JSON object with a string \"op\" field.");
        }

        return new RealtimeHubMessage(op.GetString()!, JsonSerializer.SerializeToUtf8Bytes(root, JsonContext.Default.JsonElement));
    }

    public override void Write(Utf8JsonWriter writer, RealtimeHubMessage value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Utf8Json.Span, skipInputValidation: true);
}

[JsonSerializable(typeof(JsonElement))]
internal sealed partial class JsonContext : JsonSerializerContext;
