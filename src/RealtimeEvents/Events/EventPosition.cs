using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace RealtimeEvents;

/// <summary>
/// Where an event sits in an event log: the log instance (<see cref="Epoch"/>) and the event's
/// strictly increasing sequence number within it. Subscribers keep the last position they saw and
/// ask for everything after it when they reconnect.
/// </summary>
/// <remarks>The text form is <c>epoch:sequence</c>, for example <c>3f9c2e1b7d4a:42</c>; it is what SSE sends as <c>id:</c>.</remarks>
public readonly record struct EventPosition
{
    /// <summary>Creates a position.</summary>
    /// <param name="epoch">The log instance: 1 to 64 characters of letters, digits, '-' or '_'.</param>
    /// <param name="sequence">The sequence number within the epoch; 0 means "before the first event".</param>
    /// <exception cref="ArgumentException">The epoch is empty, too long or has other characters.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The sequence is negative.</exception>
    public EventPosition(string epoch, long sequence)
    {
        if (!EventNames.IsValidEpoch(epoch))
        {
            throw new ArgumentException(
                $"Epoch '{epoch}' is invalid: it must be 1 to 64 characters of letters, digits, '-' or '_'.", nameof(epoch));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        Epoch = epoch;
        Sequence = sequence;
    }

    /// <summary>Gets the identifier of the log instance that issued this position.</summary>
    public string Epoch { get; }

    /// <summary>Gets the sequence number within <see cref="Epoch"/>; 0 means "before the first event".</summary>
    public long Sequence { get; }

    /// <summary>Returns the text form <c>epoch:sequence</c>.</summary>
    /// <returns>The position as text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Epoch}:{Sequence}");

    /// <summary>Parses the text form <c>epoch:sequence</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The position.</returns>
    /// <exception cref="FormatException">The text is not a valid position.</exception>
    public static EventPosition Parse(string text) =>
        TryParse(text, out var position)
            ? position
            : throw new FormatException($"'{text}' is not an event position: expected 'epoch:sequence', for example '3f9c2e1b7d4a:42'.");

    /// <summary>Tries to parse the text form <c>epoch:sequence</c>.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="position">The position when parsing succeeded.</param>
    /// <returns><see langword="true"/> when <paramref name="text"/> is a valid position.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out EventPosition position)
    {
        position = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        var epoch = text[..colon];
        if (!EventNames.IsValidEpoch(epoch)
            || !long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        position = new EventPosition(epoch, sequence);
        return true;
    }
}
