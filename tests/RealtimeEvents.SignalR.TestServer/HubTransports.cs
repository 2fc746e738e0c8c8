using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace RealtimeEvents.SignalR.TestServer;

/// <summary>The HTTP request under each SignalR connection, by SignalR connection id, so a test can abort its transport.</summary>
internal sealed class HubTransports
{
    private readonly ConcurrentDictionary<string, HttpContext> _transports = new(StringComparer.Ordinal);

    public void Add(string connectionId, HttpContext transport) => _transports[connectionId] = transport;

    public void Remove(string connectionId) => _transports.TryRemove(connectionId, out _);

    public bool TryGet(string connectionId, [NotNullWhen(true)] out HttpContext? transport) =>
        _transports.TryGetValue(connectionId, out transport);
}
