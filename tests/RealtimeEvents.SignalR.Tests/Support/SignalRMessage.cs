using System.Text.Json;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>One record the server sent, in the order it arrived.</summary>
/// <param name="Sequence">Its place among everything this client received (pings excluded), from 0.</param>
/// <param name="Raw">The record as received.</param>
public abstract record SignalRMessage(int Sequence, JsonElement Raw)
{
    public sealed override string ToString() => $"#{Sequence} {Raw.GetRawText()}";
}
