using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// One Server-Sent Events session of a soak client: opens the stream (resuming with <c>Last-Event-ID</c>, as a browser
/// does, when it has been here before), checks what it gets, and goes away by dropping the response.
/// </summary>
internal sealed class SoakSseSession(SoakWorld world, SoakIdentity identity, int seed)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(15);

    public async Task RunAsync(DateTimeOffset leaveAt, CancellationToken stop)
    {
        var random = new Random(seed);
        var resume = identity.ResumePosition is not null && random.Next(10) < 6;
        if (!resume)
        {
            identity.State = new TopicState(world.Plan.Topics);
        }

        var checker = new StreamChecker(world.Plan, identity.Filter, identity.State, world.Tally, $"{identity.Name} sse ({identity.Filter})");
        using var request = new HttpRequestMessage(HttpMethod.Get, world.Host.HttpUri("/realtime/sse?" + identity.Filter.ToQuery("sse")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (resume)
        {
            request.Headers.Add("Last-Event-ID", identity.ResumePosition);
            world.Tally.Add(ref world.Tally.SseResumes);
        }

        using var leave = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var response = await world.Sse.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithTimeout(StepTimeout);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            world.Tally.Fail($"{identity.Name} sse: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().WithTimeout(StepTimeout)}");
            return;
        }

        world.Tally.Add(ref world.Tally.ConnectionsOpened);
        world.Tally.Add(ref world.Tally.SseSessions);
        world.Tally.Add(ref world.Tally.SubscriptionsMade);
        leave.CancelAfter(leaveAt - TimeProvider.System.GetUtcNow() is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero);
        var subscribed = false;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(leave.Token).WithTimeout(StepTimeout);
            await foreach (var item in SseParser.Create(body).EnumerateAsync(leave.Token))
            {
                using var document = JsonDocument.Parse(item.Data);
                var json = document.RootElement;
                switch (item.EventType)
                {
                    case "subscribed":
                        subscribed = true;
                        checker.OnSubscribed(json, resume ? "complete" : null);
                        break;
                    case "message" when subscribed:
                        checker.OnEvent(json);
                        if (item.EventId != json.GetProperty("epoch").GetString() + ":" + json.GetProperty("seq").GetInt64())
                        {
                            checker.Fail($"id: {item.EventId} is not the event's position");
                        }

                        break;
                    case "overflow" when subscribed:
                        checker.OnOverflow(json);
                        break;
                    default:
                        checker.Fail($"unexpected SSE event '{item.EventType}': {item.Data}");
                        break;
                }
            }

            // The server ended the stream: only an administrator's disconnect does that in the soak.
            world.Tally.Add(ref world.Tally.SseEndedByServer);
        }
        catch (OperationCanceledException) when (leave.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            world.Tally.Add(ref world.Tally.SseEndedByServer); // an administrator's disconnect may cut the response mid-chunk
        }
        finally
        {
            identity.ResumePosition = checker.Position;
            if (checker.Failure is { } failure)
            {
                world.Tally.Fail(failure);
            }
        }
    }
}
