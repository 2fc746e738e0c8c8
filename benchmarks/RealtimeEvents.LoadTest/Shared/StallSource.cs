using System.Net;

namespace RealtimeEvents.LoadTest.Shared;

/// <summary>
/// The stall candidates (the clients <c>stall</c> stops) connect from their own loopback source address, so the server
/// process can tell their connections apart and give them a small fixed send buffer, the same in every scenario.
/// </summary>
internal static class StallSource
{
    /// <summary>The source address of the stall candidates; the other clients use 127.0.0.1 .. 127.0.0.K with K &lt;= <see cref="MaxSourceAddresses"/>.</summary>
    public static readonly IPAddress Address = new([127, 0, 0, 254]);

    /// <summary>The most source addresses the other clients may spread over (127.0.0.254 is the stall candidates').</summary>
    public const int MaxSourceAddresses = 253;

    /// <summary>
    /// The server socket's send buffer for a connection from <see cref="Address"/> (Linux doubles it and stops autotuning
    /// it, which would otherwise grow it to tcp_wmem's max, about 4 MB): with the client's small receive buffer, a
    /// stalled client's backlog reaches the server's own code after some tens of kilobytes.
    /// </summary>
    public const int ServerSendBufferBytes = 16 * 1024;

    /// <summary>Whether <paramref name="address"/> is the stall candidates' source address (IPv4 or IPv4-mapped IPv6).</summary>
    public static bool IsStallSource(IPAddress? address) =>
        address is not null && (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).Equals(Address);
}
