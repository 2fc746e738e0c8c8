namespace RealtimeEvents.Filtering;

/// <summary>
/// A compiled event type pattern: <c>*</c> alone matches every type; otherwise '.'-separated segments where
/// <c>*</c> matches exactly one segment (<c>execution.*</c>, <c>*.failed</c>).
/// </summary>
internal sealed class TypePattern
{
    private readonly string[]? _segments;

    private TypePattern(string text, string[]? segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }

    public static TypePattern? TryCreate(string text, out string? error)
    {
        error = null;
        if (text == "*")
        {
            return new TypePattern(text, null);
        }

        if (string.IsNullOrEmpty(text) || text.Length > EventNames.MaxTypeLength)
        {
            error = $"Type pattern '{text}' is invalid: it must be 1 to {EventNames.MaxTypeLength} characters.";
            return null;
        }

        var parts = text.Split('.');
        if (parts.Length < 2)
        {
            error = $"Type pattern '{text}' is invalid: use a full type ('execution.started'), 'category.*', '*.action' or '*'.";
            return null;
        }

        foreach (var part in parts)
        {
            if (part == "*")
            {
                continue;
            }

            if (part.Contains('*', StringComparison.Ordinal))
            {
                error = $"Type pattern '{text}' is invalid: '*' must be a whole segment ('execution.*'), not part of one.";
                return null;
            }

            if (!EventNames.IsValidType(part + ".x"))
            {
                error = $"Type pattern '{text}' is invalid: segment '{part}' breaks the rule: {EventNames.TypeRule}.";
                return null;
            }
        }

        return new TypePattern(text, parts);
    }

    public bool Matches(string type)
    {
        if (_segments is null)
        {
            return true;
        }

        var rest = type.AsSpan();
        for (var i = 0; i < _segments.Length; i++)
        {
            var dot = rest.IndexOf('.');
            var isLast = i == _segments.Length - 1;
            if (isLast != (dot < 0))
            {
                return false;
            }

            var current = dot < 0 ? rest : rest[..dot];
            var segment = _segments[i];
            if (segment != "*" && !current.SequenceEqual(segment))
            {
                return false;
            }

            rest = dot < 0 ? [] : rest[(dot + 1)..];
        }

        return true;
    }
}
