using System.Diagnostics.CodeAnalysis;
using RealtimeEvents.Filtering;

namespace RealtimeEvents;

/// <summary>
/// Which events a subscription wants: topics (exact, or patterns with <c>*</c> for one segment and a final
/// <c>**</c> for any depth), type patterns (<c>execution.*</c>, <c>*.failed</c>), a minimum priority and meta
/// equality (for example a tenant). Immutable, validated when built and cheap to evaluate.
/// </summary>
/// <remarks>
/// An event matches when all given parts match: its topic equals one of the exact topics or matches one of the
/// topic patterns (no topics at all means every topic), its type matches one of the type patterns (none means
/// every type), its priority is at least <see cref="MinimumPriority"/>, and it carries every <see cref="Meta"/> entry.
/// </remarks>
public sealed class EventFilter
{
    /// <summary>The most topic entries (exact and patterns) one filter may have. The value is 64.</summary>
    public const int MaxTopics = 64;

    /// <summary>The most type patterns one filter may have. The value is 32.</summary>
    public const int MaxTypes = 32;

    /// <summary>The most meta entries one filter may require. The value is 16.</summary>
    public const int MaxMeta = 16;

    private static readonly Dictionary<string, string> NoMeta = new(0, StringComparer.Ordinal);

    private readonly HashSet<string>? _exactTopicSet;
    private readonly string[] _topics; // arrays, not the IReadOnlyList properties: no enumerator allocation per match
    private readonly TypePattern[] _typePatterns;
    private readonly KeyValuePair<string, string>[] _meta;

    private EventFilter(string[] topics, TopicPattern[] topicPatterns, TypePattern[] typePatterns, EventPriority minimumPriority,
        Dictionary<string, string> meta)
    {
        Topics = topics;
        _topics = topics;
        CompiledTopicPatterns = topicPatterns;
        _typePatterns = typePatterns;
        MinimumPriority = minimumPriority;
        Meta = meta;
        _meta = [.. meta];
        _exactTopicSet = topics.Length > 4 ? new HashSet<string>(topics, StringComparer.Ordinal) : null;
        TopicPatterns = [.. topicPatterns.Select(p => p.Text)];
        Types = [.. typePatterns.Select(p => p.Text)];
    }

    /// <summary>Gets the filter that matches every event.</summary>
    public static EventFilter All { get; } = new([], [], [], EventPriority.Low, NoMeta);

    /// <summary>Gets the exact topics.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>Gets the topic patterns.</summary>
    public IReadOnlyList<string> TopicPatterns { get; }

    /// <summary>Gets the type patterns; empty, or <c>*</c> alone, means every type.</summary>
    public IReadOnlyList<string> Types { get; }

    /// <summary>Gets the lowest priority that matches.</summary>
    public EventPriority MinimumPriority { get; }

    /// <summary>Gets the meta entries an event must carry, with equal values.</summary>
    public IReadOnlyDictionary<string, string> Meta { get; }

    internal TopicPattern[] CompiledTopicPatterns { get; }

    /// <summary>Gets a value indicating whether the filter names no topic at all, and so matches every topic.</summary>
    internal bool MatchesAnyTopic => _topics.Length == 0 && CompiledTopicPatterns.Length == 0;

    /// <summary>Builds a filter, throwing when any part is malformed.</summary>
    /// <param name="topics">Exact topics and topic patterns; <see langword="null"/> or empty for every topic.</param>
    /// <param name="types">Type patterns; <see langword="null"/> or empty for every type.</param>
    /// <param name="minimumPriority">The lowest priority that matches.</param>
    /// <param name="meta">Meta entries an event must carry.</param>
    /// <returns>The filter.</returns>
    /// <exception cref="ArgumentException">A part is malformed; the message says which and why.</exception>
    public static EventFilter Create(IEnumerable<string>? topics = null, IEnumerable<string>? types = null,
        EventPriority minimumPriority = EventPriority.Low, IReadOnlyDictionary<string, string>? meta = null) =>
        TryCreate(topics, types, minimumPriority, meta, out var filter, out var error)
            ? filter
            : throw new ArgumentException(error);

