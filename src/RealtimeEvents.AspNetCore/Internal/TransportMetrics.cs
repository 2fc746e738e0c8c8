using System.Diagnostics.Metrics;

namespace RealtimeEvents.AspNetCore.Internal;

/// <summary>The transports' instruments, on the same <c>RealtimeEvents</c> meter as the core's.</summary>
internal sealed class TransportMetrics
{
    public TransportMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create("RealtimeEvents") ?? new Meter("RealtimeEvents");
        Connections = meter.CreateUpDownCounter<long>("realtime_events.connections", "{connection}",
            "Open WebSocket and SSE connections, by transport.");
        Rejected = meter.CreateCounter<long>("realtime_events.rejected", "{message}",
            "Client messages and requests rejected, by error code.");
    }

    public UpDownCounter<long> Connections { get; }

    public Counter<long> Rejected { get; }

    public void CountRejected(string code) => Rejected.Add(1, new KeyValuePair<string, object?>("code", code));
}
