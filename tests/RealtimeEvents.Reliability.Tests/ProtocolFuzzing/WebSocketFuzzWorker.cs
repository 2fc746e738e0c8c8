using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using RealtimeEvents.AspNetCore;
using RealtimeEvents.AspNetCore.Tests.Support;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>What the fuzz workers counted, shared between them.</summary>
internal sealed class WebSocketFuzzStats
{
    private readonly long[] _byCategory = new long[Enum.GetValues<WebSocketFuzzCategory>().Length];
    private long _inputs;
    private long _reconnects;
    private long _rateAmbiguous;
    private long _pongFrames;
    private long _dataMessages;

    public long Inputs => Interlocked.Read(ref _inputs);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public long RateAmbiguous => Interlocked.Read(ref _rateAmbiguous);

    public long PongFrames => Interlocked.Read(ref _pongFrames);

    public long DataMessages => Interlocked.Read(ref _dataMessages);

    public ConcurrentDictionary<string, long> Closes { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Gets the replies judged, by op and error code.</summary>
    public ConcurrentDictionary<string, long> Replies { get; } = new(StringComparer.Ordinal);

    public void Replied(ExpectedReply reply) => Replies.AddOrUpdate(reply.Code ?? reply.Op, 1, (_, n) => n + 1);

    public long InCategory(WebSocketFuzzCategory category) => Interlocked.Read(ref _byCategory[(int)category]);

    public void Judged(WebSocketFuzzCategory category)
    {
        Interlocked.Increment(ref _byCategory[(int)category]);
        Interlocked.Increment(ref _inputs);
    }

    public void Closed(ServerEnd end) => Closes.AddOrUpdate(end.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "abort", 1, (_, n) => n + 1);

    public void Reconnected() => Interlocked.Increment(ref _reconnects);

    public void Add(long rateAmbiguous, long pongFrames, long dataMessages)
    {
        Interlocked.Add(ref _rateAmbiguous, rateAmbiguous);
        Interlocked.Add(ref _pongFrames, pongFrames);
        Interlocked.Add(ref _dataMessages, dataMessages);
    }
}

/// <summary>
/// One fuzz connection at a time: sends the generator's inputs in pipelined batches (a batch ends at the first input
/// that may close the connection or whose answer depends on timing; frame-level garbage goes alone, after every earlier
/// reply arrived), judges every answer against the oracle in order, and after a documented close opens a new connection
/// and goes on. The first wrong answer is recorded and ends the worker.
/// </summary>
internal sealed class WebSocketFuzzWorker(TestHost host, RealtimeEventsTransportOptions options, int seed, string name, WebSocketFuzzStats stats)
{
    private const int MaxBatch = 32;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);
    private readonly Dictionary<string, int> _pongsDue = new(StringComparer.Ordinal);
    private WebSocketFuzzConnection? _connection;
    private WebSocketConnectionOracle? _oracle;
    private int _pongsDueCount;
    private long _pongsReceived;
    private string? _judging;

