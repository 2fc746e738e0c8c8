namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// The naming rules and limits of docs/configuration.md ("Subscription filters", "Naming rules") and docs/protocol.md
/// ("Conventions"), written out again from the text so the fuzzers' oracle does not borrow the library's own checks.
/// </summary>
internal static class SseDocumentedRules
{
    public const int MaxTopics = 64;
    public const int MaxTypes = 32;
    public const int MaxMeta = 16;
    public const int MaxIdLength = 128;

    /// <summary>A topic: non-empty '/'-separated segments of letters, digits, '-', '_', '.', ':' or '@'; at most 256 characters.</summary>
    public static bool IsTopic(string text) =>
        text.Length is > 0 and <= 256 && text.Split('/').All(s => s.Length > 0 && s.All(IsTopicChar));

    /// <summary>A topic pattern: has a '*'; '*' whole segments, '**' only last, no empty segment, 1 to 256 characters.</summary>
    public static bool IsTopicPattern(string text)
    {
        if (text.Length is 0 or > 256 || !text.Contains('*', StringComparison.Ordinal))
        {
            return false;
        }

        var segments = text.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            if (s == "**" ? i != segments.Length - 1 : s != "*" && (s.Length == 0 || !s.All(IsTopicChar)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A type pattern: '*' alone, or 2+ '.'-separated segments, each '*' or a type segment; at most 128 characters.</summary>
    public static bool IsTypePattern(string text)
    {
        if (text == "*")
        {
            return true;
        }

        if (text.Length is 0 or > 128)
        {
            return false;
        }

        var segments = text.Split('.');
        return segments.Length >= 2 && segments.All(s => s == "*" || IsTypeSegment(s));
    }

    /// <summary>A position <c>epoch:seq</c>: epoch 1 to 64 letters, digits, '-' or '_'; seq a non-negative 64-bit integer in digits.</summary>
    public static bool TryParsePosition(string text, out string epoch, out long seq)
    {
        epoch = string.Empty;
        seq = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        epoch = text[..colon];
        var digits = text[(colon + 1)..];
        return epoch.Length <= 64 && epoch.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            && digits.Length > 0 && digits.All(char.IsAsciiDigit)
            && long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out seq);
    }

    public static bool IsPriority(string text) =>
        text.ToUpperInvariant() is "LOW" or "NORMAL" or "HIGH" or "CRITICAL" && text.All(char.IsAscii);

    private static bool IsTypeSegment(string s) =>
        s.Length > 0 && s[0] is >= 'a' and <= 'z' && s.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');

    private static bool IsTopicChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@';
}
