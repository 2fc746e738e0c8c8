using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace RealtimeEvents;

/// <summary>
/// An event's payload: any JSON value, held as UTF-8 JSON so it is serialized once, when the event
/// is created, and never again per subscriber.
/// </summary>
public readonly struct EventData : IEquatable<EventData>
{
    /// <summary>
    /// The deepest nesting a payload may have. The value is 32: the event object and transport frames wrap the payload in a
    /// few more levels, and the whole must stay within the 64 levels JSON readers accept by default.
    /// </summary>
    public const int MaxDepth = 32;

    private EventData(ReadOnlyMemory<byte> utf8Json) => Utf8Json = utf8Json;

    /// <summary>Gets "no payload"; the event's <c>data</c> is written as <c>null</c>.</summary>
    public static EventData None => default;

    /// <summary>Gets the payload as UTF-8 JSON; empty when there is no payload.</summary>
    public ReadOnlyMemory<byte> Utf8Json { get; }

    /// <summary>Gets a value indicating whether there is no payload.</summary>
    public bool IsEmpty => Utf8Json.IsEmpty;

    /// <summary>Serializes <paramref name="value"/> with source-generated metadata (trimming and AOT safe).</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="value">The payload.</param>
    /// <param name="typeInfo">Metadata from a <see cref="System.Text.Json.Serialization.JsonSerializerContext"/>.</param>
    /// <returns>The payload.</returns>
    public static EventData From<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Checked(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
    }

    /// <summary>Serializes <paramref name="value"/> with reflection-based System.Text.Json.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="value">The payload, for example an anonymous object.</param>
    /// <param name="options">Serializer options; web defaults (camelCase) when omitted.</param>
    /// <returns>The payload.</returns>
    [RequiresUnreferencedCode("Reflection-based serialization; use the overload taking JsonTypeInfo<T> in trimmed or AOT apps.")]
    [RequiresDynamicCode("Reflection-based serialization; use the overload taking JsonTypeInfo<T> in trimmed or AOT apps.")]
    public static EventData From<T>(T value, JsonSerializerOptions? options = null) =>
        Checked(JsonSerializer.SerializeToUtf8Bytes(value, options ?? JsonSerializerOptions.Web));

    /// <summary>Uses an existing JSON element as the payload.</summary>
    /// <param name="element">The JSON value.</param>
    /// <returns>The payload; <see cref="None"/> when the element is undefined.</returns>
    public static EventData FromJsonElement(JsonElement element) =>
        element.ValueKind == JsonValueKind.Undefined
            ? None
            : Checked(JsonSerializer.SerializeToUtf8Bytes(element, EventJsonContext.Default.JsonElement));

    /// <summary>Uses JSON text as the payload, after checking that it is one well-formed JSON value.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="ArgumentException">The text is not one well-formed JSON value.</exception>
    public static EventData FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromUtf8Json(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Uses UTF-8 JSON as the payload, after checking that it is one well-formed JSON value.</summary>
    /// <param name="utf8Json">The UTF-8 JSON; the bytes are copied.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="ArgumentException">The bytes are not valid UTF-8 or not one well-formed JSON value.</exception>
    public static EventData FromUtf8Json(ReadOnlySpan<byte> utf8Json)
    {
        // The reader does not check the UTF-8 inside string values, and the bytes go out verbatim in text frames,
        // which a browser closes on invalid UTF-8; so check the encoding too.
        if (!Utf8.IsValid(utf8Json))
        {
            throw new ArgumentException("Event data must be one well-formed JSON value: the bytes are not valid UTF-8.", nameof(utf8Json));
        }

        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = MaxDepth });
            reader.Read();
            reader.Skip();
            if (reader.Read())
            {
                throw new JsonException("More than one JSON value.");
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Event data must be one well-formed JSON value: {ex.Message}", nameof(utf8Json), ex);
        }

        return new EventData(utf8Json.ToArray());
    }

    private static EventData Checked(byte[] utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        while (reader.Read())
        {
            if (reader.CurrentDepth >= MaxDepth)
            {
                throw new ArgumentException($"Event data is nested deeper than {MaxDepth} levels; flatten the payload.", nameof(utf8Json));
            }
        }

        return new EventData(utf8Json);
    }

    /// <summary>Parses the payload into a <see cref="JsonElement"/>.</summary>
    /// <returns>The payload; a <see cref="JsonValueKind.Null"/> element when there is none.</returns>
    public JsonElement ToJsonElement()
    {
        if (IsEmpty)
        {
            return JsonDocument.Parse("null").RootElement.Clone();
        }

        using var document = JsonDocument.Parse(Utf8Json);
        return document.RootElement.Clone();
    }

    /// <summary>Deserializes the payload with source-generated metadata.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="typeInfo">Metadata from a <see cref="System.Text.Json.Serialization.JsonSerializerContext"/>.</param>
    /// <returns>The payload, or <see langword="default"/> when there is none.</returns>
    public T? Deserialize<T>(JsonTypeInfo<T> typeInfo) =>
        IsEmpty ? default : JsonSerializer.Deserialize(Utf8Json.Span, typeInfo);

    /// <summary>Returns the payload as JSON text, <c>null</c> when there is none.</summary>
    /// <returns>JSON text.</returns>
    public override string ToString() => IsEmpty ? "null" : Encoding.UTF8.GetString(Utf8Json.Span);

    /// <inheritdoc />
    public bool Equals(EventData other) => Utf8Json.Span.SequenceEqual(other.Utf8Json.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is EventData other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Utf8Json.Span);
        return hash.ToHashCode();
    }

    /// <summary>Compares two payloads by their JSON bytes.</summary>
    /// <param name="left">The first payload.</param>
    /// <param name="right">The second payload.</param>
    /// <returns><see langword="true"/> when the bytes are equal.</returns>
    public static bool operator ==(EventData left, EventData right) => left.Equals(right);

    /// <summary>Compares two payloads by their JSON bytes.</summary>
    /// <param name="left">The first payload.</param>
    /// <param name="right">The second payload.</param>
    /// <returns><see langword="true"/> when the bytes differ.</returns>
    public static bool operator !=(EventData left, EventData right) => !left.Equals(right);
}
