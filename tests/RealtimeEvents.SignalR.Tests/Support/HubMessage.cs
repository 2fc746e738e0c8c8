using System.Text.Json;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>A hub invocation from the server (type 1): the method name is the protocol op, the first argument its payload.</summary>
public sealed record HubMessage(int Sequence, JsonElement Raw, string Target, JsonElement Argument) : SignalRMessage(Sequence, Raw)
{
    /// <summary>Gets the <c>op</c> field of the argument (which must equal <see cref="Target"/>).</summary>
    public string? Op => Argument.ValueKind == JsonValueKind.Object && Argument.TryGetProperty("op", out var op) ? op.GetString() : null;

    /// <summary>Gets a string property of the argument, or <see langword="null"/>.</summary>
    public string? GetString(string name) =>
        Argument.ValueKind == JsonValueKind.Object && Argument.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
