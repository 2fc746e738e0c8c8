using System.Net.WebSockets;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Support;

/// <summary>What the multi-node tests need on top of the WebSocket tests' <see cref="ProtocolClient"/>.</summary>
internal static class ProtocolClientExtensions
{
    public static long Seq(JsonElement evt) => evt.GetProperty("seq").GetInt64();

    public static string Position(JsonElement evt) => $"{evt.GetProperty("epoch").GetString()}:{Seq(evt)}";

    /// <summary>Sends <c>subscribe</c> and returns the reply, which must be <c>subscribed</c>.</summary>
    public static async Task<JsonElement> SubscribeOkAsync(this ProtocolClient client, string id, string[] topics, string? resumeAfter = null)
    {
        var reply = await client.SubscribeAsync(id, topics, resumeAfter: resumeAfter);
        Assert.True(reply.GetProperty("op").GetString() == "subscribed", $"Expected subscribed, got {reply}");
        Assert.Equal(id, reply.GetProperty("id").GetString());
        return reply;
    }

    /// <summary>
    /// Collects the events of subscription <paramref name="sub"/> (from <c>event</c> and <c>events</c>) until one with a
    /// sequence of at least <paramref name="untilSeq"/> arrived; every other message goes to <paramref name="others"/>
    /// (<c>heartbeat</c> excepted). Fails when that takes longer than <paramref name="timeout"/> in all.
    /// </summary>
    public static async Task<List<JsonElement>> ReceiveEventsUntilAsync(this ProtocolClient client, string sub, long untilSeq,
        List<JsonElement> others, TimeSpan? timeout = null)
    {
        var events = new List<JsonElement>();
        using var deadline = new CancellationTokenSource(timeout ?? TaskTimeoutExtensions.DefaultTimeout);
        while (events.Count == 0 || Seq(events[^1]) < untilSeq)
        {
            JsonElement message;
            try
            {
                message = await client.ReceiveAsync().WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Received {events.Count} events up to seq {(events.Count > 0 ? Seq(events[^1]) : -1)} before the timeout, waiting for seq {untilSeq}; others: [{string.Join(", ", others)}]");
            }

            var op = message.GetProperty("op").GetString();
            if (op == "event" && message.GetProperty("sub").GetString() == sub)
            {
                events.Add(message.GetProperty("event"));
            }
            else if (op == "events" && message.GetProperty("sub").GetString() == sub)
            {
                events.AddRange(message.GetProperty("events").EnumerateArray());
            }
            else if (op != "heartbeat")
            {
                others.Add(message);
            }
        }

        return events;
    }

    /// <summary>Closes from the client side with a full close handshake.</summary>
    public static async Task CloseAsync(this ProtocolClient client)
    {
        await client.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "going away for a while", CancellationToken.None).WithTimeout();
        Assert.Equal(WebSocketState.Closed, client.Socket.State);
    }
}
