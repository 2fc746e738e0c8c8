namespace RealtimeEvents.Client;

/// <summary>
/// A request of <see cref="RealtimeEventsClient"/> failed: the server refused it with a protocol error code
/// (see <see cref="Protocol.ProtocolErrorCodes"/>), or the client could not connect or speak to the server.
/// </summary>
public sealed class RealtimeEventsClientException : Exception
{
    /// <summary>The client's code when it gave up connecting. The value is <c>connect_failed</c>.</summary>
    public const string ConnectFailed = "connect_failed";

    /// <summary>
    /// The client's code when the server refused the connection with HTTP 401 (no or a wrong access token); the client
    /// goes offline instead of retrying. HTTP 403 gives <c>forbidden</c>. The value is <c>unauthorized</c>.
    /// </summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The client's code when the client was disposed while a request waited. The value is <c>client_closed</c>.</summary>
    public const string ClientClosed = "client_closed";

    /// <summary>Creates an exception with a code.</summary>
    public RealtimeEventsClientException()
        : this("unknown", "The request failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public RealtimeEventsClientException(string message)
        : this("unknown", message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RealtimeEventsClientException(string message, Exception innerException)
        : base(message, innerException) => Code = "unknown";

    /// <summary>Creates an exception with a code.</summary>
    /// <param name="code">A stable code: a protocol error code, <see cref="ConnectFailed"/> or <see cref="ClientClosed"/>.</param>
    /// <param name="message">What went wrong, for people.</param>
    /// <param name="innerException">The cause, if any.</param>
    public RealtimeEventsClientException(string code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    /// <summary>Gets the stable code: a protocol error code (for example <c>forbidden</c>), <see cref="ConnectFailed"/> or <see cref="ClientClosed"/>.</summary>
    public string Code { get; }
}
