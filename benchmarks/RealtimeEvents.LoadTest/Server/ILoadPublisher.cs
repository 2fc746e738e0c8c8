namespace RealtimeEvents.LoadTest.Server;

/// <summary>Publishes one load event the way the scenario under test does it.</summary>
internal interface ILoadPublisher
{
    /// <summary>
    /// Gets a value indicating whether the run may keep a publish that did not complete at once in flight while it
    /// publishes the next (a broker-backed RealtimeEvents log); otherwise each publish is awaited before the next, as a
    /// user of the baseline writes it.
    /// </summary>
    bool Pipelined { get; }

    /// <summary>Gets the size of the last event sent, in bytes of JSON, or 0 when none was sent yet.</summary>
    int LastEventJsonBytes { get; }

    /// <summary>Publishes event <paramref name="n"/>, due at <paramref name="dueTimestamp"/> (Stopwatch ticks).</summary>
    ValueTask PublishAsync(long n, long dueTimestamp, CancellationToken cancellationToken);
}