    /// <summary>Builds a filter, reporting the first malformed part instead of throwing.</summary>
    /// <param name="topics">Exact topics and topic patterns; <see langword="null"/> or empty for every topic.</param>
    /// <param name="types">Type patterns; <see langword="null"/> or empty for every type.</param>
    /// <param name="minimumPriority">The lowest priority that matches.</param>
    /// <param name="meta">Meta entries an event must carry.</param>
    /// <param name="filter">The filter when every part is valid.</param>
    /// <param name="error">What is wrong when a part is malformed.</param>
    /// <returns><see langword="true"/> when the filter was built.</returns>
    public static bool TryCreate(IEnumerable<string>? topics, IEnumerable<string>? types, EventPriority minimumPriority,
        IReadOnlyDictionary<string, string>? meta, [NotNullWhen(true)] out EventFilter? filter, [NotNullWhen(false)] out string? error)
    {
        filter = null;
        var exact = new List<string>();
        var patterns = new List<TopicPattern>();
        foreach (var topic in topics ?? [])
        {
            if (topic is null)
            {
                error = "Topics must not contain null.";
                return false;
            }

            if (TopicPattern.IsPattern(topic))
            {
                var pattern = TopicPattern.TryCreate(topic, out var patternError);
                if (pattern is null)
                {
                    error = patternError!;
                    return false;
                }

                if (!patterns.Exists(p => p.Text == topic))
                {
                    patterns.Add(pattern);
                }
            }
            else if (!EventNames.IsValidTopic(topic))
            {
                error = $"Topic '{topic}' is invalid: {EventNames.TopicRule}.";
                return false;
            }
            else if (!exact.Contains(topic))
            {
                exact.Add(topic);
            }

            if (exact.Count + patterns.Count > MaxTopics)
            {
                error = $"A subscription may name at most {MaxTopics} topics and topic patterns.";
                return false;
            }
        }

        var typePatterns = new List<TypePattern>();
        foreach (var type in types ?? [])
        {
            if (type is null)
            {
                error = "Types must not contain null.";
                return false;
            }

            var pattern = TypePattern.TryCreate(type, out var patternError);
            if (pattern is null)
            {
                error = patternError!;
                return false;
            }

            if (!typePatterns.Exists(p => p.Text == type))
            {
                typePatterns.Add(pattern);
            }

            if (typePatterns.Count > MaxTypes)
            {
                error = $"A subscription may name at most {MaxTypes} type patterns.";
                return false;
            }
        }

        if (typePatterns.Exists(p => p.Text == "*"))
        {
            // '*' means every type. Keep it (alone) rather than clearing the list: an empty list would read as "no
            // types named", and a later WithTypes would then narrow the filter to the added patterns only.
            typePatterns.RemoveAll(p => p.Text != "*");
        }

        if (!Enum.IsDefined(minimumPriority))
        {
            error = $"Minimum priority '{minimumPriority}' is invalid: use Low, Normal, High or Critical.";
            return false;
        }

        var metaCopy = NoMeta;
        if (meta is { Count: > 0 })
        {
            if (meta.Count > MaxMeta)
            {
                error = $"A subscription may require at most {MaxMeta} meta entries.";
                return false;
            }

            metaCopy = new Dictionary<string, string>(meta.Count, StringComparer.Ordinal);
            foreach (var (key, value) in meta)
            {
                if (string.IsNullOrEmpty(key) || key.Length > 64 || value is null || value.Length > 1024)
                {
                    error = $"Meta filter entry '{key}' is invalid: keys must be 1 to 64 characters and values non-null and at most 1024 characters.";
                    return false;
                }

                metaCopy[key] = value;
            }
        }

        filter = new EventFilter([.. exact], [.. patterns], [.. typePatterns], minimumPriority, metaCopy);
        error = null;
        return true;
    }

    /// <summary>
    /// Returns a filter whose topic list also holds the given topics or topic patterns. A filter that names no topic matches
    /// every topic, so adding topics to it narrows it to those.
    /// </summary>
    /// <param name="topics">Exact topics and topic patterns to add.</param>
    /// <returns>A new filter.</returns>
    /// <exception cref="ArgumentException">A topic is malformed.</exception>
    public EventFilter WithTopics(params IEnumerable<string> topics) =>
        Create([.. Topics, .. TopicPatterns, .. topics], Types, MinimumPriority, Meta);

