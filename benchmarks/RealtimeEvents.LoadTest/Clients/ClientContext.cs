using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>What every client of the process shares: the target, the handlers per source address, and shutdown.</summary>
internal sealed class ClientContext : IDisposable
{
    private const int MaxLoggedDisconnects = 5;

    private readonly CancellationTokenSource _shutdown = new();
    private int _loggedDisconnects;

    public ClientContext(Scenario scenario, Uri baseUrl, int sourceAddresses, int regularClients)
    {
        Scenario = scenario;
        Target = new Uri(baseUrl, scenario.Path());
        Handlers = new SourceAddressHandlers(sourceAddresses, regularClients);
        StallForever = Task.Delay(Timeout.Infinite, _shutdown.Token);
    }

    public Scenario Scenario { get; }

    /// <summary>The scenario's endpoint (http:// form; WebSocket clients switch the scheme).</summary>
    public Uri Target { get; }

    public SourceAddressHandlers Handlers { get; }

    /// <summary>What a stalled client's receive loop awaits: it never completes, only fails at shutdown.</summary>
    public Task StallForever { get; }

    public CancellationToken ShuttingDown => _shutdown.Token;

    /// <summary>Logs the first few disconnects to standard error; a mass disconnect would flood it otherwise.</summary>
    public void LogDisconnect(int index, string reason)
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        var logged = Interlocked.Increment(ref _loggedDisconnects);
        if (logged <= MaxLoggedDisconnects)
        {
            Console.Error.WriteLine($"clients: client {index} disconnected: {reason}");
        }
        else if (logged == MaxLoggedDisconnects + 1)
        {
            Console.Error.WriteLine("clients: more disconnects (not logged; see report)");
        }
    }

    public void Shutdown() => _shutdown.Cancel();

    public void Dispose()
    {
        _shutdown.Dispose();
        Handlers.Dispose();
    }
}
