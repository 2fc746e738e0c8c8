using System.Buffers;
using System.Text.Json;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.Client.Internal;

/// <summary>Writes the client's messages (docs/protocol.md, "Client messages") as compact UTF-8 JSON.</summary>
internal static class ClientMessageWriter
{
    public static byte[] Subscribe(string id, SubscriptionRequest request, EventPosition? resumeAfter, bool snapshot) =>
        Write(writer =>
        {
            writer.WriteString("op", RealtimeProtocol.Subscribe);
            writer.WriteString("id", id);
            WriteArray(writer, "topics", request.Topics);
            WriteArray(writer, "types", request.Types);
            writer.WriteString("minPriority", PriorityNames.ToWire(request.MinimumPriority));
            if (request.Meta is { Count: > 0 } meta)
            {
                writer.WriteStartObject("meta");
                foreach (var (key, value) in meta)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            if (snapshot)
            {
                writer.WriteBoolean("snapshot", true);
            }
            else if (resumeAfter is { } position)
            {
                writer.WriteString("resumeAfter", position.ToString());
            }
        });

    public static byte[] Unsubscribe(string id) => Write(writer =>
    {
        writer.WriteString("op", RealtimeProtocol.Unsubscribe);
        writer.WriteString("id", id);
    });

    public static byte[] Ping(string id) => Write(writer =>
    {
        writer.WriteString("op", RealtimeProtocol.Ping);
        writer.WriteString("id", id);
    });

    private static void WriteArray(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        if (values is { Count: > 0 })
        {
            writer.WriteStartArray(name);
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
