using System.Text.Json;

namespace RealtimeEvents.AspNetCore.Internal;

/// <summary>Reads optional fields of a JSON object with one wording for every error, for the WebSocket and management parsers.</summary>
internal static class JsonFields
{
    /// <summary>Reads a string field; missing or null gives <see langword="null"/>.</summary>
    public static bool TryGetString(JsonElement root, string name, out string? value, out string error)
    {
        value = null;
        error = string.Empty;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"Field \"{name}\" must be a string.";
            return false;
        }

        value = element.GetString();
        return true;
    }

    /// <summary>Reads an object of string values (meta); missing or null gives <see langword="null"/>.</summary>
    public static bool TryGetStringMap(JsonElement root, string name, out Dictionary<string, string>? map, out string error)
    {
        map = null;
        error = string.Empty;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        error = $"Field \"{name}\" must be an object of string values.";
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            values[entry.Name] = entry.Value.GetString()!;
        }

        map = values;
        error = string.Empty;
        return true;
    }
}
