using System.Diagnostics;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>
/// All the clients of the process: connects them with bounded concurrency, keeps SignalR connections alive, and
/// answers the commands (<c>reset</c>, <c>report</c>, <c>count</c>, <c>wait</c>, <c>stall</c>) over the connected ones.
/// </summary>
internal sealed class ClientFleet
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    // SignalR's server drops a client it has heard nothing from for 30 s (ClientTimeoutInterval).
    private static readonly TimeSpan SignalRPingInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan WaitPollInterval = TimeSpan.FromMilliseconds(2);

    private readonly ClientContext _context;
    private readonly LoadClient?[] _clients;
    private int _connected;
    private int _failed;
    private string? _firstError;

    public ClientFleet(ClientContext context, int count)
    {
        _context = context;
        _clients = new LoadClient?[count];
    }

    /// <summary>Connects every client, at most <paramref name="concurrency"/> at a time, without retries.</summary>
    public async Task<ClientReply> ConnectAllAsync(int concurrency)
    {
        if (_context.Scenario is Scenario.RealtimeSignalR or Scenario.PlainSignalR)
        {
            _ = PingSignalRAsync();
        }

        var started = Stopwatch.GetTimestamp();
        using var slots = new SemaphoreSlim(concurrency);
        var attempts = new Task[_clients.Length];
        for (var i = 0; i < _clients.Length; i++)
        {
            await slots.WaitAsync(_context.ShuttingDown);
            var client = Create(i);
            _clients[i] = client;
            attempts[i] = ConnectOneAsync(client, slots);
        }

        await Task.WhenAll(attempts);
        Console.Error.WriteLine(
            $"clients: {_connected} connected, {_failed} failed in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s" +
            (_firstError is null ? string.Empty : $"; first error: {_firstError}"));
        return new ClientReply("ready", Connected: _connected, Failed: _failed, FirstError: _firstError);
    }

    public void Reset()
    {
        foreach (var client in Connected())
        {
            client.Stats.Reset();
        }
    }

    /// <summary>Sums over the reading clients; stalled ones are counted apart.</summary>
    public ClientReply Report()
    {
        var totals = new ReportTotals();
        int readers = 0, stalled = 0, disconnected = 0;
        long stalledReceived = 0, lastNMin = long.MaxValue;
        foreach (var client in Connected())
        {
            if (client.IsDisconnected)
            {
                disconnected++;
            }

            if (client.IsStalled)
            {
                stalled++;
                stalledReceived += client.Stats.Received;
                continue;
            }

            readers++;
            client.Stats.AddTo(totals);
            if (!client.IsDisconnected)
            {
                lastNMin = Math.Min(lastNMin, client.Stats.LastN);
            }
        }

        return new ClientReply(
            "report",
            Received: totals.Received,
            PerClientMin: readers == 0 ? 0 : totals.PerClientMin,
            PerClientMax: totals.PerClientMax,
            Missing: totals.Missing,
            Duplicates: totals.Duplicates,
            OverflowNotices: totals.OverflowNotices,
            DroppedAnnounced: totals.DroppedAnnounced,
            Disconnected: disconnected,
            LastNMin: lastNMin == long.MaxValue ? 0 : lastNMin,
            Stalled: stalled,
            StalledReceived: stalledReceived,
            Latency: LatencyHistogram.Summarize(totals.Buckets, totals.MaxUs));
    }

    /// <summary>The reading clients' received total only (no latency merge): cheap enough to ask for every second during a run.</summary>
    public ClientReply Count()
    {
        long received = 0;
        foreach (var client in Connected())
        {
            if (!client.IsStalled)
            {
                received += client.Stats.Received;
            }
        }

        return new ClientReply("count", Received: received);
    }

    /// <summary>Waits until every reading, connected client has seen <paramref name="expectedLastN"/>, or the timeout.</summary>
    public async Task<ClientReply> WaitAsync(long expectedLastN, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var done = true;
            foreach (var client in Connected())
            {
                if (!client.IsStalled && !client.IsDisconnected && client.Stats.LastN < expectedLastN)
                {
                    done = false;
                    break;
                }
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            if (done || elapsed >= timeout)
            {
                return new ClientReply("waited", Ok: done, ElapsedMs: elapsed.TotalMilliseconds);
            }

            await Task.Delay(WaitPollInterval);
        }
    }

    /// <summary>
    /// The first <paramref name="count"/> connected clients stop reading (for good): the stall candidates first. A stall
    /// candidate the server dropped before (a hand-rolled send cancelled by an overloaded step's deadline aborts its
    /// socket, and the small-buffer client is the one such a send most often waits on) is connected again first, so the
    /// stalled client is always one with the small buffers; a dropped client is never "stalled".
    /// </summary>
    public async Task<ClientReply> StallAsync(int count)
    {
        var stalled = 0;
        var notes = new List<string>();
        for (var i = 0; i < _clients.Length && stalled < count; i++)
        {
            if (_clients[i] is not { } client || client.IsStalled)
            {
                continue;
            }

            var alive = client.IsConnected && !client.IsDisconnected;
            if (!alive && i < _context.StallCandidates)
            {
                var fresh = Create(i);
                var error = await fresh.ConnectAsync(ConnectTimeout);
                if (error is not null)
                {
                    notes.Add($"stall candidate {i} was disconnected and could not connect again: {error}");
                    continue;
                }

                _clients[i] = client = fresh;
                alive = true;
                notes.Add($"stall candidate {i} had been disconnected by the server; connected it again");
            }

            if (alive)
            {
                if (i >= _context.StallCandidates)
                {
                    notes.Add($"client {i} is not a stall candidate (its buffers autotune)");
                }

                client.Stall();
                stalled++;
            }
        }

        var disconnected = Connected().Count(c => c.IsDisconnected);
        var message = notes.Count == 0 ? null : string.Join("; ", notes);
        if (message is not null)
        {
            Console.Error.WriteLine($"clients: stall: {message}");
        }

        return new ClientReply("ok", Stalled: stalled, Disconnected: disconnected, Message: message);
    }

    private LoadClient Create(int index) =>
        _context.Scenario == Scenario.RealtimeSse ? new SseLoadClient(index, _context) : new WebSocketLoadClient(index, _context);

    public void AbortAll()
    {
        _context.Shutdown();
        foreach (var client in _clients)
        {
            client?.Abort();
        }
    }

    private IEnumerable<LoadClient> Connected()
    {
        foreach (var client in _clients)
        {
            if (client is { IsConnected: true })
            {
                yield return client;
            }
        }
    }

    private async Task ConnectOneAsync(LoadClient client, SemaphoreSlim slots)
    {
        try
        {
            var error = await client.ConnectAsync(ConnectTimeout);
            if (error is null)
            {
                Interlocked.Increment(ref _connected);
            }
            else
            {
                Interlocked.Increment(ref _failed);
                Interlocked.CompareExchange(ref _firstError, error, null);
            }
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>One timer for the process: a SignalR ping on every connection, stalled ones included.</summary>
    private async Task PingSignalRAsync()
    {
        using var timer = new PeriodicTimer(SignalRPingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_context.ShuttingDown))
            {
                foreach (var client in _clients)
                {
                    if (client is WebSocketLoadClient { IsSignalR: true } socket)
                    {
                        _ = socket.TrySendPingAsync();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
