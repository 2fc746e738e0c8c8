using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.RabbitMQ.Tests.Integration;

/// <summary>
/// A node on a broker of its own (never the shared one) keeps serving through a broker restart: publishes fail clearly
/// while it is down, the node reconnects, and every confirmed event reaches subscribers once, in order, without a gap.
/// </summary>
public sealed class BrokerRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Topic = "tasks/t1";
    private PrivateBroker? _broker;

    private enum Phase
    {
        BrokerUp,
        Stopping,
        KnownDown,
        Restarting,
        Reconnected,
    }

    [Fact]
    public async Task BrokerRestart_WhilePublishing_ConfirmedEventsReachSubscribersOnceInOrder_AndTheNodeReconnects()
    {
        var broker = _broker!;
        var stream = TestBroker.NewStreamName("restart");
        await using var node = await RabbitMqNode.StartAsync(broker.Uri, stream, options: o =>
        {
            o.PublishTimeout = TimeSpan.FromSeconds(5);
            o.MinReconnectDelay = TimeSpan.FromMilliseconds(100);
            o.MaxReconnectDelay = TimeSpan.FromSeconds(1);
        });
        Assert.Equal(HealthStatus.Healthy, (await node.CheckHealthAsync()).Status);

        // Two subscribers: one in process, one over a real WebSocket.
        await using var subscription = await node.Broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = [Topic] }).WithTimeout();
        var items = new Collector<SubscriptionItem>();
        using var stopReading = new CancellationTokenSource();
        var reader = ReadAllAsync(subscription, items, stopReading.Token);
        await using var client = await ProtocolClient.ConnectAsync(node.WebSocketUri);
        await client.SubscribeOkAsync("s", [Topic]);
        var messages = new Collector<JsonElement>();
        var receiver = ReceiveAllAsync(client, messages);

        // One publisher, all along, recording what each publish returned.
        var phase = (int)Phase.BrokerUp;
        var attempts = new Collector<Attempt>();
        using var stopPublishing = new CancellationTokenSource();
        var publisher = PublishContinuouslyAsync(node, () => (Phase)Volatile.Read(ref phase), attempts, stopPublishing.Token);
        try
        {
            await RestartWhilePublishingAsync(node, stream, phase: p => Volatile.Write(ref phase, (int)p), attempts, items, messages,
                stopPublishing, publisher);
        }
        finally
        {
            // Also when an assertion failed: nothing of this test keeps running after it.
            await stopPublishing.CancelAsync();
            await stopReading.CancelAsync();
            await Task.WhenAny(Task.WhenAll(publisher, reader), Task.Delay(TimeSpan.FromSeconds(30))); // bounded; their failures are reported above
        }

        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WithTimeout();
        await receiver.WithTimeout();
    }

    [Fact]
    public async Task EventsAnotherNodeWroteWhileThisNodeWasAway_ReachItsSubscribers_AfterItReconnectsAtTheNextOffset()
    {
        var broker = _broker!;
        var stream = TestBroker.NewStreamName("away");

        // Long reconnect delays keep this node away while the other writer publishes, so it must resume at the offset
        // after the last one it read: starting at the stream's end would skip those events.
        await using var node = await RabbitMqNode.StartAsync(broker.Uri, stream, options: o =>
        {
            o.MinReconnectDelay = TimeSpan.FromSeconds(8);
            o.MaxReconnectDelay = TimeSpan.FromSeconds(8);
        });
        await using var subscription = await node.Broadcaster.SubscribeAsync(new SubscriptionRequest { Topics = [Topic] }).WithTimeout();
        var items = new Collector<SubscriptionItem>();
        using var stopReading = new CancellationTokenSource();
        var reader = ReadAllAsync(subscription, items, stopReading.Token);
        var before = await node.Broadcaster.PublishAsync(new EventDraft("test.step", Topic)).WithTimeout();
        await items.WaitUntilAsync(i => i.Any(x => x.Event?.Id == before.Id), "the first event delivered");

        await broker.StopAsync();
        await node.WaitForHealthAsync(h => h.Status == HealthStatus.Unhealthy, "the node noticed the broker is gone");
        await broker.StartAsync();
        var other = new RabbitMqEventLog(new RabbitMqEventLogOptions { ConnectionString = broker.Uri, StreamName = stream },
            new EventHistoryOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        try
        {
            await other.WaitUntilAttachedAsync(CancellationToken.None).WithTimeout();
            var written = new List<RealtimeEvent>();
            for (var i = 0; i < 30; i++)
            {
                written.Add(await other.AppendAsync(new EventDraft("test.step", Topic)).WithTimeout());
            }

            output.WriteLine($"the node was {(node.Log.IsConnected ? "already back" : "still away")} when the other writer finished");
            Assert.Equal(before.Epoch, written[0].Epoch);
            var received = await items.WaitUntilAsync(i => i.Any(x => x.Event?.Id == written[^1].Id), "every event of the other writer delivered",
                TimeSpan.FromSeconds(60));
            Assert.All(received, item => Assert.Equal(SubscriptionItemKind.Event, item.Kind)); // no gap notice
            Assert.Equal([before.Position, .. written.Select(e => e.Position)], received.Select(x => x.Event!.Position));

            // The node continued its tail where it stopped: it still holds what came before, with no hole in between.
            Assert.True(node.Log.CanResumeFrom(new EventPosition(before.Epoch, before.Sequence - 1)));
        }
        finally
        {
            await other.DisposeAsync();
            await stopReading.CancelAsync();
            await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(30)));
        }
    }

    private async Task RestartWhilePublishingAsync(RabbitMqNode node, string stream, Action<Phase> phase, Collector<Attempt> attempts,
        Collector<SubscriptionItem> items, Collector<JsonElement> messages, CancellationTokenSource stopPublishing, Task publisher)
    {
        var broker = _broker!;
        var endpoint = node.Log.Endpoint;
        await attempts.WaitUntilAsync(a => a.Count(x => x.Event is not null) >= 20, "20 events confirmed before the restart");
        phase(Phase.Stopping);
        await broker.StopAsync();
        var down = await node.WaitForHealthAsync(e => e.Status == HealthStatus.Unhealthy, "unhealthy with the broker down");
        Assert.Contains($"Not connected to stream '{stream}' at {endpoint}", down.Description, StringComparison.Ordinal);
        Assert.False(node.Log.IsConnected);
        phase(Phase.KnownDown);
        var failedWhileDown = (await attempts.WaitUntilAsync(a => a.Any(x => x.Phase == Phase.KnownDown && x.Error is not null),
            "a publish failed while the broker was known to be down")).First(x => x.Phase == Phase.KnownDown && x.Error is not null);
        Assert.Equal(HealthStatus.Unhealthy, (await node.CheckHealthAsync()).Status); // still down: nothing restarted it

        phase(Phase.Restarting);
        await broker.StartAsync();
        Assert.Equal($"127.0.0.1:{broker.Port}/", endpoint); // the same address after the restart
        await node.WaitForHealthAsync(e => e.Status == HealthStatus.Healthy, "healthy after the broker restarted", TimeSpan.FromSeconds(60));
        phase(Phase.Reconnected);
        await attempts.WaitUntilAsync(a => a.Count(x => x.Phase == Phase.Reconnected && x.Event is not null) >= 20,
            "20 events confirmed after the reconnect");
        await stopPublishing.CancelAsync();
        await publisher.WithTimeout();

        // A last event after every other publish finished: once it arrived, everything stored before it has too.
        var last = await node.Broadcaster.PublishAsync(new EventDraft("test.step", Topic) { Id = "last" }).WithTimeout();
        var received = (await items.WaitUntilAsync(i => i.Any(x => x.Event?.Id == "last"), "the last event delivered in process"))
            .ToList();
        var overSocket = await messages.WaitUntilAsync(m => m.Any(x => EventsOf(x).Any(e => e.GetProperty("id").GetString() == "last")),
            "the last event delivered over the WebSocket");

        var all = attempts.Snapshot();
        var confirmed = all.Where(x => x.Event is not null).ToList();
        var failed = all.Where(x => x.Error is not null).ToList();
        output.WriteLine($"{all.Count} publishes: {confirmed.Count} confirmed, {failed.Count} failed; last {last.Position}.");
        foreach (var group in failed.GroupBy(x => (x.Phase, x.Error!.GetType().Name, Message: Shape(x.Error.Message))))
        {
            output.WriteLine($"  {group.Count()} x {group.Key.Phase} {group.Key.Name}: {group.Key.Message}");
        }


        // Publishing while the broker was down failed with a clear EventLogUnavailableException, and only with that.
        Assert.All(failed, x => Assert.IsType<EventLogUnavailableException>(x.Error));
        Assert.Contains($"not connected to RabbitMQ at {endpoint}", failedWhileDown.Error!.Message, StringComparison.Ordinal);
        Assert.Contains(confirmed, x => x.Phase == Phase.BrokerUp);
        Assert.Contains(confirmed, x => x.Phase == Phase.Reconnected);

        // Positions: one epoch across the restart, increasing in publish order.
        Assert.All(confirmed, x => Assert.Equal(last.Position.Epoch, x.Event!.Position.Epoch));
        AssertIncreasing(confirmed.Select(x => x.Event!.Position.Sequence).Append(last.Position.Sequence), "confirmed positions in publish order");

        // In process: events only (no gap notice, no end), each once, in order; every confirmed event at its position.
        Assert.All(received, x => Assert.True(x.Kind == SubscriptionItemKind.Event, $"Unexpected item: {x}"));
        var inProcess = received.Select(x => (x.Event!.Id, x.Event.Position.ToString())).ToList();
        AssertDeliveredOnceInOrder(inProcess, all, last);

        // Over the WebSocket: the same.
        Assert.All(overSocket, m => Assert.True(m.GetProperty("op").GetString() is "event" or "events" or "heartbeat", $"Unexpected message: {m}"));
        var socketEvents = overSocket.SelectMany(EventsOf).Select(e => (e.GetProperty("id").GetString()!, ProtocolClientExtensions.Position(e))).ToList();
        AssertDeliveredOnceInOrder(socketEvents, all, last);
        Assert.Equal(inProcess, socketEvents);
    }

    public async Task InitializeAsync() => _broker = await PrivateBroker.StartNewAsync();

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    /// <summary>
    /// Every confirmed event was delivered once, at the position its publish returned; nothing was delivered twice or out
    /// of order; nothing was delivered that was not published (an event whose publish threw may or may not be).
    /// </summary>
    private static void AssertDeliveredOnceInOrder(List<(string Id, string Position)> delivered, List<Attempt> attempts, RealtimeEvent last)
    {
        AssertIncreasing(delivered.Select(d => EventPosition.Parse(d.Position).Sequence), "delivered positions");
        var duplicates = delivered.GroupBy(d => d.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"Delivered more than once: {string.Join(", ", duplicates)}");
        var byId = delivered.ToDictionary(d => d.Id, d => d.Position);
        foreach (var attempt in attempts.Where(x => x.Event is not null))
        {
            Assert.True(byId.TryGetValue(attempt.Id, out var position), $"Confirmed event {attempt.Id} at {attempt.Event!.Position} ({attempt.Phase}) was not delivered.");
            Assert.Equal(attempt.Event!.Position.ToString(), position);
        }

        var published = attempts.Select(x => x.Id).Append(last.Id).ToHashSet();
        Assert.All(delivered, d => Assert.Contains(d.Id, published));
        Assert.Equal(last.Position.ToString(), delivered[^1].Position);
    }

    private static async Task PublishContinuouslyAsync(RabbitMqNode node, Func<Phase> phase, Collector<Attempt> attempts, CancellationToken stop)
    {
        await Task.Yield();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var id = $"e-{i}";
            var current = phase();
            try
            {
                var evt = await node.Broadcaster.PublishAsync(new EventDraft("test.step", Topic) { Id = id }).WithTimeout();
                attempts.Add(new Attempt(id, current, evt, null));
            }
            catch (Exception ex) when (ex is not TimeoutException)
            {
                attempts.Add(new Attempt(id, current, null, ex));
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), stop); // pacing, about 100 publishes a second; not a synchronization
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task ReadAllAsync(ISubscription subscription, Collector<SubscriptionItem> items, CancellationToken stop)
    {
        try
        {
            await foreach (var item in subscription.ReadAllAsync(stop))
            {
                items.Add(item);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the test is done reading
        }
        catch (Exception ex)
        {
            items.Fail(ex);
        }
    }

    private static async Task ReceiveAllAsync(ProtocolClient client, Collector<JsonElement> messages)
    {
        try
        {
            while (true)
            {
                messages.Add(await client.ReceiveAsync(TimeSpan.FromSeconds(90)));
            }
        }
        catch (Exception) when (client.Socket.State is WebSocketState.CloseSent or WebSocketState.Closed or WebSocketState.Aborted)
        {
            // the test closed the connection
        }
        catch (Exception ex)
        {
            messages.Fail(ex);
        }
    }

    /// <summary>A failure message without the event id, so equal failures group together in the output.</summary>
    private static string Shape(string message) => System.Text.RegularExpressions.Regex.Replace(message, @"\be-\d+\b", "e-N");

    private static IEnumerable<JsonElement> EventsOf(JsonElement message) => message.GetProperty("op").GetString() switch
    {
        "event" => [message.GetProperty("event")],
        "events" => message.GetProperty("events").EnumerateArray(),
        _ => [],
    };

    private static void AssertIncreasing(IEnumerable<long> sequences, string what)
    {
        var list = sequences.ToList();
        for (var i = 1; i < list.Count; i++)
        {
            Assert.True(list[i] > list[i - 1], $"{what}: {list[i]} at index {i} does not follow {list[i - 1]}: [{string.Join(", ", list)}]");
        }
    }

    private sealed record Attempt(string Id, Phase Phase, RealtimeEvent? Event, Exception? Error);
}
