namespace RealtimeEvents;

/// <summary>Shared building blocks of the standard event factories.</summary>
internal static class StandardDrafts
{
    public static string Segment(string id, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(id, parameterName);
        if (id.Contains('/', StringComparison.Ordinal) || !EventNames.IsValidTopic(id))
        {
            throw new ArgumentException(
                $"Id '{id}' cannot be used in a topic: it must be one topic segment (letters, digits, '-', '_', '.', ':' or '@').",
                parameterName);
        }

        return id;
    }

    /// <summary>Checks a topic built from ids, so a helper never returns a topic every other API rejects (too long).</summary>
    public static string CheckedTopic(string topic, string parameterName)
    {
        EventNames.ThrowIfInvalidTopic(topic, parameterName);
        return topic;
    }

    public static EventDraft Lifecycle(string type, string topic, string id, string? name = null, string? message = null,
        EventPriority priority = EventPriority.Normal) =>
        new(type, topic)
        {
            Data = EventData.From(new LifecycleData(id, name, message), EventJsonContext.Default.LifecycleData),
            Priority = priority,
        };

    public static EventDraft Progress(string type, string topic, string id, double percent, string? message)
    {
        if (double.IsNaN(percent) || percent is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "Progress must be a number from 0 to 100.");
        }

        return new EventDraft(type, topic)
        {
            Data = EventData.From(new ProgressData(id, percent, message), EventJsonContext.Default.ProgressData),
            Priority = EventPriority.Low,
            ConflationKey = topic + "#" + type,
        };
    }

    public static EventDraft Failure(string type, string topic, string id, string error, string? errorType)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        return new EventDraft(type, topic)
        {
            Data = EventData.From(new FailureData(id, error, errorType), EventJsonContext.Default.FailureData),
            Priority = EventPriority.High,
        };
    }
}
