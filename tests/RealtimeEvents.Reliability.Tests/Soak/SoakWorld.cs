using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// What the soak's clients share: the host, the plan, the counters, HTTP clients, the transient WebSocket connections
/// (which the management task may disconnect), and the steady tasks: two publishers and the management caller.
/// </summary>
internal sealed class SoakWorld : IAsyncDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _steady = [];

    public SoakWorld(TestHost host, SoakPlan plan, long[] claimed, int seed)
    {
        Host = host;
        Plan = plan;
        Claimed = claimed;
        Seed = seed;
        Admin = host.CreateHttpClient();
        // One connection per stream, closed when the client drops the response: nothing pooled to blur the fd count.
        Sse = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public TestHost Host { get; }

    public SoakPlan Plan { get; }

    public SoakTally Tally { get; } = new();

    public HttpClient Admin { get; }

    public HttpClient Sse { get; }

    /// <summary>Gets the last <c>data.n</c> claimed per topic; a claim is made before the publish, so a snapshot never misses one.</summary>
    public long[] Claimed { get; }

    public int Seed { get; }

    /// <summary>Gets the connection ids of the soak's transient WebSocket sessions, which the management task may disconnect.</summary>
    public ConcurrentDictionary<string, byte> Transient { get; } = new(StringComparer.Ordinal);

    /// <summary>Starts the publishers (half the topics each: one awaits <c>PublishAsync</c>, one calls <c>TryPublish</c>) and the management caller.</summary>
    public void StartSteadyWork(int eventsPerSecond)
    {
        var half = Plan.Topics / 2;
        _steady.Add(Task.Run(() => PublishAsync(0, half, eventsPerSecond / 2, useTry: false, Seed ^ 0x0b)));
        _steady.Add(Task.Run(() => PublishAsync(half, Plan.Topics, eventsPerSecond - (eventsPerSecond / 2), useTry: true, Seed ^ 0x1b)));
        _steady.Add(Task.Run(() => ManageAsync(new Random(Seed ^ 0x2b))));
    }

    public async Task StopSteadyWorkAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_steady).WithTimeout(StepTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_steady).WithTimeout(StepTimeout);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }

        Admin.Dispose();
        Sse.Dispose();
        _stop.Dispose();
    }

    private async Task PublishAsync(int firstTopic, int endTopic, int eventsPerSecond, bool useTry, int seed)
    {
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        long published = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            do
            {
                // Paced by elapsed time: each tick publishes what the rate allows so far.
                var due = (long)(clock.Elapsed.TotalSeconds * eventsPerSecond);
                for (; published < due && !_stop.IsCancellationRequested; published++)
                {
                    var topic = random.Next(firstTopic, endTopic);
                    var n = Claimed[topic] + 1;
                    Volatile.Write(ref Claimed[topic], n);
                    var draft = Plan.Draft(topic, n);
                    if (!useTry || !Host.Publisher.TryPublish(draft, out _))
                    {
                        await Host.Publisher.PublishAsync(draft).WithTimeout(StepTimeout);
                    }

                    Tally.Add(ref Tally.EventsPublished);
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Tally.Fail($"publisher of topics {firstTopic}..{endTopic - 1} failed: {ex}");
        }
    }

    /// <summary>What an operator does: reads stats and connections, and now and then disconnects a transient client.</summary>
    private async Task ManageAsync(Random random)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Tally.Add(ref Tally.ManagementCalls);
                if (random.Next(2) == 0)
                {
                    using var stats = await Admin.GetAsync(new Uri("/realtime/admin/stats", UriKind.Relative), _stop.Token).WithTimeout(StepTimeout);
                    using var document = JsonDocument.Parse(await stats.Content.ReadAsStringAsync(_stop.Token).WithTimeout(StepTimeout));
                    if (stats.StatusCode != HttpStatusCode.OK || !document.RootElement.GetProperty("dispatcher").GetProperty("running").GetBoolean())
                    {
                        Tally.Fail($"GET stats: {(int)stats.StatusCode} {document.RootElement.GetRawText()}");
                    }

                    continue;
                }

                using var list = await Admin.GetAsync(new Uri("/realtime/admin/connections", UriKind.Relative), _stop.Token).WithTimeout(StepTimeout);
                using var connections = JsonDocument.Parse(await list.Content.ReadAsStringAsync(_stop.Token).WithTimeout(StepTimeout));
                if (list.StatusCode != HttpStatusCode.OK)
                {
                    Tally.Fail($"GET connections: {(int)list.StatusCode}");
                    continue;
                }

                // About one disconnect every few seconds, of a WebSocket session or an SSE stream, never the control group.
                var victims = connections.RootElement.EnumerateArray()
                    .Where(c => c.GetProperty("transport").GetString() == "sse" || Transient.ContainsKey(c.GetProperty("id").GetString()!))
                    .Select(c => (Id: c.GetProperty("id").GetString()!, Sse: c.GetProperty("transport").GetString() == "sse"))
                    .ToList();
                if (victims.Count == 0 || random.Next(6) != 0)
                {
                    continue;
                }

                var victim = victims[random.Next(victims.Count)];
                Tally.Add(ref Tally.ManagementCalls);
                using var deleted = await Admin.DeleteAsync(new Uri($"/realtime/admin/connections/{victim.Id}", UriKind.Relative), _stop.Token).WithTimeout(StepTimeout);
                if (deleted.StatusCode == HttpStatusCode.NoContent)
                {
                    Tally.Add(ref victim.Sse ? ref Tally.SseAdminDisconnects : ref Tally.AdminDisconnects);
                }
                else if (deleted.StatusCode != HttpStatusCode.NotFound) // it may have left meanwhile
                {
                    Tally.Fail($"DELETE connection {victim.Id}: {(int)deleted.StatusCode}");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Tally.Fail($"the management caller failed: {ex}");
        }
    }
}
