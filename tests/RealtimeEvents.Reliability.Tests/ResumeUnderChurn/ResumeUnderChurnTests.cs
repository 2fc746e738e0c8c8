using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.ResumeUnderChurn;

/// <summary>
/// Issue 9, resume under churn: subscribers whose connections are killed at random while events are published keep a
/// contiguous stream, each event handled once, as long as history still holds what they missed; beyond it they are told.
/// </summary>
public sealed class ResumeUnderChurnTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task KilledConnections_ResumeFromTheirLastPosition_WithEveryEventHandledOnceInOrder()
    {
        var settings = ChurnSettings.FromEnvironment();
        var seed = settings.Seed;
        var random = new Random(seed);

        // Every event goes to one topic, chosen by the seed; each topic numbers its events 1..N in data.n.
        var plan = new int[settings.Events];
        var perTopic = new int[settings.Topics];
        for (var i = 0; i < plan.Length; i++)
        {
            plan[i] = random.Next(settings.Topics);
            perTopic[plan[i]]++;
        }

        await using var host = await TestHost.StartAsync(core: o =>
        {
            // Nothing may leave the window in this test: a history that holds every event, by count, bytes and age.
            o.History.MaxEvents = settings.Events + 1000;
            o.History.MaxBytes = 1L << 30;
            // A small queue, so that subscribers that fall behind overflow and take the recoverable-overflow path too.
            o.SubscriptionQueueCapacity = 64;
        });
        using var admin = host.CreateHttpClient();

        using var abort = new CancellationTokenSource();
        var clients = new ChurnClient[settings.Clients];
        var subscribed = new TaskCompletionSource[settings.Clients];
        var runs = new Task[settings.Clients];
        for (var i = 0; i < clients.Length; i++)
        {
            var topic = i % settings.Topics;
            clients[i] = new ChurnClient(i, TopicName(topic), perTopic[topic], host.WebSocketUri(), StepTimeout);
            subscribed[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var (client, ready) = (clients[i], subscribed[i]);
            runs[i] = Task.Run(() => client.RunAsync(ready, abort.Token));
        }

        var failed = Task.WhenAny(runs);
        var allSubscribed = Task.WhenAll(subscribed.Select(s => s.Task));
        Assert.Same(allSubscribed, await Task.WhenAny(allSubscribed, failed).WithTimeout());
        var stopwatch = Stopwatch.StartNew();

        var published = new List<long>[settings.Topics];
        for (var t = 0; t < published.Length; t++)
        {
            published[t] = new List<long>(perTopic[t]);
        }

        var publishedCount = 0;
        var publisher = Task.Run(async () =>
        {
            var numbers = new int[settings.Topics];
            var clock = Stopwatch.StartNew();
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
            while (publishedCount < plan.Length)
            {
                // Paced by elapsed time, not by sleeping: each tick publishes what the rate allows so far.
                var due = Math.Min(plan.Length, (int)(clock.Elapsed.TotalSeconds * settings.EventsPerSecond) + 1);
                while (publishedCount < due)
                {
                    var topic = plan[publishedCount];
                    var n = ++numbers[topic];
                    var evt = await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, TopicName(topic))
                    {
                        Data = EventData.FromJson(string.Create(CultureInfo.InvariantCulture, $$"""{"n":{{n}}}""")),
                    }).WithTimeout(StepTimeout);
                    published[topic].Add(evt.Sequence);
                    Volatile.Write(ref publishedCount, publishedCount + 1);
                }

                await timer.WaitForNextTickAsync(abort.Token);
            }
        });

        var kills = new int[2];
        var chaosFailures = new List<string>();
        var chaos = Task.Run(async () =>
        {
            var chaosRandom = new Random(seed ^ 0x5EED);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
            var performed = 0;
            while (performed < settings.Kills && !clients.All(c => c.IsDone))
            {
                // Kills keep pace with publishing and are all done by 90% of it, while every client still has events to come.
                var due = Math.Min(settings.Kills, (long)Volatile.Read(ref publishedCount) * settings.Kills * 10 / (plan.Length * 9L) + 1);
                for (var attempt = 0; performed < due && attempt < 50; attempt++)
                {
                    var client = clients[chaosRandom.Next(clients.Length)];
                    var kind = chaosRandom.Next(2) == 0 ? ChurnKill.ClientAbort : ChurnKill.ServerDisconnect;
                    if (!client.TryClaimForKill(kind, out var socket, out var connectionId))
                    {
                        continue; // reconnecting or done: pick another
                    }

                    if (kind == ChurnKill.ClientAbort)
                    {
                        socket.Abort();
                    }
                    else
                    {
                        using var response = await admin.DeleteAsync(new Uri($"/realtime/admin/connections/{connectionId}", UriKind.Relative)).WithTimeout(StepTimeout);
                        if (response.StatusCode != HttpStatusCode.NoContent && !client.IsDone)
                        {
                            chaosFailures.Add($"DELETE connection {connectionId} of client {client.Index}: {(int)response.StatusCode}");
                        }
                    }

                    kills[(int)kind]++;
                    performed++;
                }

                await timer.WaitForNextTickAsync(abort.Token);
            }
        });

        try
        {
            await Task.WhenAll(runs.Append(publisher).Append(chaos)).WithTimeout(settings.Deadline);
        }
        finally
        {
            await abort.CancelAsync();
        }

        stopwatch.Stop();
        var totalKills = kills.Sum();
        var checkedEvents = clients.Sum(c => c.Handled.Count);
        output.WriteLine($"seed {seed} ({(settings.Long ? "long" : "CI")} mode), {stopwatch.Elapsed.TotalSeconds:F1} s after subscribing");
        output.WriteLine($"clients {clients.Length} on {settings.Topics} topics; events published {plan.Length} (~{settings.EventsPerSecond}/s)");
        output.WriteLine($"kills {totalKills}: client abort {kills[(int)ChurnKill.ClientAbort]}, server disconnect {kills[(int)ChurnKill.ServerDisconnect]}");
        output.WriteLine($"connections {clients.Sum(c => c.Connections)}, resumes {clients.Sum(c => c.Resumes)}, events checked {checkedEvents}");
        output.WriteLine($"recoverable overflows {clients.Sum(c => c.RecoverableOverflows)} (events discarded while resubscribing {clients.Sum(c => c.DiscardedWhileRecovering)}, "
            + $"repeats skipped after resubscribing {clients.Sum(c => c.DuplicatesAfterOverflowResume)}), unrecoverable overflows {clients.Sum(c => c.UnrecoverableOverflows)}");
        output.WriteLine($"repeats after a reconnect {clients.Sum(c => c.DuplicatesAfterReconnect)}");

        var failures = chaosFailures.Concat(clients.SelectMany(c => c.Failures)).ToList();
        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} failures:\n{string.Join('\n', failures.Take(30))}");
        Assert.True(totalKills >= settings.MinimumKills, $"seed {seed}: only {totalKills} kills, at least {settings.MinimumKills} required.");
        Assert.True(clients.Sum(c => c.Resumes) >= totalKills, $"seed {seed}: fewer resumes than kills.");
        foreach (var client in clients)
        {
            var topic = int.Parse(client.Topic.AsSpan(client.Topic.LastIndexOf('/') + 2), CultureInfo.InvariantCulture);
            // Exactly the events published to its topic, each once, in log order: contiguous 1..N and the same positions.
            Assert.True(Enumerable.Range(1, perTopic[topic]).SequenceEqual(client.HandledNumbers),
                $"seed {seed}: client {client.Index} handled n = {Describe(client.HandledNumbers)}, expected 1..{perTopic[topic]}.");
            Assert.True(published[topic].SequenceEqual(client.Handled),
                $"seed {seed}: client {client.Index} handled other positions than were published to {client.Topic}.");
            // The server replays strictly after resumeAfter, so a reconnect never repeats an event; only the
            // overflow path may (the notice's resumeAfter is the position before the first missed event).
            Assert.True(client.DuplicatesAfterReconnect == 0, $"seed {seed}: client {client.Index} got {client.DuplicatesAfterReconnect} repeats after reconnects.");
            Assert.Equal(0, client.UnrecoverableOverflows);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(1000)]
    public async Task ResumeFromBeforeTheHistoryWindow_IsToldItCannotRecover_ThenGetsWhatHistoryHolds(int window)
    {
        await using var host = await TestHost.StartAsync(core: o => o.History.MaxEvents = window);
        using var admin = host.CreateHttpClient();
        const string topic = "churn/truncated";
        var seen = new List<JsonElement>();

        await using (var first = await ProtocolClient.ConnectAsync(host.WebSocketUri()))
        {
            await first.SubscribeAsync("s", topics: [topic]);
            for (var n = 1; n <= 3; n++)
            {
                // One at a time: with a window of 1, events published faster than the dispatcher routes them leave
                // history first, and the live subscriber is told of that gap instead (docs/protocol.md, Missed events).
                await host.Publisher.PublishAsync(Draft(topic, n)).WithTimeout();
                seen.AddRange(await first.ReceiveEventsAsync("s", 1).WithTimeout());
            }

            var removed = host.WhenConnectionRemoved();
            using var response = await admin.DeleteAsync(new Uri($"/realtime/admin/connections/{first.Welcome.GetProperty("connectionId").GetString()}", UriKind.Relative)).WithTimeout();
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            var (status, _, _) = await first.ReceiveUntilClosedAsync();
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
            await removed.WithTimeout();
        }

        // While the client is away, more events than the window holds are published.
        var missed = window + 5;
        var after = new List<RealtimeEvent>();
        for (var n = 4; n < 4 + missed; n++)
        {
            after.Add(await host.Publisher.PublishAsync(Draft(topic, n)).WithTimeout());
        }

        var last = seen[^1];
        var lastHandled = new EventPosition(last.GetProperty("epoch").GetString()!, last.GetProperty("seq").GetInt64());
        await using var second = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        var subscribed = await second.SubscribeAsync("s", topics: [topic], resumeAfter: lastHandled.ToString());
        Assert.Equal("truncated", subscribed.GetProperty("resume").GetString());

        var overflow = await second.ReceiveAsync();
        Assert.Equal("overflow", overflow.GetProperty("op").GetString());
        Assert.Equal("s", overflow.GetProperty("sub").GetString());
        Assert.Equal("history_truncated", overflow.GetProperty("reason").GetString());
        Assert.False(overflow.GetProperty("recoverable").GetBoolean());
        Assert.False(overflow.TryGetProperty("resumeAfter", out _));
        var gapFirst = EventPosition.Parse(overflow.GetProperty("first").GetString()!);
        var gapLast = EventPosition.Parse(overflow.GetProperty("last").GetString()!);
        Assert.Equal(lastHandled.Sequence + 1, gapFirst.Sequence);

        // Then the events history still holds, from the one just after the gap to the newest, each once.
        var held = after.Where(e => e.Sequence > gapLast.Sequence).ToList();
        Assert.NotEmpty(held);
        Assert.True(held.Count <= window, $"{held.Count} events after the gap, but history holds {window}.");
        Assert.Equal(gapLast.Sequence + 1, held[0].Sequence);
        var resumed = await second.ReceiveEventsAsync("s", held.Count).WithTimeout();
        Assert.Equal(held.Select(e => e.Sequence), resumed.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(after[^1].Sequence, resumed[^1].GetProperty("seq").GetInt64());
    }

    private static EventDraft Draft(string topic, int n) =>
        new(EventTypes.Task.Progress, topic) { Data = EventData.FromJson(string.Create(CultureInfo.InvariantCulture, $$"""{"n":{{n}}}""")) };

    private static string TopicName(int topic) => string.Create(CultureInfo.InvariantCulture, $"churn/g{topic}");

    private static string Describe(List<int> numbers) =>
        numbers.Count <= 20 ? string.Join(',', numbers) : $"{numbers.Count} values, first gap after {numbers.TakeWhile((n, i) => n == i + 1).Count()}";
}
