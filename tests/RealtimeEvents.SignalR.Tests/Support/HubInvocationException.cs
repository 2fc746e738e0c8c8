namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>An invocation completed with an error.</summary>
public sealed class HubInvocationException(string target, string error) : Exception($"Invoking '{target}' failed on the server: {error}")
{
    public string Error { get; } = error;
}
