using System.Globalization;

namespace RealtimeEvents.SampleHost.Engine;

/// <summary>How executions are ordered, as app.js orders them: ids by their number ("exec-a-10" after "exec-a-9").</summary>
public static class ExecutionIds
{
    /// <summary>Gets <see cref="Compare"/> as a comparer.</summary>
    public static IComparer<string> Comparer { get; } = Comparer<string>.Create(Compare);

    /// <summary>Compares two ids: by their text before the trailing number, then by that number.</summary>
    public static int Compare(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return string.CompareOrdinal(a, b);
        }

        var (prefixA, numberA) = Split(a);
        var (prefixB, numberB) = Split(b);
        var byPrefix = string.CompareOrdinal(prefixA, prefixB);
        if (byPrefix != 0 || numberA is null || numberB is null)
        {
            return byPrefix != 0 ? byPrefix : string.CompareOrdinal(a, b);
        }

        return numberA.Value.CompareTo(numberB.Value);
    }

    /// <summary>Newest first: the later start first, then the larger id.</summary>
    public static int NewestFirst(ExecutionState a, ExecutionState b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var byTime = b.StartedAt.CompareTo(a.StartedAt);
        return byTime != 0 ? byTime : Compare(b.Id, a.Id);
    }

    private static (string Prefix, long? Number) Split(string id)
    {
        var start = id.Length;
        while (start > 0 && char.IsAsciiDigit(id[start - 1]))
        {
            start--;
        }

        return start < id.Length && long.TryParse(id.AsSpan(start), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? (id[..start], number)
            : (id, null);
    }
}
