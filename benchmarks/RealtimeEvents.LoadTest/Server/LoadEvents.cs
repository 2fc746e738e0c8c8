using System.Diagnostics;
using System.Text.Json;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>Builds the load events and the padding that brings them to the requested size.</summary>
internal static class LoadEvents
{
    /// <summary>
    /// Returns the string of <c>x</c> that brings one event to about <paramref name="targetBytes"/>: the size of a
    /// representative baseline message with an empty pad (a seven-digit <c>n</c>, a current timestamp) is taken off.
    /// </summary>
    public static string Pad(int targetBytes)
    {
        var empty = JsonSerializer.SerializeToUtf8Bytes(Message(1_000_000, Stopwatch.GetTimestamp(), string.Empty), ControlJson.Options);
        return new string('x', Math.Max(0, targetBytes - empty.Length));
    }

    /// <summary>The event object of the baselines, with the same fields as a RealtimeEvents event.</summary>
    public static LoadEventMessage Message(long n, long dueTimestamp, string pad) => new(
        Id: Guid.CreateVersion7().ToString("N"),
        Type: Scenarios.EventType,
        Topic: Scenarios.Topic,
        Priority: "normal",
        Time: TimeProvider.System.GetUtcNow(),
        Epoch: "load",
        Seq: n,
        Data: new LoadData(n, dueTimestamp, pad));

    /// <summary>The size of a baseline message's JSON.</summary>
    public static int MessageBytes(LoadEventMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message, ControlJson.Options).Length;
}
