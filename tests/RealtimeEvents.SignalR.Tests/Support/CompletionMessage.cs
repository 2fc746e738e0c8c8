using System.Text.Json;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>The completion of an invocation (type 3): its result (<see cref="JsonValueKind.Undefined"/> when none), or the error the hub returned.</summary>
public sealed record CompletionMessage(int Sequence, JsonElement Raw, string InvocationId, JsonElement Result, string? Error) : SignalRMessage(Sequence, Raw);
