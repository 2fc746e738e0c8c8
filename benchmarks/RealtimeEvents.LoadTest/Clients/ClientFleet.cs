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
    private volatile LoadClient[] _stallClients = []; // extra connections made by `stall`, replaced (not changed) on add
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
    /// Connects <paramref name="count"/> more clients and stops them reading (for good). They are extra connections from
    /// 127.0.0.254 (<see cref="StallSource"/>) with an 8 KiB socket receive buffer (no autotuning), and the server gives
    /// connections from that address a 16 KiB send buffer (it would grow to tcp_wmem's max, about 4 MB): the kernel's
    /// buffers on both ends fill after some tens of kilobytes and the server's own code sees the stall within seconds, the
    /// same in every scenario, while the measured clients keep ordinary buffers in every phase.
    /// </summary>
    public async Task<ClientReply> StallAsync(int count)
    {
        var stalled = 0;
        var notes = new List<string>();
        for (var k = 0; k < count; k++)
        {
            var client = Create(_clients.Length + _stallClients.Length);
            var error = await client.ConnectAsync(ConnectTimeout);
            if (error is not null)
            {
                notes.Add($"a client to stall could not connect: {error}");
                continue;
            }

            client.Stall();
            _stallClients = [.. _stallClients, client];
            stalled++;
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
        foreach (var client in All())
        {
            client.Abort();
        }
    }

    private IEnumerable<LoadClient> All()
    {
        foreach (var client in _clients)
        {
            if (client is not null)
            {
                yield return client;
            }
        }

        foreach (var client in _stallClients)
        {
            yield return client;
        }
    }

    private IEnumerable<LoadClient> Connected() => All().Where(c => c.IsConnected);

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
                foreach (var client in All())
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
