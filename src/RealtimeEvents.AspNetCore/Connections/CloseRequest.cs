using System.Net.WebSockets;

namespace RealtimeEvents.AspNetCore.Connections;

/// <summary>How a connection is to be closed.</summary>
/// <param name="Status">The WebSocket close status.</param>
/// <param name="Description">The close description; <see langword="null"/> for a position to resume from.</param>
/// <param name="Flush">Whether queued events are sent first (shutdown).</param>
/// <param name="Requested">The <see cref="TimeProvider.GetTimestamp"/> reading when the close was asked for.</param>
/// <param name="Target">The log's position when the close was asked for: what a flush sends up to.</param>
internal sealed record CloseRequest(WebSocketCloseStatus Status, string? Description, bool Flush, long Requested, EventPosition Target);
