namespace RealtimeEvents;

/// <summary>
/// An event to publish: what happened (<see cref="Type"/>), what it is about (<see cref="Topic"/>) and its
/// payload. The event log stamps it with an id, a time and a position when it is published.
/// </summary>
/// <example>
/// <code>
/// await publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "tasks/task-7")
/// {
///     Data = EventData.From(new { percent = 40 }),
///     Priority = EventPriority.Low,
///     ConflationKey = "tasks/task-7:progress",
/// });
/// </code>
/// </example>
public sealed class EventDraft
{
    /// <summary>The most meta entries an event may carry. The value is 32.</summary>
    public const int MaxMetaEntries = 32;

    private readonly EventPriority _priority = EventPriority.Normal;
    private readonly string? _id;
    private readonly string? _conflationKey;
    private readonly IReadOnlyDictionary<string, string>? _meta;

    /// <summary>Creates an event to publish.</summary>
    /// <param name="type">What happened, such as <see cref="EventTypes.Execution.Started"/>; see <see cref="EventNames.TypeRule"/>.</param>
    /// <param name="topic">What it is about, such as <c>executions/exec-123</c>; see <see cref="EventNames.TopicRule"/>.</param>
    /// <exception cref="ArgumentException">The type or topic breaks its naming rule.</exception>
    public EventDraft(string type, string topic)
    {
        EventNames.ThrowIfInvalidType(type);
        EventNames.ThrowIfInvalidTopic(topic);
        Type = type;
        Topic = topic;
    }

    /// <summary>Gets what happened, for example <c>execution.started</c>.</summary>
    public string Type { get; }

    /// <summary>Gets what the event is about, for example <c>executions/exec-123</c>.</summary>
    public string Topic { get; }

    /// <summary>Gets the payload. The default value is <see cref="EventData.None"/>.</summary>
    public EventData Data { get; init; }

    /// <summary>Gets the priority. The default value is <see cref="EventPriority.Normal"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined priority.</exception>
    public EventPriority Priority
    {
        get => _priority;
        init
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(Priority), value, "Priority must be Low, Normal, High or Critical.");
            }

            _priority = value;
        }
    }

    /// <summary>
    /// Gets an id chosen by the publisher (1 to 128 characters), for example to correlate with its own records.
    /// The default value is <see langword="null"/>: the log generates a unique id.
    /// </summary>
    /// <exception cref="ArgumentException">The value is empty or longer than 128 characters.</exception>
    public string? Id
    {
        get => _id;
        init
        {
            if (value is not null && (value.Length is 0 or > 128 || string.IsNullOrWhiteSpace(value)))
            {
                throw new ArgumentException("Event id must be 1 to 128 characters and not only white space.", nameof(Id));
            }

            _id = value;
        }
    }

    /// <summary>
    /// Gets the conflation key: when a subscriber is behind, a newer event with the same key replaces an older
    /// one still waiting in its queue, so progress updates do not push out other events. Terminal events
    /// (completed, failed, cancelled, timed_out; see <see cref="EventNames.IsTerminalType"/>) are never conflated. 1 to 512 characters, so a whole topic and type fit in one key.
    /// The default value is <see langword="null"/> (never conflated).
    /// </summary>
    /// <exception cref="ArgumentException">The value is empty or longer than 512 characters.</exception>
    public string? ConflationKey
    {
        get => _conflationKey;
        init
        {
            // Room for a topic (256), a separator and a type (128): the standard progress key is topic + "#" + type.
            if (value is not null && value.Length is 0 or > 512)
            {
                throw new ArgumentException("Conflation key must be 1 to 512 characters.", nameof(ConflationKey));
            }

            _conflationKey = value;
        }
    }

    /// <summary>
    /// Gets string headers such as a correlation id or a tenant; subscriptions can filter on them.
    /// At most <see cref="MaxMetaEntries"/> entries; keys 1 to 64 characters, values at most 1024 characters.
    /// The default value is <see langword="null"/> (no headers).
    /// </summary>
    /// <exception cref="ArgumentException">An entry breaks the limits above.</exception>
    public IReadOnlyDictionary<string, string>? Meta
    {
        get => _meta;
        init
        {
            if (value is not null)
            {
                if (value.Count > MaxMetaEntries)
                {
                    throw new ArgumentException($"An event may carry at most {MaxMetaEntries} meta entries (got {value.Count}).", nameof(Meta));
                }

                var copy = new Dictionary<string, string>(value.Count, StringComparer.Ordinal);
                foreach (var (key, item) in value)
                {
                    if (string.IsNullOrEmpty(key) || key.Length > 64)
                    {
                        throw new ArgumentException($"Meta key '{key}' is invalid: keys must be 1 to 64 characters.", nameof(Meta));
                    }

                    if (item is null || item.Length > 1024)
                    {
                        throw new ArgumentException($"Meta value for '{key}' is invalid: values must be non-null and at most 1024 characters.", nameof(Meta));
                    }

                    copy[key] = item;
                }

                _meta = copy;
            }
        }
    }
}
