using System.Text.Json;
using System.Text.Json.Serialization;

namespace RealtimeEvents;

/// <summary>Source-generated System.Text.Json metadata for the payloads of the standard event factories.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(LifecycleData))]
[JsonSerializable(typeof(ProgressData))]
[JsonSerializable(typeof(FailureData))]
public sealed partial class EventJsonContext : JsonSerializerContext;
