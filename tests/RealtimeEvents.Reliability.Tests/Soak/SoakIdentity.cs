namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>A client that comes back: its filter, and what it knew when it left (to resume from).</summary>
internal sealed class SoakIdentity(string name, SoakFilter filter, int topics)
{
    public string Name { get; } = name;

    public SoakFilter Filter { get; } = filter;

    public TopicState State { get; set; } = new(topics);

    /// <summary>Gets or sets where the client's main subscription left off, for the next session's <c>resumeAfter</c>.</summary>
    public string? ResumePosition { get; set; }
}
