using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.Management;

/// <summary>Connections, stats, force-disconnect and publish over HTTP, for operators (docs/protocol.md, "Management").</summary>
internal static class ManagementEndpoints
{
    private const int MaxPublishBodyBytes = 1024 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static void Map(RouteGroupBuilder group, ConnectionManager manager)
    {
        group.MapGet("/connections", context => WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartArray();
            foreach (var connection in manager.Connections)
            {
                WriteConnection(writer, connection);
            }

            writer.WriteEndArray();
        })).WithDisplayName("RealtimeEvents management: list connections");

        group.MapGet("/connections/{id}", context =>
        {
            var id = (string)context.Request.RouteValues["id"]!;
            return manager.TryGet(id, out var connection)
                ? WriteJsonAsync(context, StatusCodes.Status200OK, writer => WriteConnection(writer, connection))
                : HttpErrors.WriteAsync(context, ProtocolErrorCodes.UnknownConnection, $"There is no connection '{id}' on this node.");
        }).WithDisplayName("RealtimeEvents management: one connection");

        group.MapDelete("/connections/{id}", context =>
        {
            var id = (string)context.Request.RouteValues["id"]!;
            if (!manager.TryGet(id, out var connection))
            {
                return HttpErrors.WriteAsync(context, ProtocolErrorCodes.UnknownConnection, $"There is no connection '{id}' on this node.");
            }

            Log.ForceDisconnected(manager.Logger, id);
            connection.Close(WebSocketCloseStatus.PolicyViolation, "Disconnected by an administrator.", flush: false);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }).WithDisplayName("RealtimeEvents management: disconnect");

        group.MapPost("/events", context => PublishAsync(context, manager)).WithDisplayName("RealtimeEvents management: publish");

        group.MapGet("/stats", context => WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            var status = manager.Broadcaster.DispatcherStatus;
            var connections = manager.Connections;
            writer.WriteStartObject();
            writer.WriteString("position", manager.Broadcaster.CurrentPosition.ToString());
            writer.WriteStartObject("dispatcher");
            writer.WriteBoolean("running", status.IsRunning);
            if (status.Lag is { } lag)
            {
                writer.WriteNumber("lag", lag);
            }
            else
            {
                writer.WriteNull("lag");
            }

            writer.WriteNumber("consecutiveFailures", status.ConsecutiveFailures);
            writer.WriteEndObject();
            writer.WriteNumber("connections", connections.Count);
            writer.WriteNumber("subscriptions", manager.Broadcaster.Subscriptions.Count);
            writer.WriteEndObject();
        })).WithDisplayName("RealtimeEvents management: stats");
    }

    private static async Task PublishAsync(HttpContext context, ConnectionManager manager)
    {
        if (context.Request.ContentLength > MaxPublishBodyBytes)
        {
            await WriteTooLargeAsync(context).ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = MaxPublishBodyBytes;
        }

        EventDraft draft;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 64 }, context.RequestAborted)
                .ConfigureAwait(false);
            draft = ParseDraft(document.RootElement);
        }
        catch (JsonException)
        {
            await HttpErrors.WriteAsync(context, ProtocolErrorCodes.InvalidEvent, "The body must be a JSON object: {\"type\", \"topic\", \"priority\"?, \"data\"?, \"meta\"?, \"id\"?, \"conflationKey\"?}.")
                .ConfigureAwait(false);
            return;
        }
        catch (ArgumentException ex)
        {
            await HttpErrors.WriteAsync(context, ProtocolErrorCodes.InvalidEvent, ex.Message).ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteTooLargeAsync(context).ConfigureAwait(false);
            return;
        }

        RealtimeEvent published;
        try
        {
            published = await manager.Publisher.PublishAsync(draft, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            await HttpErrors.WriteAsync(context, ProtocolErrorCodes.ShuttingDown, ex.Message).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(published.Utf8Json, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteTooLargeAsync(HttpContext context) =>
        HttpErrors.WriteAsync(context, ProtocolErrorCodes.InvalidEvent, $"The body may be at most {MaxPublishBodyBytes} bytes.",
            StatusCodes.Status413PayloadTooLarge);

    private static EventDraft ParseDraft(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("The body must be a JSON object with \"type\" and \"topic\".");
        }

        var type = RequiredString(root, "type");
        var topic = RequiredString(root, "topic");
        var priority = EventPriority.Normal;
        if (OptionalString(root, "priority") is { } priorityText && !PriorityNames.TryParse(priorityText, out priority))
        {
            throw new ArgumentException("Field \"priority\" must be low, normal, high or critical.");
        }

        if (!JsonFields.TryGetStringMap(root, "meta", out var meta, out var error))
        {
            throw new ArgumentException(error);
        }

        return new EventDraft(type, topic)
        {
            Priority = priority,
            Data = root.TryGetProperty("data", out var data) && data.ValueKind != JsonValueKind.Null ? EventData.FromJsonElement(data) : EventData.None,
            Meta = meta,
            Id = OptionalString(root, "id"),
            ConflationKey = OptionalString(root, "conflationKey"),
        };
    }

    private static string RequiredString(JsonElement root, string name) =>
        OptionalString(root, name) ?? throw new ArgumentException($"Field \"{name}\" is required.");

    private static string? OptionalString(JsonElement root, string name) =>
        JsonFields.TryGetString(root, name, out var value, out var error) ? value : throw new ArgumentException(error);

    private static void WriteConnection(Utf8JsonWriter writer, RealtimeConnection connection)
    {
        var subscriptions = connection.Subscriptions.Subscriptions;
        writer.WriteStartObject();
        writer.WriteString("id", connection.Id);
        writer.WriteString("transport", connection.Transport);
        writer.WriteString("user", connection.User.Identity?.Name);
        writer.WriteString("remoteAddress", connection.RemoteAddress);
        writer.WriteString("connectedAt", connection.ConnectedAt);
        writer.WriteString("lastPosition", connection.LastSentPosition?.ToString());
        writer.WriteNumber("queueDepth", subscriptions.Sum(s => (long)s.QueueDepth));
        writer.WriteNumber("dropped", subscriptions.Sum(s => s.DroppedCount));
        writer.WriteNumber("oldestPendingMs", subscriptions.Count == 0 ? 0 : subscriptions.Max(s => s.OldestPendingAge.TotalMilliseconds));
        writer.WriteStartArray("subscriptions");
        foreach (var subscription in subscriptions)
        {
            var filter = subscription.Filter;
            writer.WriteStartObject();
            writer.WriteString("id", subscription.Id);
            writer.WriteStartArray("topics");
            foreach (var topic in filter.Topics.Concat(filter.TopicPatterns))
            {
                writer.WriteStringValue(topic);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("types");
            foreach (var type in filter.Types)
            {
                writer.WriteStringValue(type);
            }

            writer.WriteEndArray();
            writer.WriteString("minPriority", PriorityNames.ToWire(filter.MinimumPriority));
            writer.WriteNumber("queueDepth", subscription.QueueDepth);
            writer.WriteNumber("dropped", subscription.DroppedCount);
            writer.WriteNumber("conflated", subscription.ConflatedCount);
            writer.WriteNumber("delivered", subscription.DeliveredCount);
            writer.WriteNumber("oldestPendingMs", subscription.OldestPendingAge.TotalMilliseconds);
            writer.WriteString("createdAt", subscription.CreatedAt);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
