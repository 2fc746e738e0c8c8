namespace RealtimeEvents.Client.Internal;

/// <summary>
/// The server refused the connection in a way reconnecting cannot fix: HTTP 401 or 403 on the WebSocket upgrade (no or
/// a wrong access token, or no permission). The client goes offline with <see cref="Code"/> instead of retrying.
/// </summary>
internal sealed class ConnectRefusedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
