using System.Text.Json;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>The server's close message (type 7). <c>AllowReconnect</c> is <see langword="null"/> when the field is absent (the client must not reconnect).</summary>
public sealed record CloseMessage(int Sequence, JsonElement Raw, string? Error, bool? AllowReconnect) : SignalRMessage(Sequence, Raw);
