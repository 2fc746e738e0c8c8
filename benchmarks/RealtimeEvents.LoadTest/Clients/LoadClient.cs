namespace RealtimeEvents.LoadTest.Clients;

/// <summary>
/// One client connection: connects and subscribes, then reads until the connection ends, counting into
/// <see cref="Stats"/>. Subclasses implement one transport; this class keeps the lifecycle (connected, failed,
/// disconnected, stalled) the command loop reads.
/// </summary>
internal abstract class LoadClient
{
    private readonly TaskCompletionSource<string?> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stalled;
    private volatile bool _disconnected;

    protected LoadClient(int index, ClientContext context)
    {
        Index = index;
        Context = context;
    }

    public int Index { get; }

    public ReceiveStats Stats { get; } = new();

    /// <summary>Gets a value indicating whether the client subscribed (and so counts as a client).</summary>
    public bool IsConnected => _ready.Task.IsCompletedSuccessfully && _ready.Task.Result is null;

    /// <summary>Gets a value indicating whether the connection ended after it was connected.</summary>
    public bool IsDisconnected => _disconnected;

    public bool IsStalled => _stalled;

    protected ClientContext Context { get; }

    /// <summary>Starts the client and waits until it is subscribed; returns null then, or why it failed.</summary>
    public async Task<string?> ConnectAsync(TimeSpan timeout)
    {
        _ = RunGuardedAsync();
        try
        {
            return await _ready.Task.WaitAsync(timeout, Context.ShuttingDown);
        }
        catch (TimeoutException)
        {
            return GiveUp($"not subscribed within {timeout.TotalSeconds:0} s");
        }
        catch (OperationCanceledException)
        {
            return GiveUp("shutting down");
        }
    }

    /// <summary>Stops reading before the next receive; the connection stays open (and SignalR pings go on).</summary>
    public void Stall() => _stalled = true;

    /// <summary>Ends the connection at once, without a close handshake.</summary>
    public abstract void Abort();

    /// <summary>Connects, subscribes (calling <see cref="MarkConnected"/>) and reads until the connection ends.</summary>
    /// <returns>Why the connection ended (it throws when it failed).</returns>
    protected abstract Task<string> RunAsync();

    protected void MarkConnected() => _ready.TrySetResult(null);

    /// <summary>Ends the connect attempt with an error; the client then counts as failed.</summary>
    protected void MarkFailed(string error) => _ready.TrySetResult(error);

    /// <summary>Awaited before each receive: a stalled client waits here until shutdown.</summary>
    protected Task WaitWhileStalledAsync() => _stalled ? Context.StallForever : Task.CompletedTask;

    /// <summary>Fails the attempt, unless it succeeded at the same moment (then the client stays connected).</summary>
    private string? GiveUp(string reason)
    {
        if (_ready.TrySetResult(reason))
        {
            Abort();
        }

        return _ready.Task.Result;
    }

    private async Task RunGuardedAsync()
    {
        string reason;
        try
        {
            reason = await RunAsync();
        }
        catch (Exception exception)
        {
            reason = Describe(exception);
        }

        if (!_ready.TrySetResult(reason) && IsConnected)
        {
            _disconnected = true;
            Context.LogDisconnect(Index, reason);
        }

        Abort();
    }

    private static string Describe(Exception exception)
    {
        // The innermost message names the cause (for example "Too many open files" or "Connection refused").
        var message = exception.Message;
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            message = inner.Message;
        }

        return exception.InnerException is null || exception.Message.Contains(message, StringComparison.Ordinal)
            ? exception.Message
            : $"{exception.Message} ({message})";
    }
}