    /// <summary>
    /// Returns a filter whose type list also holds the given type patterns. A filter that names no type matches every type,
    /// so adding types to it narrows it to those.
    /// </summary>
    /// <param name="types">Type patterns to add.</param>
    /// <returns>A new filter.</returns>
    /// <exception cref="ArgumentException">A pattern is malformed.</exception>
    public EventFilter WithTypes(params IEnumerable<string> types) =>
        Create([.. Topics, .. TopicPatterns], [.. Types, .. types], MinimumPriority, Meta);

    /// <summary>Returns a filter with another minimum priority.</summary>
    /// <param name="minimumPriority">The lowest priority that matches.</param>
    /// <returns>A new filter.</returns>
    public EventFilter WithMinimumPriority(EventPriority minimumPriority) =>
        Create([.. Topics, .. TopicPatterns], Types, minimumPriority, Meta);

    /// <summary>Returns a filter that also requires the meta entry <paramref name="key"/> = <paramref name="value"/>.</summary>
    /// <param name="key">The meta key.</param>
    /// <param name="value">The required value.</param>
    /// <returns>A new filter.</returns>
    public EventFilter WithMeta(string key, string value) =>
        Create([.. Topics, .. TopicPatterns], Types, MinimumPriority, new Dictionary<string, string>(Meta) { [key] = value });

    /// <summary>Returns whether <paramref name="evt"/> matches every part of this filter.</summary>
    /// <param name="evt">The event.</param>
    /// <returns><see langword="true"/> when the event matches.</returns>
    public bool Matches(RealtimeEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.Priority < MinimumPriority)
        {
            return false;
        }

        if (_typePatterns.Length > 0 && !MatchesType(evt.Type))
        {
            return false;
        }

        foreach (var (key, value) in _meta)
        {
            if (!evt.Meta.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return MatchesTopic(evt.Topic);
    }

    /// <summary>Returns whether <paramref name="topic"/> is one this filter covers.</summary>
    /// <param name="topic">The topic.</param>
    /// <returns><see langword="true"/> when the topic matches.</returns>
    public bool MatchesTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (MatchesAnyTopic)
        {
            return true;
        }

        if (_exactTopicSet is not null ? _exactTopicSet.Contains(topic) : ContainsExact(topic))
        {
            return true;
        }

        foreach (var pattern in CompiledTopicPatterns)
        {
            if (pattern.Matches(topic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Returns whether every topic this filter can match is <paramref name="topicPrefix"/> itself or lies under it, so
    /// no wildcard can reach beyond it. A subscription authorizer uses it to keep a tenant's subscriptions inside
    /// <c>tenants/{tenant}</c>. A filter that names no topic (every topic) is never confined.
    /// </summary>
    /// <param name="topicPrefix">A topic, for example <c>tenants/acme</c>.</param>
    /// <returns><see langword="true"/> when the filter cannot match a topic outside <paramref name="topicPrefix"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="topicPrefix"/> breaks the topic naming rule.</exception>
    public bool IsConfinedTo(string topicPrefix)
    {
        EventNames.ThrowIfInvalidTopic(topicPrefix, nameof(topicPrefix));
        if (MatchesAnyTopic)
        {
            return false;
        }

        foreach (var topic in _topics)
        {
            if (!IsAtOrUnder(topic, topicPrefix))
            {
                return false;
            }
        }

        foreach (var pattern in CompiledTopicPatterns)
        {
            // Only the segments before the first wildcard are fixed; the pattern is confined when they already are.
            if (!IsAtOrUnder(pattern.LiteralPrefix, topicPrefix))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAtOrUnder(string topic, string prefix) =>
        topic.StartsWith(prefix, StringComparison.Ordinal) && (topic.Length == prefix.Length || topic[prefix.Length] == '/');

    /// <summary>Returns the filter in a readable form, for logs.</summary>
    /// <returns>A description of the filter.</returns>
    public override string ToString() =>
        $"topics=[{string.Join(", ", Topics.Concat(TopicPatterns))}] types=[{string.Join(", ", Types)}] min={MinimumPriority}"
        + (Meta.Count > 0 ? $" meta=[{string.Join(", ", Meta.Select(kv => kv.Key + "=" + kv.Value))}]" : string.Empty);

    private bool MatchesType(string type)
    {
        foreach (var pattern in _typePatterns)
        {
            if (pattern.Matches(type))
            {
                return true;
            }
        }

        return false;
    }

    private bool ContainsExact(string topic)
    {
        foreach (var candidate in _topics)
        {
            if (string.Equals(candidate, topic, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
