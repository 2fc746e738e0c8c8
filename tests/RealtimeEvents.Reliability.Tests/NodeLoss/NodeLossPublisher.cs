using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.NodeLoss;

/// <summary>A publish the node acknowledged (HTTP 201): the event id, the position the node answered, and who answered.</summary>
internal sealed record AcknowledgedPublish(string Id, string Topic, EventPosition Position, string Node, int AttemptsOnKilledNodes);

/// <summary>
/// Publishes events numbered 1..N through <c>POST /realtime/admin/events</c> of the nodes that are up, in turn, at a
/// steady rate with a few requests in flight; event k has the id <c>nl-k</c> and a topic chosen by the seed. A publish
/// that fails because its node was killed may or may not have reached the log (docs/rabbitmq.md, Failures): it is
/// published again on a node that is up with the same id, so the log holds it once or, if the first attempt was stored,
/// once per attempt; the test counts events by id. A publish that fails on a node that is up is a failure.
/// </summary>
internal sealed class NodeLossPublisher(NodeSet nodes, IReadOnlyList<string> topics, int seed, TimeSpan stepTimeout)
{
    private const int InFlight = 8;
    private const int MaxAttempts = 5;

    private readonly Lock _gate = new();
    private readonly List<AcknowledgedPublish> _acknowledged = [];
    private readonly List<string> _failures = [];
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private (NodeProcess Node, TaskCompletionSource Sending)? _watch;
    private int _next;

    public int AcknowledgedCount
    {
        get
        {
            lock (_gate)
            {
                return _acknowledged.Count;
            }
        }
    }

    public List<AcknowledgedPublish> Acknowledged
    {
        get
        {
            lock (_gate)
            {
                return [.. _acknowledged];
            }
        }
    }

    /// <summary>Gets how many times each id was sent (every attempt, whatever its outcome).</summary>
    public Dictionary<string, int> Attempts
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_attempts, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Publishes retried on another node because their first node was killed.</summary>
    public int Retried { get; private set; }

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>Completes when at least <paramref name="count"/> publishes were acknowledged; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAcknowledgedAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_acknowledged.Count >= count)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(deadline.Token);
        }
    }

    /// <summary>
    /// Completes when a publish to <paramref name="node"/> is about to be sent, so the test can kill the node while
    /// publishes to it are in flight; fails after <paramref name="timeout"/>.
    /// </summary>
    public async Task WhenSendingToAsync(NodeProcess node, TimeSpan timeout)
    {
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _watch = (node, sending);
        }

        await sending.Task.WithTimeout(timeout);
    }

    /// <summary>Publishes <paramref name="count"/> events at <paramref name="perSecond"/>, paced by elapsed time.</summary>
    public async Task RunAsync(int count, int perSecond, CancellationToken cancellationToken)
    {
        var random = new Random(seed ^ 0x0B1E55);
        var plan = Enumerable.Range(0, count).Select(_ => topics[random.Next(topics.Count)]).ToArray();
        using var http = new HttpClient { Timeout = stepTimeout };
        using var slots = new SemaphoreSlim(InFlight, InFlight);
        var running = new List<Task>(count);
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (_next < count)
        {
            var due = Math.Min(count, (int)(clock.Elapsed.TotalSeconds * perSecond) + 1);
            while (_next < due)
            {
                await slots.WaitAsync(cancellationToken).WithTimeout(stepTimeout);
                var k = ++_next;
                running.Add(PublishAsync(http, k, plan[k - 1]).ContinueWith(_ => slots.Release(), TaskScheduler.Default));
            }

            await timer.WaitForNextTickAsync(cancellationToken);
        }

        await Task.WhenAll(running).WithTimeout(stepTimeout * MaxAttempts);
    }

    private async Task PublishAsync(HttpClient http, int k, string topic)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"nl-{k}");
        var body = new { id, type = EventTypes.Task.Progress, topic, data = new { k } };
        var onKilled = 0;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var node = nodes.Pick(k % nodes.Count);
            if (node is null)
            {
                Fail($"{id}: no node is up to publish to");
                return;
            }

            lock (_gate)
            {
                _attempts[id] = _attempts.GetValueOrDefault(id) + 1;
                if (_watch is { } watch && watch.Node == node)
                {
                    watch.Sending.TrySetResult();
                    _watch = null;
                }
            }

            string outcome;
            try
            {
                using var response = await http.PostAsJsonAsync(new Uri(node.BaseAddress, "realtime/admin/events"), body).WithTimeout(stepTimeout);
                if ((int)response.StatusCode == 201)
                {
                    var evt = await response.Content.ReadFromJsonAsync<JsonElement>().WithTimeout(stepTimeout);
                    var position = new EventPosition(evt.GetProperty("epoch").GetString()!, evt.GetProperty("seq").GetInt64());
                    lock (_gate)
                    {
                        _acknowledged.Add(new AcknowledgedPublish(evt.GetProperty("id").GetString()!, topic, position, node.Name, onKilled));
                        _changed.TrySetResult();
                        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    return;
                }

                outcome = $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync().WithTimeout(stepTimeout)}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or TimeoutException or IOException or JsonException)
            {
                outcome = $"{ex.GetType().Name}: {ex.Message}";
            }

            if (!node.Killed)
            {
                Fail($"{id}: the publish to node {node.Name}, which is up, failed: {outcome}");
                return;
            }

            // Its node was killed: the event may or may not be in the log. Publish it again, same id, on a node that is up.
            onKilled++;
            if (onKilled == 1)
            {
                lock (_gate)
                {
                    Retried++;
                }
            }
        }

        Fail($"{id}: not acknowledged after {MaxAttempts} attempts");
    }

    private void Fail(string what)
    {
        lock (_gate)
        {
            _failures.Add(what);
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
