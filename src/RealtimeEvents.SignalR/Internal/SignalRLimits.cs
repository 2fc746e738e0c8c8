namespace RealtimeEvents.SignalR.Internal;

/// <summary>What SignalR's <c>HubOptions</c> set for every connection, as <c>welcome</c> reports it.</summary>
/// <param name="KeepAliveInterval">How often SignalR pings an idle connection: the heartbeat.</param>
/// <param name="MaximumReceiveMessageSize">The largest message a client may send; <see langword="null"/> is unlimited.</param>
internal sealed record SignalRLimits(TimeSpan KeepAliveInterval, long? MaximumReceiveMessageSize);
