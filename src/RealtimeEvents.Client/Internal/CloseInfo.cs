using System.Net.WebSockets;

namespace RealtimeEvents.Client.Internal;

/// <summary>How a connection ended: the server's close status and description, or the error that aborted it.</summary>
internal sealed record CloseInfo(WebSocketCloseStatus? Status, string? Description, string Reason)
{
    /// <summary>The resume point of a 1001 close: its description, when that is a position.</summary>
    public EventPosition? GoingAwayPosition =>
        Status == WebSocketCloseStatus.EndpointUnavailable && EventPosition.TryParse(Description, out var position) ? position : null;
}
