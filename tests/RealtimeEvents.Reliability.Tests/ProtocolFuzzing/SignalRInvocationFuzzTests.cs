using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.SignalR.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// Issue 9, protocol fuzzing of the SignalR hub: seeded hub invocations with bad arguments, wrong argument counts, unknown
/// methods, stream and non-blocking invocations, and records SignalR cannot read, over the JSON hub protocol. Each gets
/// the answer docs/protocol.md ("SignalR") promises: the documented <c>error</c> code as a hub message and as the
/// invocation's result, SignalR's own completion error, or the close after <c>MaxProtocolViolations</c>; every session
/// that ends reconnects. Meanwhile the WebSocket control group and one well-behaved SignalR client get every event in
/// order; afterwards no connection is left behind, memory is back, and a new client works.
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public sealed class SignalRInvocationFuzzTests(ITestOutputHelper output)
{
    private const string HubPath = "/realtime/hub";
    private const int MaxViolations = 10;
    private const int MaxSubscriptions = 8;
    private const int Burst = 40;
    private const int WarmUpSessions = 40;
    private const long MaxManagedGrowthBytes = 32L * 1024 * 1024;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task FuzzedHubInvocations_GetTheDocumentedAnswer_AndHarmNoOne()
    {
        var seed = ReliabilityRun.Seed;
        output.WriteLine(ReliabilityRun.Describe(seed));

        // CI: 20,000 invocations (about 20 s here); long mode: 1,000,000 (about 16 min). All of them, or the test fails at
        // the hard limit.
        var target = ReliabilityRun.IsLong ? 1_000_000 : 20_000;
        var hardLimit = ReliabilityRun.IsLong ? TimeSpan.FromMinutes(30) : TimeSpan.FromSeconds(240);
        var budget = new SseFuzzBudget(hardLimit, Minimum: target, HardLimit: hardLimit);

        await using var host = await TestHost.StartAsync(
            transport: o =>
            {
                o.MaxProtocolViolations = MaxViolations;
                o.MaxSubscriptionsPerConnection = MaxSubscriptions;
            },
            map: app =>
            {
                app.MapRealtimeEvents("/realtime");
                app.MapRealtimeEventsHub(HubPath);
            },
            core: o => o.History.MaxEvents = FullHistory.Events,
            realtime: events => events.AddSignalR());
        await FullHistory.FillAsync(host);
        var hubUri = new Uri(host.WebSocketUri().ToString().Replace("/realtime/ws", HubPath, StringComparison.Ordinal));
        var run = new Run(seed, hubUri, host.Broadcaster.CurrentPosition.Epoch);

        // The well-behaved SignalR client subscribes before the control stream starts, so it must get all of it.
        await using var wellBehaved = await SignalRControlSubscriber.StartAsync(hubUri);
        await using var control = await ControlGroup.StartAsync(host);
        var baseline = host.Connections.Connections.Count;

        await run.RunAsync(0, WarmUpSessions, workers: 4, budget with { Minimum = 0, Target = TimeSpan.Zero }, inputsWanted: int.MaxValue);
        var before = ProcessProbe.Read();
        var clock = Stopwatch.StartNew();
        var inputsBefore = run.Inputs;
        await run.RunAsync(WarmUpSessions, int.MaxValue, workers: 6, budget, inputsWanted: target);
        clock.Stop();
        var inputs = run.Inputs - inputsBefore;

        var controlResult = await control.StopAndVerifyAsync();
        await wellBehaved.VerifyAsync(controlResult.Published, TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() => host.Connections.Connections.Count == baseline, TimeSpan.FromSeconds(15));
        var leftOver = host.Connections.Connections.Count - baseline;
        var after = ProcessProbe.Read();

        // A new client still works: it subscribes and gets an event.
        await using (var fresh = await SignalRProtocolClient.ConnectAsync(hubUri))
        {
            Assert.Equal("subscribed", (await fresh.SubscribeAsync("after", topics: ["fuzz/after"])).GetProperty("op").GetString());
            await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "fuzz/after")).WithTimeout();
            Assert.Single(await fresh.ReceiveEventsAsync("after", 1));
        }

        output.WriteLine(FormattableString.Invariant($"figure: signalr.invocations={inputs} in {clock.Elapsed.TotalSeconds:F1} s ({inputs / clock.Elapsed.TotalSeconds:F0}/s), after {inputsBefore} warm-up"));
        foreach (var (key, count) in run.Seen.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            output.WriteLine(FormattableString.Invariant($"figure: signalr.{key}={count}"));
        }

        output.WriteLine(FormattableString.Invariant($"figure: signalr.control websocket clients={controlResult.Clients} events={controlResult.Published} checked={controlResult.Delivered}; signalr client checked={wellBehaved.Received}"));
        output.WriteLine($"figure: signalr.memory.before={before}");
        output.WriteLine($"figure: signalr.memory.after={after}");
        output.WriteLine(FormattableString.Invariant($"figure: signalr.memory.managedGrowth={(after.ManagedBytes - before.ManagedBytes) / 1024.0 / 1024.0:F1} MiB"));

        Assert.True(run.Failures.IsEmpty, $"seed {seed}: {run.Failures.Count} inputs did not get the documented answer:\n{string.Join("\n", run.Failures.Take(20))}");
        Assert.True(inputs >= budget.Minimum, $"seed {seed}: only {inputs} invocations fit the hard limit of {budget.HardLimit}.");
        Assert.True(leftOver == 0, $"seed {seed}: {leftOver} connections were still registered after their clients left.");
        Assert.True(after.ManagedBytes - before.ManagedBytes < MaxManagedGrowthBytes,
            $"seed {seed}: the managed heap grew from {before} to {after}, more than {MaxManagedGrowthBytes / 1024 / 1024} MiB.");
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

    /// <summary>The sessions of one run: each is one connection that sends fuzzed records until it is closed or done.</summary>
    private sealed class Run(int seed, Uri hubUri, string epoch)
    {
        private readonly ConcurrentDictionary<int, string> _last = new();
        private long _inputs;

        public ConcurrentQueue<string> Failures { get; } = new();

        public ConcurrentDictionary<string, int> Seen { get; } = new(StringComparer.Ordinal);

        public long Inputs => Interlocked.Read(ref _inputs);

        public async Task RunAsync(int fromSession, int toSession, int workers, SseFuzzBudget budget, long inputsWanted)
        {
            var next = fromSession - 1;
            var start = Inputs;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
            {
                int session;
                while ((session = Interlocked.Increment(ref next)) < toSession && Inputs - start < inputsWanted
                    && (budget.Continues(clock.Elapsed, (int)Math.Min(int.MaxValue, Inputs - start)) || session < WarmUpSessions) && Failures.Count < 50)
                {
                    try
                    {
                        await SessionAsync(session);
                    }
                    catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                    {
                        Failures.Enqueue($"seed {seed} session {session} (last input {_last.GetValueOrDefault(session)}): {e.GetType().Name}: {Shorten(e.Message)}");
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        Failures.Enqueue($"seed {seed} session {session}: {e.GetType().Name}: {e.Message}");
                    }
                }
            })));
        }

        private async Task SessionAsync(int session)
        {
            var random = new Random(unchecked((seed * 7919) + session));
            var generator = new SignalRInvocationGenerator(epoch, "k" + session.ToString(CultureInfo.InvariantCulture) + "-");
            await using var client = await SignalRProtocolClient.ConnectAsync(hubUri).WithTimeout(Step);
            Count(session < WarmUpSessions ? "connects.warm-up" : "connects");
            if (random.Next(25) == 0)
            {
                await RateFloodAsync(session, client);
                return;
            }

            var subscriptions = new List<string>();
            var violations = 0;
            var tokens = 0;
            for (var i = random.Next(5, 36); i > 0 && tokens < Burst - 2; i--)
            {
                var input = generator.Next(random, subscriptions, allowMalformed: true);
                Interlocked.Increment(ref _inputs);
                Count("input." + input.Category);
                _last[session] = input.ToString();
                var mark = client.Log.Count;
                await client.SendRawAsync(input.Record);
                var where = $"seed {seed} session {session} {input}";
                switch (input.Answer)
                {
                    case SignalRAnswer.ConnectionEnds:
                    {
                        var end = await client.ReceiveUntilClosedAsync(Step);
                        Count($"close.{input.Category}: {Describe(end)}");
                        if (!IsSignalRReadFailure(end))
                        {
                            Failures.Enqueue($"{where}: expected SignalR to close with an error, got {Describe(end)}");
                        }

                        return;
                    }

                    case SignalRAnswer.PartlyRead:
                    {
                        // SignalR skips what it does not know; a probe shows that the connection goes on and what ran.
                        tokens += 2;
                        var probe = "p" + i.ToString(CultureInfo.InvariantCulture);
                        await client.SendRawAsync(SignalRInvocationGenerator.Invocation(probe, "Unsubscribe", "[\"~probe\"]"));
                        await client.WaitForCompletionAsync(probe, Step);
                        var ids = RepliesSince(client, mark).Select(r => r.GetString("id")).ToList();
                        string?[] expected = input.ReplyId is null ? ["~probe"] : [input.ReplyId, "~probe"];
                        Count($"answer.{input.Category}: replies to [{string.Join(",", ids)}]");
                        if (!ids.SequenceEqual(expected))
                        {
                            Failures.Enqueue($"{where}: expected replies to [{string.Join(",", expected)}], got [{string.Join(", ", RepliesSince(client, mark))}]");
                        }

                        continue;
                    }

                    case SignalRAnswer.Wedged:
                    {
                        // Nothing after the record is answered, and the connection stays open: a probe waits a second
                        // in vain (SignalR's behaviour, not the adapter's); then the client leaves and the server must
                        // release the connection (checked at the end of the run).
                        await client.SendRawAsync(SignalRInvocationGenerator.Invocation("w", "Unsubscribe", "[\"~probe\"]"));
                        var answered = await Record.ExceptionAsync(() => client.WaitForCompletionAsync("w", TimeSpan.FromSeconds(1))) is null;
                        Count($"answer.{input.Category}: {(answered ? "answered" : "nothing answered, still open")}");
                        if (answered || client.Close is not null)
                        {
                            Failures.Enqueue($"{where}: expected SignalR to stop answering without closing; answered {answered}, close {client.Close}");
                        }

                        return;
                    }

                    case SignalRAnswer.HubError:
                    {
                        var completion = await client.WaitForCompletionAsync(input.InvocationId!, Step);
                        var replies = RepliesSince(client, mark);
                        Count("answer.signalr-error");
                        if (completion.Error is null || !IsSignalRError(input, completion.Error) || replies.Count > 0)
                        {
                            Failures.Enqueue($"{where}: expected SignalR's own completion error, got {completion} and hub messages [{string.Join(", ", replies)}]");
                        }

                        continue;
                    }

                    default:
                        break;
                }

                // A hub method ran. Work out the documented reply from the connection's state.
                tokens++;
                var (op, code) = Expected(input, subscriptions);
                if (input.IsViolation)
                {
                    violations++;
                }

                Count("answer." + (code ?? op));
                if (violations > MaxViolations)
                {
                    // The violation over the limit: its error goes out as a hub message, then SignalR's close. The
                    // invocation usually gets no result; when its completion wins the race with the abort, it carries
                    // the same error.
                    var end = await client.ReceiveUntilClosedAsync(Step);
                    var replies = RepliesSince(client, mark);
                    var completion = client.Log.Skip(mark).OfType<CompletionMessage>().SingleOrDefault(c => c.InvocationId == input.InvocationId);
                    Count($"close.violations: {Describe(end)}");
                    Count("close.violations.completed=" + (completion is not null).ToString(CultureInfo.InvariantCulture));
                    if (replies.Count != 1 || !Matches(replies[0].Argument, op, code, input.ReplyId) || !IsViolationClose(end)
                        || completion is not null && (completion.Error is not null || !JsonElement.DeepEquals(completion.Result, replies[0].Argument)))
                    {
                        Failures.Enqueue($"{where}: expected error {code} then the violations close, got [{string.Join(", ", replies)}], completion {completion}, {Describe(end)}");
                    }

                    return;
                }

                if (input.InvocationId is not null)
                {
                    var completion = await client.WaitForCompletionAsync(input.InvocationId, Step);
                    var replies = RepliesSince(client, mark);
                    if (completion.Error is not null || !Matches(completion.Result, op, code, input.ReplyId)
                        || replies.Count != 1 || !JsonElement.DeepEquals(replies[0].Argument, completion.Result) || replies[0].Sequence > completion.Sequence)
                    {
                        Failures.Enqueue($"{where}: expected {code ?? op}, got {completion} and hub messages [{string.Join(", ", replies)}]");
                    }
                }
                else
                {
                    // No invocation id, no completion: the reply comes as a hub message only, before the answer to a probe.
                    tokens++;
                    var probe = "p" + i.ToString(CultureInfo.InvariantCulture);
                    await client.SendRawAsync(SignalRInvocationGenerator.Invocation(probe, "Unsubscribe", "[\"~probe\"]"));
                    var completion = await client.WaitForCompletionAsync(probe, Step);
                    var replies = RepliesSince(client, mark);
                    if (replies.Count != 2 || !Matches(replies[0].Argument, op, code, input.ReplyId)
                        || !Matches(replies[1].Argument, "error", "unknown_subscription", "~probe") || completion.Error is not null
                        || client.Log.Skip(mark).OfType<CompletionMessage>().Count() != 1)
                    {
                        Failures.Enqueue($"{where}: expected {code ?? op} as a hub message only, got [{string.Join(", ", replies)}]");
                    }
                }
            }

            Count("sessions.completed");
        }

        /// <summary>
        /// 120 <c>Unsubscribe</c> invocations in one frame: the burst of 40 is served, then <c>rate_limited</c> (a violation)
        /// until the close; the count leaves room for refills while a starved machine works through them.
        /// </summary>
        private async Task RateFloodAsync(int session, SignalRProtocolClient client)
        {
            const int count = 120;
            var records = new StringBuilder();
            for (var i = 0; i < count; i++)
            {
                records.Append(SignalRInvocationGenerator.Invocation("r" + i.ToString(CultureInfo.InvariantCulture), "Unsubscribe", "[\"nope\"]"));
            }

            Interlocked.Add(ref _inputs, count);
            Count("input.rate-flood");
            await client.SendRawAsync(records.ToString());
            var end = await client.ReceiveUntilClosedAsync(Step);
            var replies = RepliesSince(client, 0).Where(r => r.Target == "error").Select(r => r.GetString("code")).ToList();
            var limited = replies.Count(c => c == "rate_limited");
            Count($"close.rate-flood: {Describe(end)}");
            Count("answer.rate_limited", limited);
            if (replies.Take(Burst).Any(c => c != "unknown_subscription") || limited != MaxViolations + 1
                || replies.Skip(Burst).Any(c => c is not ("unknown_subscription" or "rate_limited")) || !IsViolationClose(end))
            {
                Failures.Enqueue($"seed {seed} session {session} rate flood: expected {Burst} unknown_subscription, then {MaxViolations + 1} rate_limited and the violations close; got [{string.Join(",", replies)}], {Describe(end)}");
            }
        }

        private static (string Op, string? Code) Expected(SignalRFuzzInput input, List<string> subscriptions)
        {
            if (input.Code is not null)
            {
                return ("error", input.Code);
            }

            var id = input.ReplyId!;
            if (input.Method == "Unsubscribe")
            {
                return subscriptions.Remove(id) ? ("unsubscribed", null) : ("error", "unknown_subscription");
            }

            var code = subscriptions.Contains(id) ? "duplicate_subscription"
                : subscriptions.Count >= MaxSubscriptions ? "too_many_subscriptions"
                : input.FilterCode;
            if (code is null)
            {
                subscriptions.Add(id);
                return ("subscribed", null);
            }

            return ("error", code);
        }

        private static bool Matches(JsonElement reply, string op, string? code, string? id) =>
            reply.ValueKind == JsonValueKind.Object
            && reply.GetProperty("op").GetString() == op
            && (code is null || reply.GetProperty("code").GetString() == code && reply.GetProperty("message").GetString() is { Length: > 0 })
            && (reply.TryGetProperty("id", out var replyId) ? replyId.GetString() : null) == id;

        /// <summary>The hub messages that are replies (not data) received since <paramref name="mark"/>.</summary>
        private static List<HubMessage> RepliesSince(SignalRProtocolClient client, int mark) =>
            [.. client.Log.Skip(mark).OfType<HubMessage>().Where(m => m.Target is "error" or "subscribed" or "unsubscribed")];

        /// <summary>SignalR's own completion errors (its texts, as the server sends them without detailed errors).</summary>
        private static bool IsSignalRError(SignalRFuzzInput input, string error) => input.Category switch
        {
            "stream-invocation" => error == $"The client attempted to invoke the non-streaming '{input.Method}' method with a streaming invocation.",
            "unknown-method" => error == $"Failed to invoke '{input.Method}' due to an error on the server. HubException: Method does not exist.",
            _ => error == $"Failed to invoke '{input.Method}' due to an error on the server.", // a wrong argument count
        };

        /// <summary>A record SignalR cannot parse: its generic close, reconnect allowed.</summary>
        private static bool IsSignalRReadFailure(ConnectionEnd end) => end.Close is { Error: "Connection closed with an error.", AllowReconnect: true };

        /// <summary>The adapter aborts the connection: SignalR's close message with no error and reconnect not allowed (the field absent).</summary>
        private static bool IsViolationClose(ConnectionEnd end) => end.Close is { Error: null, AllowReconnect: null };

        private static string Describe(ConnectionEnd end) =>
            end.Close is null ? $"no close message (WebSocket {end.Status})" : $"close error '{end.Close.Error}' allowReconnect {end.Close.AllowReconnect?.ToString() ?? "absent"}";

        private static string Shorten(string text) => text.Length > 600 ? text[..600] + "..." : text;

        private void Count(string key, int by = 1) => Seen.AddOrUpdate(key, by, (_, n) => n + by);
    }
}
