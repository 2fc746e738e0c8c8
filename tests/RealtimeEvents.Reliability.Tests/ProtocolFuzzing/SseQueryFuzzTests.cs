using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// Issue 9, protocol fuzzing over Server-Sent Events: seeded good and bad query strings and <c>Last-Event-ID</c> headers
/// against <c>GET /realtime/sse</c>. Each gets exactly what docs/protocol.md promises (a stream that starts with
/// <c>subscribed</c>, or the documented status and code), Kestrel's own limits answer 414 or 431, and meanwhile the control
/// group gets every event in order; afterwards no connection is left behind, memory is back, and a new client works.
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public sealed class SseQueryFuzzTests(ITestOutputHelper output)
{
    private const int WarmUp = 500;
    private const long MaxManagedGrowthBytes = 32L * 1024 * 1024;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task FuzzedQueryStrings_GetTheDocumentedAnswer_AndHarmNoOne()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));
        // CI: 20,000 requests (about 12 s here); long mode: 1,000,000 (about 3 min). All of them, or the test fails at the
        // hard limit.
        var total = ReliabilityRun.IsLong ? 1_000_000 : 20_000;
        var hardLimit = ReliabilityRun.IsLong ? TimeSpan.FromMinutes(30) : TimeSpan.FromSeconds(240);
        var budget = new SseFuzzBudget(hardLimit, Minimum: total, HardLimit: hardLimit);

        await using var host = await TestHost.StartAsync(
            core: o => o.History.MaxEvents = FullHistory.Events,
            realtime: events => events
                .AddSnapshotProvider("snap/**", sp => new PositionSnapshotProvider(sp.GetRequiredService<IEventBroadcaster>()))
                .AddSnapshotProvider("snapfail/**", new FailingSnapshotProvider()));
        await FullHistory.FillAsync(host);
        var epoch = host.Broadcaster.CurrentPosition.Epoch;
        var generator = new SseQueryGenerator(seed, epoch);
        // A stream is left after its first event: the handler must close that connection at once, not drain it in the
        // background for up to ResponseDrainTimeout while it holds one of the pool's connections.
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 64,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
            MaxResponseDrainSize = 0,
            ResponseDrainTimeout = TimeSpan.Zero,
        };
        using var http = new HttpClient(handler) { BaseAddress = host.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var run = new Run(seed, generator, host, http);

        await using var control = await ControlGroup.StartAsync(host);
        var controlConnections = host.Connections.Connections.Count;
        await run.RunAsync(0, WarmUp, workers: 8, budget with { Minimum = WarmUp });
        var before = ProcessProbe.Read();

        var clock = Stopwatch.StartNew();
        var done = await run.RunAsync(WarmUp, WarmUp + total, workers: 8, budget);
        clock.Stop();

        var controlResult = await control.StopAndVerifyAsync();
        await WaitUntilAsync(() => host.Connections.Connections.Count == controlConnections, TimeSpan.FromSeconds(15));
        var leftOver = host.Connections.Connections.Count - controlConnections;
        var after = ProcessProbe.Read();
        var newClientWorks = await NewClientGetsAnEventAsync(host, http);

        output.WriteLine(FormattableString.Invariant($"figure: sse.requests={done + WarmUp} (warm-up {WarmUp}, measured {done} in {clock.Elapsed.TotalSeconds:F1} s, {done / clock.Elapsed.TotalSeconds:F0}/s)"));
        foreach (var (key, count) in run.Seen.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            output.WriteLine(FormattableString.Invariant($"figure: sse.{key}={count}"));
        }

        output.WriteLine(FormattableString.Invariant($"figure: sse.control clients={controlResult.Clients} events={controlResult.Published} checked={controlResult.Delivered}"));
        output.WriteLine($"figure: sse.memory.before={before}");
        output.WriteLine($"figure: sse.memory.after={after}");
        output.WriteLine(FormattableString.Invariant($"figure: sse.memory.managedGrowth={(after.ManagedBytes - before.ManagedBytes) / 1024.0 / 1024.0:F1} MiB"));

        Assert.True(run.Failures.IsEmpty, $"seed {seed}: {run.Failures.Count} requests did not get the documented answer:\n{string.Join("\n", run.Failures.Take(20))}");
        Assert.True(done >= budget.Minimum, $"seed {seed}: only {done} requests fit the hard limit of {budget.HardLimit}.");
        Assert.True(leftOver == 0, $"seed {seed}: {leftOver} SSE connections were still registered after their clients left.");
        Assert.True(newClientWorks, "A new SSE client did not get its event after the run.");
        Assert.True(after.ManagedBytes - before.ManagedBytes < MaxManagedGrowthBytes,
            $"seed {seed}: the managed heap grew from {before} to {after}, more than {MaxManagedGrowthBytes / 1024 / 1024} MiB.");
    }

    private static async Task<bool> NewClientGetsAnEventAsync(TestHost host, HttpClient http)
    {
        using var cts = new CancellationTokenSource(RequestTimeout);
        using var response = await http.GetAsync(new Uri("/realtime/sse?topic=fuzz/after", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return false;
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token), Encoding.UTF8);
        var subscribed = await ReadEventAsync(reader, cts.Token);
        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "fuzz/after"), cts.Token).WithTimeout();
        var evt = await ReadEventAsync(reader, cts.Token);
        return subscribed.Event == "subscribed" && evt.Data is not null
            && JsonDocument.Parse(evt.Data).RootElement.GetProperty("topic").GetString() == "fuzz/after";
    }

    /// <summary>Reads one SSE event (lines up to a blank line); comments are skipped.</summary>
    private static async Task<(string? Event, string? Data)> ReadEventAsync(StreamReader reader, CancellationToken token)
    {
        string? name = null;
        string? data = null;
        while (await reader.ReadLineAsync(token) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null || data is not null)
                {
                    return (name, data);
                }

                continue;
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }

        return (name, data);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (!condition())
            {
                await timer.WaitForNextTickAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The caller asserts on the condition.
        }
    }

    /// <summary>The requests of one run, their checks and what was seen.</summary>
    private sealed class Run(int seed, SseQueryGenerator generator, TestHost host, HttpClient http)
    {
        public ConcurrentQueue<string> Failures { get; } = new();

        public ConcurrentDictionary<string, int> Seen { get; } = new(StringComparer.Ordinal);

        /// <summary>Sends cases <paramref name="from"/> to <paramref name="to"/> - 1 from <paramref name="workers"/> workers; returns how many were sent.</summary>
        public async Task<int> RunAsync(int from, int to, int workers, SseFuzzBudget budget)
        {
            var next = from - 1;
            var sent = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < to && budget.Continues(clock.Elapsed, Volatile.Read(ref sent)) && Failures.Count < 50)
                {
                    await SendAsync(index);
                    Interlocked.Increment(ref sent);
                }
            })));
            return sent;
        }

        private async Task SendAsync(int index)
        {
            var seq = host.Broadcaster.CurrentPosition.Sequence;
            var c = generator.Generate(index, seq);
            var uri = new Uri(host.BaseAddress, c.PathAndQuery);
            var expected = SseQueryOracle.Expect(uri.PathAndQuery, c.LastEventId, generator.Epoch, seq);
            Count("input." + c.Category);
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (c.LastEventId is not null)
            {
                request.Headers.TryAddWithoutValidation("Last-Event-ID", c.LastEventId);
            }

            using var cts = new CancellationTokenSource(RequestTimeout);
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
                var status = (int)response.StatusCode;
                var problem = await CheckAsync(response, expected, cts.Token);
                Count(problem is null ? "answer." + Describe(status, expected) : "answer.unexpected");
                Count("latencyMs." + status.ToString(CultureInfo.InvariantCulture), (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (problem is not null)
                {
                    Failures.Enqueue($"seed {seed} {c}: expected {expected}, got {status}: {problem}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                Count("answer.failed");
                Failures.Enqueue($"seed {seed} {c}: expected {expected}, the request failed: {e.GetType().Name}: {e.Message}");
            }
        }

        private static string Describe(int status, SseExpectation expected) =>
            expected.Code is null ? status.ToString(CultureInfo.InvariantCulture) : $"{status} {expected.Code}";

        private static async Task<string?> CheckAsync(HttpResponseMessage response, SseExpectation expected, CancellationToken token)
        {
            var status = (int)response.StatusCode;
            if (expected.Status is 414 or 431)
            {
                return status == expected.Status ? null : $"not Kestrel's {expected.Status}";
            }

            if (status != expected.Status)
            {
                return status == 200 ? "a stream" : "wrong status; body: " + Shorten(await ReadSomeAsync(response, token));
            }

            if (status != 200)
            {
                var text = await ReadSomeAsync(response, token);
                if (response.Content.Headers.ContentType?.MediaType != "application/json")
                {
                    return "not a JSON body: " + Shorten(text);
                }

                var body = JsonDocument.Parse(text).RootElement;
                return body.GetProperty("status").GetInt32() == status
                    && body.GetProperty("code").GetString() == expected.Code
                    && body.GetProperty("message").GetString() is { Length: > 0 }
                    ? null
                    : "wrong body: " + Shorten(text);
            }

            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                return "not text/event-stream";
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(token), Encoding.UTF8);
            var (name, data) = await ReadEventAsync(reader, token);
            if (name != "subscribed" || data is null)
            {
                return $"the stream did not start with 'subscribed' but '{name}': {data}";
            }

            var subscribed = JsonDocument.Parse(data).RootElement;
            var resume = subscribed.GetProperty("resume");
            var resumeText = resume.ValueKind == JsonValueKind.Null ? null : resume.GetString();
            var ok = subscribed.GetProperty("op").GetString() == "subscribed"
                && subscribed.GetProperty("id").GetString() == expected.Id
                && expected.Resumes.Contains(resumeText)
                && (expected.Position is null || subscribed.GetProperty("position").GetString() == expected.Position)
                && subscribed.TryGetProperty("snapshots", out _) == expected.Snapshot;
            return ok ? null : "wrong subscribed: " + Shorten(data);
        }

        private static async Task<string> ReadSomeAsync(HttpResponseMessage response, CancellationToken token)
        {
            // The server's messages echo what was wrong, so a body is as long as the query at most.
            return await response.Content.ReadAsStringAsync(token);
        }

        private static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;

        private void Count(string key, int by = 1) => Seen.AddOrUpdate(key, by, (_, n) => n + by);
    }

    /// <summary>Serves <c>snap/**</c>: an empty state at the log's current position.</summary>
    private sealed class PositionSnapshotProvider(IEventBroadcaster broadcaster) : ISnapshotProvider
    {
        public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new EventSnapshot(topic, EventData.FromJson("{}"), broadcaster.CurrentPosition));
    }

    /// <summary>Fails every snapshot of <c>snapfail/**</c>.</summary>
    private sealed class FailingSnapshotProvider : ISnapshotProvider
    {
        public ValueTask<EventSnapshot> GetSnapshotAsync(string topic, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The fuzzer's failing snapshot provider.");
    }
}
