namespace RealtimeEvents;

/// <summary>The wire names of <see cref="EventPriority"/> values: <c>low</c>, <c>normal</c>, <c>high</c>, <c>critical</c>.</summary>
public static class PriorityNames
{
    /// <summary>Returns the wire name of a priority.</summary>
    /// <param name="priority">The priority.</param>
    /// <returns>The lowercase name.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined priority.</exception>
    public static string ToWire(EventPriority priority) => priority switch
    {
        EventPriority.Low => "low",
        EventPriority.Normal => "normal",
        EventPriority.High => "high",
        EventPriority.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(priority), priority, "Priority must be Low, Normal, High or Critical."),
    };

    /// <summary>Parses a wire name (case-insensitive).</summary>
    /// <param name="text">The name.</param>
    /// <param name="priority">The priority when parsing succeeded.</param>
    /// <returns><see langword="true"/> when the name is one of low, normal, high, critical.</returns>
    public static bool TryParse(string? text, out EventPriority priority)
    {
        switch (text?.ToUpperInvariant())
        {
            case "LOW": priority = EventPriority.Low; return true;
            case "NORMAL": priority = EventPriority.Normal; return true;
            case "HIGH": priority = EventPriority.High; return true;
            case "CRITICAL": priority = EventPriority.Critical; return true;
            default: priority = default; return false;
        }
    }
}
