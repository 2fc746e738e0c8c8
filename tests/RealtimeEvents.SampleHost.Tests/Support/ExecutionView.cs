using System.Text.Json;

namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>What a dashboard page shows of one execution: comparable between pages as a record.</summary>
public sealed record ExecutionView(string? Status, string? Percent, string Agents)
{
    public static ExecutionView From(JsonElement json)
    {
        var agents = json.GetProperty("agents").EnumerateArray()
            .Select(a => $"{a.GetProperty("id").GetString()}={a.GetProperty("status").GetString()}@{a.GetProperty("percent").GetString()}")
            .Order(StringComparer.Ordinal);
        return new ExecutionView(json.GetProperty("status").GetString(), json.GetProperty("percent").GetString(), string.Join(", ", agents));
    }
}
