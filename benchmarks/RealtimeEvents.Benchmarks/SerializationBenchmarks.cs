using System.Text.Json;
using BenchmarkDotNet.Attributes;
using RealtimeEvents.Benchmarks.Support;

namespace RealtimeEvents.Benchmarks;

/// <summary>
/// The per-event cost of stamping an event and building its JSON once (<see cref="RealtimeEvent.Create"/>, what every
/// publish does), against what hand-rolled code does for one recipient: <see cref="JsonSerializer"/> on an object with the
/// same fields. Hand-rolled broadcast pays its cost once per recipient; the library pays this once per event.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class SerializationBenchmarks
{
    private const int Events = 1000;
    private static readonly DateTimeOffset Time = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private EventDraft _draft = null!;
    private JsonElement _data;

    [GlobalSetup]
    public void Setup()
    {
        _draft = BenchmarkEvents.Draft();
        _data = _draft.Data.ToJsonElement();
    }

    /// <summary>A record with the event's fields through <see cref="JsonSerializer"/> (web defaults), as hand-rolled code does.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int JsonSerializer_EquivalentRecord()
    {
        var bytes = 0;
        for (var i = 0; i < Events; i++)
        {
            var message = new WireEvent("evt-1", _draft.Type, _draft.Topic, "normal", Time, "bench", i + 1, _data);
            bytes += JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web).Length;
        }

        return bytes;
    }

    /// <summary><see cref="RealtimeEvent.Create"/>: the stamped event with its UTF-8 JSON, built once for every subscriber.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int RealtimeEvent_Create()
    {
        var bytes = 0;
        for (var i = 0; i < Events; i++)
        {
            bytes += RealtimeEvent.Create(_draft, "evt-1", Time, new EventPosition("bench", i + 1)).Utf8Json.Length;
        }

        return bytes;
    }

    private sealed record WireEvent(string Id, string Type, string Topic, string Priority, DateTimeOffset Time, string Epoch, long Seq, JsonElement Data);
}
