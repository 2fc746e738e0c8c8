using System.Buffers;
using System.Text.Json;

namespace RealtimeEvents;

/// <summary>
/// A published event as subscribers receive it: the <see cref="EventDraft"/> plus the id, time and position
/// the event log stamped on it. Immutable and shared by every subscriber; its JSON form is built once.
/// </summary>
public sealed class RealtimeEvent
{
    private static readonly IReadOnlyDictionary<string, string> EmptyMeta = new Dictionary<string, string>(0);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private RealtimeEvent(EventDraft draft, string id, DateTimeOffset time, EventPosition position, long timestamp)
    {
        Id = id;
        Type = draft.Type;
        Topic = draft.Topic;
        Priority = draft.Priority;
        Data = draft.Data;
        Meta = draft.Meta ?? EmptyMeta;
        Time = time;
        Position = position;
        IsTerminal = EventNames.IsTerminalType(draft.Type);
        ConflationKey = IsTerminal ? null : draft.ConflationKey;
        Timestamp = timestamp;
        Utf8Json = Serialize();
    }

    /// <summary>Gets the event's unique id.</summary>
    public string Id { get; }

    /// <summary>Gets what happened, for example <c>execution.started</c>.</summary>
    public string Type { get; }

    /// <summary>Gets what the event is about, for example <c>executions/exec-123</c>.</summary>
    public string Topic { get; }

    /// <summary>Gets the priority.</summary>
    public EventPriority Priority { get; }

    /// <summary>Gets when the event was published, from the host's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>Gets the event's position in the event log.</summary>
    public EventPosition Position { get; }

    /// <summary>Gets the log instance that issued the position.</summary>
    public string Epoch => Position.Epoch;

    /// <summary>Gets the sequence number within <see cref="Epoch"/>.</summary>
    public long Sequence => Position.Sequence;

    /// <summary>Gets the payload.</summary>
    public EventData Data { get; }

    /// <summary>Gets the string headers (empty when none).</summary>
    public IReadOnlyDictionary<string, string> Meta { get; }

    /// <summary>Gets the conflation key; always <see langword="null"/> for terminal events.</summary>
    public string? ConflationKey { get; }

    /// <summary>Gets a value indicating whether the event ends a piece of work (see <see cref="EventNames.IsTerminalType"/>).</summary>
    public bool IsTerminal { get; }

    /// <summary>
    /// Gets the event as UTF-8 JSON, built once when the event was stamped and shared by every subscriber:
    /// <c>{"id","type","topic","priority","time","epoch","seq","data","meta"?,"conflationKey"?}</c>.
    /// </summary>
    public ReadOnlyMemory<byte> Utf8Json { get; }

    /// <summary>Gets the <see cref="TimeProvider.GetTimestamp"/> reading taken when the event was stamped, for latency metrics.</summary>
    internal long Timestamp { get; }

    /// <summary>
    /// Stamps a draft. Event log implementations call this; application code publishes drafts through
    /// <see cref="IEventPublisher"/> instead.
    /// </summary>
    /// <param name="draft">The event to stamp.</param>
    /// <param name="id">The event id; usually <see cref="EventDraft.Id"/> or a generated one.</param>
    /// <param name="time">When the event was published.</param>
    /// <param name="position">The position the log assigned; its sequence must be at least 1.</param>
    /// <param name="timestamp">A <see cref="TimeProvider.GetTimestamp"/> reading for latency metrics; 0 when unknown.</param>
    /// <returns>The stamped event.</returns>
    public static RealtimeEvent Create(EventDraft draft, string id, DateTimeOffset time, EventPosition position, long timestamp = 0)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (position.Sequence < 1 || position.Epoch is null)
        {
            throw new ArgumentException("A stamped event needs a position with a sequence of at least 1.", nameof(position));
        }

        return new RealtimeEvent(draft, id, time, position, timestamp);
    }

    /// <summary>Returns the event's JSON text.</summary>
    /// <returns>The JSON text of <see cref="Utf8Json"/>.</returns>
    public override string ToString() => System.Text.Encoding.UTF8.GetString(Utf8Json.Span);

    private byte[] Serialize()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartObject();
            writer.WriteString(JsonNames.Id, Id);
            writer.WriteString(JsonNames.Type, Type);
            writer.WriteString(JsonNames.Topic, Topic);
            writer.WriteString(JsonNames.Priority, PriorityNames.ToWire(Priority));
            writer.WriteString(JsonNames.Time, Time); // ISO 8601, no escaping of '+'
            writer.WriteString(JsonNames.Epoch, Epoch);
            writer.WriteNumber(JsonNames.Seq, Sequence);
            writer.WritePropertyName(JsonNames.Data);
            if (Data.IsEmpty)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteRawValue(Data.Utf8Json.Span, skipInputValidation: true);
            }

            if (Meta.Count > 0)
            {
                writer.WriteStartObject(JsonNames.Meta);
                foreach (var (key, value) in Meta)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            if (ConflationKey is not null)
            {
                writer.WriteString(JsonNames.ConflationKey, ConflationKey);
            }

            writer.WriteEndObject();
        }

        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 64 * 1024)
        {
            t_buffer = null; // don't pin a large buffer to the thread after one big event
        }

        return bytes;
    }

    private static class JsonNames
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
        public static readonly JsonEncodedText Topic = JsonEncodedText.Encode("topic");
        public static readonly JsonEncodedText Priority = JsonEncodedText.Encode("priority");
        public static readonly JsonEncodedText Time = JsonEncodedText.Encode("time");
        public static readonly JsonEncodedText Epoch = JsonEncodedText.Encode("epoch");
        public static readonly JsonEncodedText Seq = JsonEncodedText.Encode("seq");
        public static readonly JsonEncodedText Data = JsonEncodedText.Encode("data");
        public static readonly JsonEncodedText Meta = JsonEncodedText.Encode("meta");
        public static readonly JsonEncodedText ConflationKey = JsonEncodedText.Encode("conflationKey");
    }
}
