using RealtimeEvents.Filtering;

namespace RealtimeEvents.Snapshots;

/// <summary>A snapshot provider and the topic pattern it serves, as registered in DI.</summary>
internal sealed class SnapshotProviderRegistration
{
    public SnapshotProviderRegistration(string topicPattern, Func<IServiceProvider, ISnapshotProvider> factory)
    {
        Pattern = Filtering.TopicPattern.IsPattern(topicPattern)
            ? Filtering.TopicPattern.TryCreate(topicPattern, out var error) ?? throw new ArgumentException(error, nameof(topicPattern))
            : null;
        if (Pattern is null)
        {
            EventNames.ThrowIfInvalidTopic(topicPattern, nameof(topicPattern));
        }

        Topic = topicPattern;
        Factory = factory;
    }

    public string Topic { get; }

    public TopicPattern? Pattern { get; }

    public Func<IServiceProvider, ISnapshotProvider> Factory { get; }

    /// <summary>Returns whether this provider serves a topic (or the identical pattern) a subscriber named.</summary>
    public bool Serves(string requested) =>
        string.Equals(requested, Topic, StringComparison.Ordinal)
        || (Pattern is not null && !Filtering.TopicPattern.IsPattern(requested) && Pattern.Matches(requested));
}
