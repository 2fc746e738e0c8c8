using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.NodeLoss;

/// <summary>
/// Issue 9, node loss with the RabbitMQ log: two node processes on one stream of the test broker (REALTIME_RABBITMQ_URI),
/// half the clients on each; publishers go through both nodes; one node is killed with SIGKILL mid-stream; its clients
/// notice, resume on the other node, and nothing is lost or repeated. The oracle is the stream itself, read at the end.
/// </summary>
public sealed class NodeLossTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Slots = ["A", "B"];

    [Fact]
    public async Task KilledNode_ItsClientsResumeOnTheOtherNode_WithEveryLoggedEventOnceInOrder_AndEveryAcknowledgedPublishInTheLog()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        var settings = NodeLossSettings.For(ReliabilityRun.IsLong);
        var brokerUri = TestBroker.Uri; // fails with a clear message when no broker was started
        var stream = TestBroker.NewStreamName("node-loss");
        var random = new Random(seed);
        var run = Stopwatch.StartNew();
        var processes = new List<NodeProcess>();
        var nodeStarts = new List<TimeSpan>();
        using var stop = new CancellationTokenSource();
        try
        {
            async Task<NodeProcess> StartNodeAsync(string name)
            {
                var clock = Stopwatch.StartNew();
                var node = await NodeProcess.StartAsync(name, brokerUri, stream);
                lock (processes)
                {
                    processes.Add(node);
                }

                await WaitUntilHealthyAsync(node);
                lock (processes)
                {
                    nodeStarts.Add(clock.Elapsed);
                }

                output.WriteLine($"node {name} (pid {node.ProcessId}) healthy at {node.BaseAddress} after {clock.Elapsed.TotalSeconds:F1} s");
                return node;
            }

            var generation = new int[Slots.Length];
            var started = await Task.WhenAll(Slots.Select((slot, i) => StartNodeAsync($"{slot}#{++generation[i]}")));
            var nodes = new NodeSet(started);
            var epoch = await ReadEpochAsync(nodes[1]);

            var topics = Enumerable.Range(0, settings.Topics).Select(t => string.Create(CultureInfo.InvariantCulture, $"nodeloss/t{t}")).ToArray();
            var clients = new NodeLossClient[settings.Clients];
            var subscribed = new TaskCompletionSource[clients.Length];
            var runs = new Task[clients.Length];
            for (var i = 0; i < clients.Length; i++)
            {
                var chosen = topics.OrderBy(_ => random.Next()).Take(settings.TopicsPerClient).ToArray();
                clients[i] = new NodeLossClient(i, home: i % Slots.Length, chosen, nodes, StepTimeout);
                subscribed[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var (client, ready) = (clients[i], subscribed[i]);
                runs[i] = Task.Run(() => client.RunAsync(ready, stop.Token));
            }

            var allSubscribed = Task.WhenAll(subscribed.Select(s => s.Task));
            await Task.WhenAny(allSubscribed, Task.WhenAny(runs)).WithTimeout(StepTimeout);
            Assert.True(allSubscribed.IsCompletedSuccessfully,
                $"seed {seed}: not every client subscribed: {string.Join("; ", clients.SelectMany(c => c.Failures).Take(10))}");

            var health = new NodeHealthWatch(nodes, StepTimeout);
            var watching = Task.Run(() => health.RunAsync(stop.Token));
            var publisher = new NodeLossPublisher(nodes, topics, seed, StepTimeout);
            var publishing = Task.Run(() => publisher.RunAsync(settings.Events, settings.EventsPerSecond, stop.Token));

            var killed = 0;
            var moved = 0;
            var rebalanced = 0;
            var slowestMove = TimeSpan.Zero;
            var killFailures = new List<string>();
            for (var cycle = 0; cycle < settings.Kills; cycle++)
            {
                var victim = cycle % Slots.Length;
                var survivor = nodes[(victim + 1) % Slots.Length];
                // Mid-stream: kills are spread over the run, while publishes are in flight on both nodes.
                await publisher.WaitForAcknowledgedAsync(settings.Events * (cycle + 1) / (settings.Kills + 1), settings.Deadline);
                var node = nodes[victim];
                var onVictim = clients.Where(c => c.Node == node).Select(c => (Client: c, c.Resumes)).ToList();
                if (onVictim.Count == 0)
                {
                    killFailures.Add($"no client was on node {node.Name} when it was killed");
                }

                await publisher.WhenSendingToAsync(node, StepTimeout);
                var clock = Stopwatch.StartNew();
                await node.KillAsync();
                killed++;
                output.WriteLine($"killed node {node.Name} (pid {node.ProcessId}, SIGKILL) after {publisher.AcknowledgedCount} acknowledged publishes, with {onVictim.Count} clients");

                // Its clients notice on their own, connect to the survivor and resume there.
                await WaitUntilResumedAsync(onVictim, survivor, seed);
                slowestMove = Max(slowestMove, clock.Elapsed);
                moved += onVictim.Count;
                output.WriteLine($"{onVictim.Count} clients resumed on node {survivor.Name} within {clock.Elapsed.TotalSeconds:F1} s of the kill");

                if (settings.Kills > 1)
                {
                    // Long mode: the node comes back, and the clients whose home it is move back to it.
                    var restarted = await StartNodeAsync($"{Slots[victim]}#{++generation[victim]}");
                    nodes.Replace(victim, restarted);
                    var returning = clients.Where(c => c.Home == victim).Select(c => (Client: c, c.Resumes)).ToList();
                    foreach (var (client, _) in returning)
                    {
                        client.MoveTo(victim);
                    }

                    await WaitUntilResumedAsync(returning, restarted, seed);
                    rebalanced += returning.Count;
                }
            }

            await publishing.WithTimeout(settings.Deadline);
            var acknowledged = publisher.Acknowledged;
            var attempts = publisher.Attempts;

            // The oracle: the stream, read independently from its start.
            var log = await LogOracle.ReadAllAsync(brokerUri, stream, epoch, TimeSpan.FromSeconds(60));

            // Every client catches up with the log (or stops trying); what it handled is compared below.
            var expected = clients.ToDictionary(c => c, c => log.Where(e => c.Topics.Contains(e.Topic) && e.Position.Sequence > c.Start!.Value.Sequence).ToList());
            await Task.WhenAll(clients.Select(async c =>
            {
                try
                {
                    await c.WaitUntilAsync(x => x.HandledCount >= expected[c].Count || x.Failures.Count > 0, StepTimeout);
                }
                catch (OperationCanceledException)
                {
                    // reported below, with what it handled
                }
            }));

            await stop.CancelAsync();
            await Task.WhenAll(runs.Append(watching)).WithTimeout(StepTimeout);
            run.Stop();

            var checkedEvents = clients.Sum(c => c.HandledCount);
            var resumes = clients.Sum(c => c.Resumes);
            var resumesComplete = clients.Sum(c => c.ResumesComplete);
            output.WriteLine($"figure: nodes_killed={killed}");
            output.WriteLine($"figure: clients_moved={moved}");
            output.WriteLine($"figure: connections_lost_to_kills={clients.Sum(c => c.LostToKill)} moves_requested={clients.Sum(c => c.Moves)}");
            output.WriteLine($"figure: clients_rebalanced={rebalanced}");
            output.WriteLine($"figure: clients={clients.Length} topics={topics.Length}");
            output.WriteLine($"figure: events_published={acknowledged.Count}");
            output.WriteLine($"figure: publishes_retried_after_kill={publisher.Retried}");
            output.WriteLine($"figure: events_in_log={log.Count}");
            output.WriteLine($"figure: retried_publishes_in_log_twice={log.GroupBy(e => e.Id, StringComparer.Ordinal).Count(g => g.Count() > 1)}");
            output.WriteLine($"figure: events_checked={checkedEvents}");
            output.WriteLine($"figure: resumes={resumes}");
            output.WriteLine($"figure: resumes_complete={resumesComplete}");
            output.WriteLine($"figure: clients_never_disconnected={clients.Count(c => c.Connections == 1)}");
            output.WriteLine($"figure: close_frames_from_killed_nodes={clients.Sum(c => c.CloseFramesFromKilledNodes)}");
            output.WriteLine($"figure: heartbeat_timeouts={clients.Sum(c => c.HeartbeatTimeouts)}");
            output.WriteLine($"figure: health_readings={health.Readings} healthy_while_other_down={health.HealthyWhileAnotherWasDown}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure: node_start_s_max={nodeStarts.Max().TotalSeconds:F1}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure: kill_to_all_resumed_s_max={slowestMove.TotalSeconds:F1}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure: duration_s={run.Elapsed.TotalSeconds:F1}"));

            var failures = killFailures
                .Concat(publisher.Failures)
                .Concat(clients.SelectMany(c => c.Failures))
                .Concat(health.Failures)
                .Concat(CheckClients(clients, expected))
                .Concat(CheckPublishes(acknowledged, attempts, log))
                .ToList();
            Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} failures:\n{string.Join('\n', failures.Take(30))}");
            Assert.Equal(settings.Kills, killed);
            Assert.True(moved > 0, $"seed {seed}: no client was moved by a kill.");
            Assert.Equal(resumes, resumesComplete);
            Assert.Equal(moved + rebalanced, resumes);
            Assert.True(clients.Sum(c => c.CloseFramesFromKilledNodes) == 0, $"seed {seed}: a killed node sent close frames, so its kill ran a graceful path.");
            Assert.True(health.HealthyWhileAnotherWasDown > 0, $"seed {seed}: the survivor's health was never read while the other node was down.");
            // The clients of node B in the first cycle never lost their connection: the kill of A did not touch them.
            Assert.True(settings.Kills > 1 || clients.Where(c => c.Home == 1).All(c => c.Connections == 1), $"seed {seed}: a client of node B reconnected.");
        }
        finally
        {
            await stop.CancelAsync();
            var cleanup = new List<Exception>();
            foreach (var node in processes)
            {
                try
                {
                    await node.DisposeAsync();
                }
                catch (Exception ex)
                {
                    cleanup.Add(ex); // the other nodes are still stopped; the test's own failure is not hidden
                }
            }

            try
            {
                await TestBroker.DeleteStreamAsync(stream);
            }
            catch (Exception ex)
            {
                cleanup.Add(ex);
            }

            foreach (var failure in cleanup)
            {
                output.WriteLine($"cleanup failed: {failure}");
            }
        }
    }

    /// <summary>For every client: the events it handled are exactly the log's events on its topics after its start, each once, in order, at the log's positions.</summary>
    private static IEnumerable<string> CheckClients(NodeLossClient[] clients, Dictionary<NodeLossClient, List<RealtimeEvent>> expected)
    {
        foreach (var client in clients)
        {
            var handled = client.Handled;
            var want = expected[client];
            var same = handled.Zip(want).TakeWhile(p => p.First.Sequence == p.Second.Position.Sequence && p.First.Id == p.Second.Id).Count();
            if (same != want.Count || handled.Count != want.Count)
            {
                var at = same < want.Count ? $"the log has {want[same].Id} at {want[same].Position}" : "the log has nothing more";
                var got = same < handled.Count ? $"the client handled {handled[same].Id} at seq {handled[same].Sequence} from node {handled[same].Node}" : "the client handled nothing more";
                yield return $"client {client.Index} ({string.Join(',', client.Topics)}): handled {handled.Count} events, the log has {want.Count} for it after {client.Start}; "
                    + $"they differ at index {same}: {at}, {got}";
            }

            if (client.Repeats != 0)
            {
                yield return $"client {client.Index}: {client.Repeats} events at or before its last handled position arrived again";
            }
        }
    }

    /// <summary>
    /// Every acknowledged publish is in the log at the position its node answered: once, or when an earlier attempt went
    /// to a node that was killed, at most once more per such attempt. The log holds nothing the test did not publish.
    /// </summary>
    private static IEnumerable<string> CheckPublishes(List<AcknowledgedPublish> acknowledged, Dictionary<string, int> attempts, List<RealtimeEvent> log)
    {
        var byId = log.GroupBy(e => e.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var ack in acknowledged)
        {
            if (!byId.TryGetValue(ack.Id, out var copies))
            {
                yield return $"{ack.Id} was acknowledged by node {ack.Node} at {ack.Position} but is not in the log";
                continue;
            }

            if (!copies.Any(e => e.Position == ack.Position && e.Topic == ack.Topic))
            {
                yield return $"{ack.Id} was acknowledged by node {ack.Node} at {ack.Position}, the log has it at {string.Join(", ", copies.Select(e => e.Position))}";
            }

            if (copies.Count > 1 + ack.AttemptsOnKilledNodes)
            {
                yield return $"{ack.Id} is in the log {copies.Count} times, after {1 + ack.AttemptsOnKilledNodes} attempts";
            }
        }

        foreach (var (id, copies) in byId)
        {
            if (!attempts.ContainsKey(id))
            {
                yield return $"the log has {id} at {copies[0].Position}, which the test never published";
            }
        }

        var unacknowledged = attempts.Keys.Except(acknowledged.Select(a => a.Id), StringComparer.Ordinal).Count();
        if (unacknowledged > 0)
        {
            yield return $"{unacknowledged} publishes were never acknowledged";
        }
    }

    /// <summary>Waits until every client resumed once more than it had, on <paramref name="node"/> (or failed trying).</summary>
    private static async Task WaitUntilResumedAsync(List<(NodeLossClient Client, int Resumes)> clients, NodeProcess node, int seed)
    {
        try
        {
            await Task.WhenAll(clients.Select(x => x.Client.WaitUntilAsync(c => c.Failures.Count > 0 || (c.Resumes > x.Resumes && c.Node == node), MoveTimeout)));
        }
        catch (OperationCanceledException)
        {
            var late = clients.Where(x => x.Client.Resumes == x.Resumes || x.Client.Node != node).Select(x => $"client {x.Client.Index} (on {x.Client.Node?.Name ?? "no node"})");
            Assert.Fail($"seed {seed}: within {MoveTimeout.TotalSeconds} s, not every client resumed on node {node.Name}: {string.Join(", ", late)}.");
        }
    }

    private async Task WaitUntilHealthyAsync(NodeProcess node)
    {
        using var http = new HttpClient { Timeout = StepTimeout };
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < HealthyTimeout)
        {
            try
            {
                last = await http.GetStringAsync(new Uri(node.BaseAddress, "health")).WithTimeout(StepTimeout);
                if (last == "Healthy")
                {
                    return;
                }
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message; // 503 while it attaches to the stream
            }

            await timer.WaitForNextTickAsync();
        }

        output.WriteLine(node.RecentOutput);
        throw new TimeoutException($"Node {node.Name} was not healthy within {HealthyTimeout.TotalSeconds} s: {last}");
    }

    /// <summary>The stream's epoch, from the node's stats: the position it reports once attached.</summary>
    private static async Task<string> ReadEpochAsync(NodeProcess node)
    {
        using var http = new HttpClient { Timeout = StepTimeout };
        var stats = await http.GetFromJsonAsync<JsonElement>(new Uri(node.BaseAddress, "realtime/admin/stats")).WithTimeout(StepTimeout);
        return EventPosition.Parse(stats.GetProperty("position").GetString()!).Epoch;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
