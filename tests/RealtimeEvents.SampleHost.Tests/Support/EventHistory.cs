using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>
/// The host's own record of what it published: a resume over Server-Sent Events replays history page by page, straight
/// from the event log (no queue, so nothing conflated), which is what a page's event log is checked against.
/// </summary>
public static class EventHistory
{
    /// <summary>One event as history holds it.</summary>
    /// <param name="Seq">Its sequence number.</param>
    /// <param name="Type">Its type.</param>
    /// <param name="Topic">Its topic.</param>
    /// <param name="ConflationKey">Its conflation key, if a newer event may replace it in a queue.</param>
    public sealed record Entry(long Seq, string Type, string Topic, string? ConflationKey);

    /// <summary>Reads the events of <c>executions/**</c> after <paramref name="after"/> through <paramref name="through"/>.</summary>
    public static async Task<IReadOnlyList<Entry>> ReadAsync(HttpClient http, string epoch, long after, long through)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"/realtime/sse?topic={Uri.EscapeDataString("executions/**")}&since={epoch}:{after}&id=history-check");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reading = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(reading.Token));
        var events = new List<Entry>();
        string? name = null;
        while (events.Count == 0 || events[^1].Seq < through)
        {
            var line = await reader.ReadLineAsync(reading.Token)
                ?? throw new InvalidOperationException($"The SSE stream ended after {events.Count} events, before seq {through}.");
            if (line.Length == 0)
            {
                name = null;
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var json = JsonDocument.Parse(line["data: ".Length..]);
                var root = json.RootElement;
                if (name is "overflow")
                {
                    throw new InvalidOperationException($"History no longer holds every event after {epoch}:{after}: {root}");
                }

                if (name is null)
                {
                    events.Add(new Entry(
                        root.GetProperty("seq").GetInt64(),
                        root.GetProperty("type").GetString()!,
                        root.GetProperty("topic").GetString()!,
                        root.TryGetProperty("conflationKey", out var key) ? key.GetString() : null));
                }
            }
        }

        return events;
    }
}
