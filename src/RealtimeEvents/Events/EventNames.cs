namespace RealtimeEvents;

/// <summary>
/// The naming rules for event types and topics, in one place so publishers, filters and
/// transports agree on them.
/// </summary>
public static class EventNames
{
    /// <summary>The longest event type accepted, in characters. The value is 128.</summary>
    public const int MaxTypeLength = 128;

    /// <summary>The longest topic accepted, in characters. The value is 256.</summary>
    public const int MaxTopicLength = 256;

    /// <summary>The rule an event type must follow, as stated in error messages.</summary>
    public const string TypeRule =
        "an event type is two or more lowercase segments separated by '.', such as 'execution.started'; "
        + "each segment starts with a letter and has only a-z, 0-9, '_' or '-'; at most 128 characters";

    /// <summary>The rule a topic must follow, as stated in error messages.</summary>
    public const string TopicRule =
        "a topic is one or more non-empty segments separated by '/', such as 'executions/exec-123'; "
        + "segments have only letters, digits, '-', '_', '.', ':' or '@'; at most 256 characters";

    /// <summary>Returns whether <paramref name="type"/> is a valid event type (see <see cref="TypeRule"/>).</summary>
    /// <param name="type">The candidate event type.</param>
    /// <returns><see langword="true"/> when the type is valid.</returns>
    public static bool IsValidType(string? type)
    {
        if (string.IsNullOrEmpty(type) || type.Length > MaxTypeLength)
        {
            return false;
        }

        var segments = 0;
        var start = true;
        foreach (var c in type)
        {
            if (start)
            {
                if (c is < 'a' or > 'z')
                {
                    return false;
                }

                start = false;
                segments++;
            }
            else if (c == '.')
            {
                start = true;
            }
            else if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-'))
            {
                return false;
            }
        }

        return !start && segments >= 2;
    }

    /// <summary>Returns whether <paramref name="topic"/> is a valid topic (see <see cref="TopicRule"/>).</summary>
    /// <param name="topic">The candidate topic.</param>
    /// <returns><see langword="true"/> when the topic is valid.</returns>
    public static bool IsValidTopic(string? topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > MaxTopicLength)
        {
            return false;
        }

        var segmentLength = 0;
        foreach (var c in topic)
        {
            if (c == '/')
            {
                if (segmentLength == 0)
                {
                    return false;
                }

                segmentLength = 0;
            }
            else if (IsTopicChar(c))
            {
                segmentLength++;
            }
            else
            {
                return false;
            }
        }

        return segmentLength > 0;
    }

    /// <summary>Throws when <paramref name="type"/> is not a valid event type.</summary>
    /// <param name="type">The event type to check.</param>
    /// <param name="parameterName">The parameter name reported in the exception.</param>
    /// <exception cref="ArgumentException">The type breaks <see cref="TypeRule"/>.</exception>
    public static void ThrowIfInvalidType(string? type, string parameterName = "type")
    {
        if (!IsValidType(type))
        {
            throw new ArgumentException($"Event type '{type}' is invalid: {TypeRule}.", parameterName);
        }
    }

    /// <summary>Throws when <paramref name="topic"/> is not a valid topic.</summary>
    /// <param name="topic">The topic to check.</param>
    /// <param name="parameterName">The parameter name reported in the exception.</param>
    /// <exception cref="ArgumentException">The topic breaks <see cref="TopicRule"/>.</exception>
    public static void ThrowIfInvalidTopic(string? topic, string parameterName = "topic")
    {
        if (!IsValidTopic(topic))
        {
            throw new ArgumentException($"Topic '{topic}' is invalid: {TopicRule}.", parameterName);
        }
    }

    internal static bool IsTopicChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.' or ':' or '@';

    internal static bool IsValidEpoch(string? epoch)
    {
        if (string.IsNullOrEmpty(epoch) || epoch.Length > 64)
        {
            return false;
        }

        foreach (var c in epoch)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Returns whether the type's action (its last segment) ends a piece of work: <c>completed</c>, <c>failed</c>,
    /// <c>cancelled</c> (or <c>canceled</c>) or <c>timed_out</c>.
    /// </summary>
    /// <param name="type">A valid event type.</param>
    /// <returns><see langword="true"/> for terminal events, which are never conflated away.</returns>
    public static bool IsTerminalType(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var dot = type.LastIndexOf('.');
        var action = dot < 0 ? type.AsSpan() : type.AsSpan(dot + 1);
        return action is "completed" or "failed" or "cancelled" or "canceled" or "timed_out";
    }
}
