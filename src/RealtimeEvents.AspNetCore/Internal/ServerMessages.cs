using System.Buffers;
using System.Text.Json;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.Internal;

/// <summary>Writes the server's protocol messages (docs/protocol.md). SSE sends the same JSON as its event data.</summary>
internal static class ServerMessages
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary><c>welcome</c> with the options' heartbeat and message size limit.</summary>
    public static void Welcome(IBufferWriter<byte> output, string connectionId, EventPosition position, RealtimeEventsTransportOptions options) =>
        Welcome(output, connectionId, position, options, options.HeartbeatInterval, options.MaxMessageBytes);

    /// <summary><c>welcome</c> for a transport with a keep-alive and a message size limit of its own (SignalR); a null size is unlimited.</summary>
    public static void Welcome(IBufferWriter<byte> output, string connectionId, EventPosition position, RealtimeEventsTransportOptions options,
        TimeSpan heartbeatInterval, long? maxMessageBytes)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("op", RealtimeProtocol.Welcome);
        writer.WriteNumber("protocol", RealtimeProtocol.Version);
        writer.WriteString("connectionId", connectionId);
        WritePosition(writer, "position", position);
        writer.WriteNumber("heartbeatMs", (long)heartbeatInterval.TotalMilliseconds);
        writer.WriteStartObject("limits");
        if (maxMessageBytes is { } max)
        {
            writer.WriteNumber("maxMessageBytes", max);
        }
        else
        {
            writer.WriteNull("maxMessageBytes");
        }

        writer.WriteNumber("maxSubscriptions", options.MaxSubscriptionsPerConnection);
        writer.WriteNumber("messagesPerSecond", options.MessagesPerSecond);
        writer.WriteNumber("messageBurst", options.MessageBurst);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary><c>subscribed</c>; its <c>position</c> is where the subscription starts, a lossless resume point until an event arrives.</summary>
    public static void Subscribed(IBufferWriter<byte> output, ISubscription subscription)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("op", RealtimeProtocol.Subscribed);
        writer.WriteString("id", subscription.Id);
        if (subscription.Resume is { } resume)
        {
            writer.WriteString("resume", resume switch
            {
                ResumeStatus.Complete => "complete",
                ResumeStatus.Truncated => "truncated",
                _ => "epoch_changed",
            });
        }
        else
        {
            writer.WriteNull("resume");
        }

        WritePosition(writer, "position", subscription.StartPosition);
        if (subscription.Snapshots.Count > 0)
        {
            writer.WriteStartArray("snapshots");
            foreach (var snapshot in subscription.Snapshots)
            {
                writer.WriteStartObject();
                writer.WriteString("topic", snapshot.Topic);
                WritePosition(writer, "position", snapshot.Position);
                writer.WritePropertyName("state");
                if (snapshot.State.IsEmpty)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteRawValue(snapshot.State.Utf8Json.Span, skipInputValidation: true);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    public static void Unsubscribed(IBufferWriter<byte> output, string id, SubscriptionEndReason reason)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("op", RealtimeProtocol.Unsubscribed);
        writer.WriteString("id", id);
        writer.WriteString("reason", reason switch
        {
            SubscriptionEndReason.Lagging => "lagging",
            SubscriptionEndReason.Shutdown => "shutdown",
            SubscriptionEndReason.Failed => "failed",
            _ => "unsubscribed",
        });
        writer.WriteEndObject();
    }

    /// <summary>One event (<c>event</c>) or several of one subscription (<c>events</c>), the event JSON copied as built once.</summary>
    public static void Events(IBufferWriter<byte> output, string subscriptionId, IReadOnlyList<RealtimeEvent> events)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        if (events.Count == 1)
        {
            writer.WriteString("op", RealtimeProtocol.Event);
            writer.WriteString("sub", subscriptionId);
            writer.WritePropertyName("event");
            writer.WriteRawValue(events[0].Utf8Json.Span, skipInputValidation: true);
        }
        else
        {
            writer.WriteString("op", RealtimeProtocol.Events);
            writer.WriteString("sub", subscriptionId);
            writer.WriteStartArray("events");
            foreach (var evt in events)
            {
                writer.WriteRawValue(evt.Utf8Json.Span, skipInputValidation: true);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    public static void Overflow(IBufferWriter<byte> output, string subscriptionId, GapNotice gap)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("op", RealtimeProtocol.Overflow);
        writer.WriteString("sub", subscriptionId);
        writer.WriteString("reason", gap.Reason switch
        {
            GapReason.Overflow => "overflow",
            GapReason.HistoryTruncated => "history_truncated",
            _ => "epoch_changed",
        });
        if (gap.MissedCount is { } count)
        {
            writer.WriteNumber("dropped", count);
        }
        else
        {
            writer.WriteNull("dropped");
        }

        WriteOptionalPosition(writer, "first", gap.FirstMissed);
        WriteOptionalPosition(writer, "last", gap.LastMissed);
        writer.WriteBoolean("recoverable", gap.Recoverable);
        if (gap.Recoverable && gap.FirstMissed is { } first)
        {
            WritePosition(writer, "resumeAfter", new EventPosition(first.Epoch, first.Sequence - 1));
        }

        writer.WriteEndObject();
    }

    public static void Error(IBufferWriter<byte> output, string? requestId, string code, string message)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("op", RealtimeProtocol.Error);
        if (requestId is not null)
        {
            writer.WriteString("id", requestId);
        }

        writer.WriteString("code", code);
        writer.WriteString("message", message);
        writer.WriteEndObject();
    }

    public static void Pong(IBufferWriter<byte> output, string? requestId, EventPosition position)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("op", RealtimeProtocol.Pong);
        if (requestId is not null)
        {
            writer.WriteString("id", requestId);
        }

        WritePosition(writer, "position", position);
        writer.WriteEndObject();
    }

    public static void Heartbeat(IBufferWriter<byte> output, EventPosition position)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("op", RealtimeProtocol.Heartbeat);
        WritePosition(writer, "position", position);
        writer.WriteEndObject();
    }

    /// <summary>An error body for HTTP responses (refused upgrades, SSE, management): the same code and message as the <c>error</c> message.</summary>
    public static byte[] HttpError(int status, string code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("status", status);
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] ToArray(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WritePosition(Utf8JsonWriter writer, string name, EventPosition position)
    {
        if (position.Epoch is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, position.ToString());
        }
    }

    private static void WriteOptionalPosition(Utf8JsonWriter writer, string name, EventPosition? position)
    {
        if (position is { } value)
        {
            WritePosition(writer, name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
