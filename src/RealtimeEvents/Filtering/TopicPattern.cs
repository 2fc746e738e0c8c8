namespace RealtimeEvents.Filtering;

/// <summary>
/// A compiled topic pattern: '/'-separated segments where <c>*</c> matches exactly one segment and a final
/// <c>**</c> matches any number of further segments, including none.
/// </summary>
internal sealed class TopicPattern
{
    private readonly string[] _segments;
    private readonly bool _trailingAny;

    private TopicPattern(string text, string[] segments, bool trailingAny, string literalPrefix)
    {
        Text = text;
        _segments = segments;
        _trailingAny = trailingAny;
        LiteralPrefix = literalPrefix;
    }

    public string Text { get; }

    /// <summary>Gets the segments before the first wildcard, joined by '/'; the router indexes patterns by it.</summary>
    public string LiteralPrefix { get; }

    public static bool IsPattern(string text) => text.Contains('*', StringComparison.Ordinal);

    public static TopicPattern? TryCreate(string text, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(text) || text.Length > EventNames.MaxTopicLength)
        {
            error = $"Topic pattern '{text}' is invalid: it must be 1 to {EventNames.MaxTopicLength} characters.";
            return null;
        }

        var parts = text.Split('/');
        var trailingAny = parts[^1] == "**";
        var count = trailingAny ? parts.Length - 1 : parts.Length;
        var prefixLength = -1;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == "**" && i != parts.Length - 1)
            {
                error = $"Topic pattern '{text}' is invalid: '**' may only be the last segment.";
                return null;
            }

            if (part is "*" or "**")
            {
                if (prefixLength < 0)
                {
                    prefixLength = i;
                }

                continue;
            }

            if (part.Length == 0)
            {
                error = $"Topic pattern '{text}' is invalid: segments must not be empty.";
                return null;
            }

            foreach (var c in part)
            {
                if (c == '*')
                {
                    error = $"Topic pattern '{text}' is invalid: '*' must be a whole segment ('executions/*'), not part of one.";
                    return null;
                }

                if (!EventNames.IsTopicChar(c))
                {
                    error = $"Topic pattern '{text}' is invalid: '{c}' is not allowed; {EventNames.TopicRule}.";
                    return null;
                }
            }
        }

        var prefix = string.Join('/', parts, 0, prefixLength < 0 ? parts.Length : prefixLength);
        return new TopicPattern(text, parts[..count], trailingAny, prefix);
    }

    public bool Matches(string topic)
    {
        var rest = topic.AsSpan();
        foreach (var segment in _segments)
        {
            if (rest.IsEmpty)
            {
                return false;
            }

            var slash = rest.IndexOf('/');
            var current = slash < 0 ? rest : rest[..slash];
            if (segment != "*" && !current.SequenceEqual(segment))
            {
                return false;
            }

            rest = slash < 0 ? [] : rest[(slash + 1)..];
            if (slash >= 0 && rest.IsEmpty)
            {
                return false;
            }
        }

        return rest.IsEmpty || _trailingAny;
    }
}
