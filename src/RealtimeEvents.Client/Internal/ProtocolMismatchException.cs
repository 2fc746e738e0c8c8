namespace RealtimeEvents.Client.Internal;

/// <summary>The server's welcome names a protocol version this client does not speak; reconnecting will not help.</summary>
internal sealed class ProtocolMismatchException(int version)
    : Exception($"The server speaks protocol version {version}; this client speaks version {Protocol.RealtimeProtocol.Version}.")
{
    public int ServerVersion { get; } = version;
}