    public async Task RunAsync(Func<bool> more)
    {
        var random = new Random(seed);
        var generator = new WebSocketFuzzGenerator(random, options.MaxMessageBytes, options.MaxProtocolViolations);
        var pending = new Queue<WebSocketFuzzInput>();
        try
        {
            while (more())
            {
                if (_connection is null)
                {
                    var age = Stopwatch.StartNew();
                    using var connecting = new CancellationTokenSource(AnswerTimeout);
                    _connection = await WebSocketFuzzConnection.ConnectAsync(host, random, connecting.Token);
                    _oracle = new WebSocketConnectionOracle(options, age);
                }

                var batch = new List<(WebSocketFuzzInput Input, IReadOnlyList<Outcome> Outcomes)>();
                while (batch.Count < MaxBatch)
                {
                    if (pending.Count == 0)
                    {
                        foreach (var input in generator.Next(_oracle!))
                        {
                            pending.Enqueue(input);
                        }
                    }

                    if (pending.Peek().Kind == WebSocketFuzzKind.ProtocolFailure && batch.Count > 0)
                    {
                        break; // alone: the WebSocket layer's close may overtake replies still queued
                    }

                    var next = pending.Dequeue();
                    var outcomes = _oracle!.Expect(next);
                    batch.Add((next, outcomes));
                    if (outcomes.Count == 1)
                    {
                        outcomes[0].Apply(); // certain: later inputs of the batch are predicted on it
                    }

                    if (outcomes.Count > 1 || outcomes.Any(o => o.End is not null))
                    {
                        break;
                    }
                }

                foreach (var (input, outcomes) in batch)
                {
                    input.Write(_connection.Socket);
                    foreach (var payload in outcomes[0].PongFrames)
                    {
                        _pongsDue[Convert.ToHexString(payload)] = _pongsDue.GetValueOrDefault(Convert.ToHexString(payload)) + 1;
                        _pongsDueCount++;
                    }
                }

                using var timeout = new CancellationTokenSource(AnswerTimeout);
                await _connection.Socket.FlushAsync(timeout.Token);
                foreach (var (input, outcomes) in batch)
                {
                    _judging = $"{input.Category} input {input.Describe} (batch of {batch.Count}: {string.Join(", ", batch.Select(b => b.Input.Category))})";
                    if (!await JudgeAsync(input, outcomes, timeout.Token))
                    {
                        return;
                    }

                    stats.Judged(input.Category);
                    if (_connection is null)
                    {
                        break; // closed as documented: the rest of the sequence goes to a new connection
                    }
                }

                if (_connection is not null && !await AwaitPongsAsync(timeout.Token))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidDataException or JsonException)
        {
            Fail($"the connection failed: {e.GetType().Name}: {e.Message}, while judging {_judging}, {_pongsDueCount} pong frames due");
        }
        finally
        {
            await EndConnectionAsync();
        }
    }

    private async Task<bool> JudgeAsync(WebSocketFuzzInput input, IReadOnlyList<Outcome> outcomes, CancellationToken token)
    {
        var connection = _connection!;
        var expectsReply = outcomes[0].Reply is not null;
        Outcome? chosen = null;
        if (expectsReply)
        {
            var output = await ReadBesidesPongsAsync(token);
            if (output.Reply is not { } reply)
            {
                return Fail(input, outcomes, output.ToString());
            }

            var elapsed = _oracle!.Age.Elapsed;
            chosen = outcomes.FirstOrDefault(o => Matches(o.Reply!, reply) && (o.AllowedAfter is null || o.AllowedAfter(elapsed)));
            if (chosen is null)
            {
                return Fail(input, outcomes, $"{reply.GetRawText()} after {elapsed.TotalMilliseconds:F0} ms");
            }

            if (outcomes.Count > 1)
            {
                chosen.Apply();
            }

            stats.Replied(chosen.Reply!);
        }
        else
        {
            chosen = outcomes[0];
        }

        if (chosen.End is not { } expectedEnd)
        {
            return true;
        }

        var end = await ReadBesidesPongsAsync(token);
        if (end.End is not { } actual
            || ((actual.Status != expectedEnd.Status || actual.Description != expectedEnd.Description) && !(chosen.MayAbort && actual.Status is null)))
        {
            return Fail(input, outcomes, end.ToString());
        }

        if (_pongsDueCount > 0)
        {
            return Fail($"{_pongsDueCount} ping frames were never answered before the close; last input {input.Describe}");
        }

        if (!await connection.FinishCloseAsync(token))
        {
            return Fail($"the server did not drop the connection after {actual}");
        }

        stats.Closed(actual);
        stats.Reconnected();
        await EndConnectionAsync();
        return true;
    }

    /// <summary>Reads the next reply or end; pong frames on the way must be ones a ping of this connection asked for.</summary>
    private async Task<ServerOutput> ReadBesidesPongsAsync(CancellationToken token)
    {
        while (true)
        {
            var output = await ReadOneAsync(token);
            if (output.PongFrame is null)
            {
                return output;
            }
        }
    }

    /// <summary>Reads until every ping frame sent so far has its pong frame; nothing else may come meanwhile.</summary>
    private async Task<bool> AwaitPongsAsync(CancellationToken token)
    {
        while (_pongsDueCount > 0)
        {
            var output = await ReadOneAsync(token);
            if (output.PongFrame is null)
            {
                return Fail($"waiting for {_pongsDueCount} pong frames, got {output}");
            }
        }

        return true;
    }

    private async Task<ServerOutput> ReadOneAsync(CancellationToken token)
    {
        var output = await _connection!.ReadAsync(token);
        if (output.PongFrame is { } pong)
        {
            var key = Convert.ToHexString(pong);
            if (!_pongsDue.TryGetValue(key, out var count))
            {
                throw new InvalidDataException($"A pong frame nobody asked for: {key}.");
            }

            _pongsDueCount--;
            _pongsReceived++;
            if (count == 1)
            {
                _pongsDue.Remove(key);
            }
            else
            {
                _pongsDue[key] = count - 1;
            }
        }

        return output;
    }

    private static bool Matches(ExpectedReply expected, JsonElement reply) =>
        reply.GetProperty("op").GetString() == expected.Op
        && (expected.Code is null || (reply.TryGetProperty("code", out var code) && code.GetString() == expected.Code))
        && (reply.TryGetProperty("id", out var id) ? id.GetString() == expected.Id : expected.Id is null);

    private async Task EndConnectionAsync()
    {
        if (_connection is { } connection)
        {
            stats.Add(_oracle!.RateAmbiguous, _pongsReceived, connection.DataMessages);
            _pongsReceived = 0;
            _connection = null;
            _pongsDue.Clear();
            _pongsDueCount = 0;
            await connection.DisposeAsync();
        }
    }

    private bool Fail(WebSocketFuzzInput input, IReadOnlyList<Outcome> outcomes, string actual) =>
        Fail($"{input.Category} input {input.Describe} (violations so far {_oracle!.Violations}, subscriptions {_oracle.Subscriptions.Count}): "
            + $"expected {string.Join(" or ", outcomes.Select(o => $"{o.Reply?.ToString() ?? "no reply"}{(o.End is null ? string.Empty : ", then " + o.End)}"))}, got {actual}");

    private bool Fail(string failure)
    {
        stats.Failures.Enqueue($"worker {name} (seed {seed}): {failure}");
        return false;
    }
}
