using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// The server's own books beyond the stats endpoint: the <c>RealtimeEvents</c> meter's connection and subscription
/// up-down counters (what a dashboard would show) and dropped/conflated totals of this host, and the connection manager's
/// reserved connection slots. A slot or a counter that is taken and never given back is a leak as real as a connection
/// kept in the registry: enough of them and the node answers 503, or its dashboards lie.
/// </summary>
internal sealed class SoakServerCounts : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly TestHost _host;
    private long _connections;
    private long _subscriptions;
    private long _dropped;
    private long _conflated;

    public SoakServerCounts(TestHost host)
    {
        _host = host;
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // This host's meters only (its IMeterFactory is their scope), and only the counts the soak reads.
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name is "realtime_events.connections" or "realtime_events.subscriptions"
                or "realtime_events.dropped" or "realtime_events.conflated")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            switch (instrument.Name)
            {
                case "realtime_events.connections":
                    Interlocked.Add(ref _connections, value);
                    break;
                case "realtime_events.subscriptions":
                    Interlocked.Add(ref _subscriptions, value);
                    break;
                case "realtime_events.dropped":
                    Interlocked.Add(ref _dropped, value);
                    break;
                default:
                    Interlocked.Add(ref _conflated, value);
                    break;
            }
        });
        _listener.Start();
    }

    /// <summary>Gets the connections the meter counts now (since the listener started).</summary>
    public long MeteredConnections => Interlocked.Read(ref _connections);

    /// <summary>Gets the subscriptions the meter counts now (since the listener started).</summary>
    public long MeteredSubscriptions => Interlocked.Read(ref _subscriptions);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Conflated => Interlocked.Read(ref _conflated);

    /// <summary>Gets the connection slots taken now (a slot is taken before the upgrade and given back when the request ends).</summary>
    public int ReservedSlots => _host.Connections.ReservedSlots;

    public void Dispose() => _listener.Dispose();
}
