namespace RealtimeEvents.SignalR.TestServer;

/// <summary>Endpoints only the tests use: publish a burst in-process, and drop a SignalR connection's transport.</summary>
internal static class TestEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // POST /test/burst?topic=t&count=N&size=B&start=S publishes N events of type task.progress to t as fast as the log
        // takes them, with data {"i": S..S+N-1, "pad": B characters}. With pauseEvery=K&pauseMs=M it pauses M ms after
        // every K events, to spread the burst over a window a test can act in. Answers {"count","first","last"}
        // (positions) once every event is in the log.
        app.MapPost("/test/burst", async (string topic, int count, int? size, int? start, int? pauseEvery, int? pauseMs,
            IEventPublisher publisher, CancellationToken cancellationToken) =>
        {
            if (count is < 1 or > 1_000_000 || size is < 0 or > 100_000 || pauseEvery is < 1 || pauseMs is < 0 or > 1000)
            {
                return Results.BadRequest("count must be 1 to 1000000, size 0 to 100000, pauseEvery at least 1, pauseMs 0 to 1000.");
            }

            var pad = new string('x', size ?? 0);
            RealtimeEvent? first = null;
            RealtimeEvent? last = null;
            try
            {
                for (var i = 0; i < count; i++)
                {
                    last = await publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, topic)
                    {
                        Data = EventData.From(new BurstData((start ?? 0) + i, pad)),
                    }, cancellationToken);
                    first ??= last;
                    if (pauseEvery is { } every && pauseMs is { } pause && (i + 1) % every == 0)
                    {
                        await Task.Delay(pause, cancellationToken);
                    }
                }
            }
            catch (ArgumentException ex)
            {
                return Results.BadRequest(ex.Message);
            }

            return Results.Ok(new BurstResult(count, first!.Position.ToString(), last!.Position.ToString()));
        });

        // POST /test/drop/{id} aborts the HTTP request under the SignalR connection {id} (Context.ConnectionId), as a
        // network failure would: the client sees the connection drop and reconnects by itself.
        app.MapPost("/test/drop/{connectionId}", (string connectionId, HubTransports transports) =>
        {
            if (!transports.TryGet(connectionId, out var transport))
            {
                return Results.NotFound();
            }

            transport.Abort();
            return Results.NoContent();
        });
    }

    private sealed record BurstData(int I, string Pad);

    private sealed record BurstResult(int Count, string First, string Last);
}
