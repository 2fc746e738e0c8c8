using RealtimeEvents.Protocol;

namespace RealtimeEvents.SignalR;

/// <summary>
/// The names on the SignalR side (docs/protocol.md, "SignalR"): the hub methods a client invokes, and the client
/// methods the server sends, which are the protocol's ops.
/// </summary>
public static class RealtimeHubMethods
{
    /// <summary>Hub method: <c>Subscribe(request)</c>, the fields of the <c>subscribe</c> message; returns <c>subscribed</c> or <c>error</c>.</summary>
    public const string Subscribe = "Subscribe";

    /// <summary>Hub method: <c>Unsubscribe(id)</c>; returns <c>unsubscribed</c> or <c>error</c>.</summary>
    public const string Unsubscribe = "Unsubscribe";

    /// <summary>Client method: <c>welcome</c>, sent once after the connection opens.</summary>
    public const string Welcome = RealtimeProtocol.Welcome;

    /// <summary>Client method: <c>subscribed</c>, before the subscription's first event.</summary>
    public const string Subscribed = RealtimeProtocol.Subscribed;

    /// <summary>Client method: <c>unsubscribed</c>, after the subscription's last event.</summary>
    public const string Unsubscribed = RealtimeProtocol.Unsubscribed;

    /// <summary>Client method: <c>event</c>, one event of one subscription.</summary>
    public const string Event = RealtimeProtocol.Event;

    /// <summary>Client method: <c>events</c>, several events of one subscription, in order.</summary>
    public const string Events = RealtimeProtocol.Events;

    /// <summary>Client method: <c>overflow</c>, events the subscription missed, before its next event.</summary>
    public const string Overflow = RealtimeProtocol.Overflow;

    /// <summary>Client method: <c>error</c>, a request refused, with a stable code.</summary>
    public const string Error = RealtimeProtocol.Error;
}
