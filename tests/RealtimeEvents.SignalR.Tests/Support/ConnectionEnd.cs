using System.Net.WebSockets;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>How a connection ended, as the client saw it.</summary>
/// <param name="Close">The SignalR close message, if one arrived.</param>
/// <param name="Status">The WebSocket close status; <see langword="null"/> when the socket ended without a close frame.</param>
/// <param name="Description">The WebSocket close description.</param>
/// <param name="Messages">The hub messages that arrived before the end and were not read yet, in order.</param>
public sealed record ConnectionEnd(CloseMessage? Close, WebSocketCloseStatus? Status, string? Description, IReadOnlyList<HubMessage> Messages);
