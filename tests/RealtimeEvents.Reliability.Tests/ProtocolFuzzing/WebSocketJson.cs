using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// Seeded pieces of client messages for the fuzz generator: ids, topics, type patterns and positions that are valid or
/// invalid by construction (the rules of docs/protocol.md and configuration.md, not the server's own validators), and
/// JSON text built by hand so that wrong types, nulls and odd encodings can be written.
/// </summary>
internal sealed class WebSocketJson(Random random)
{
    private const string IdChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/ @#!~é中ß";
    private const string SegmentChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@";
    private const string TypeChars = "abcdefghijklmnopqrstuvwxyz0123456789_-";
    private const string EpochChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    private long _serial;

    /// <summary>A JSON string literal (escaped by System.Text.Json: non-ASCII as \uXXXX).</summary>
    public static string Str(string value) => JsonSerializer.Serialize(value);

    /// <summary>A JSON string literal with its non-ASCII characters written raw, as UTF-8 (only for text needing no escape).</summary>
    public static string RawStr(string value) => "\"" + value + "\"";

    /// <summary>A JSON array of strings.</summary>
    public static string Array(IEnumerable<string> values) => "[" + string.Join(',', values.Select(Str)) + "]";

    /// <summary>A JSON object from name/JSON-value pairs, in order; a null value leaves the field out.</summary>
    public static string Object(params (string Name, string? Json)[] fields) =>
        "{" + string.Join(',', fields.Where(f => f.Json is not null).Select(f => Str(f.Name) + ":" + f.Json)) + "}";

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    public T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    public bool Chance(double p) => random.NextDouble() < p;

    public string Text(string alphabet, int length)
    {
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return builder.ToString();
    }

    /// <summary>A subscription id never used before on this generator: 1 to 128 characters (all in the BMP, so characters and UTF-16 units agree).</summary>
    public string FreshId()
    {
        var serial = (++_serial).ToString(CultureInfo.InvariantCulture);
        var length = random.Next(0, 4) == 0 ? 128 : random.Next(serial.Length + 1, 24);
        return serial + "~" + Text(IdChars, length - serial.Length - 1);
    }

    /// <summary>An id that breaks the 1-to-128 rule: empty or longer.</summary>
    public string InvalidId() => Chance(0.3) ? string.Empty : Text(IdChars, random.Next(129, 400));

    /// <summary>A valid exact topic under <c>fuzz/</c>, so it never matches the control stream.</summary>
    public string FuzzTopic() => "fuzz/" + string.Join('/', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Text(SegmentChars, random.Next(1, 12))));

    /// <summary>A valid topic or topic pattern whose first segment is <c>fuzz</c>.</summary>
    public string FuzzTopicOrPattern() => random.Next(4) switch
    {
        0 => "fuzz/**",
        1 => "fuzz/*/" + Text(SegmentChars, random.Next(1, 8)),
        2 => FuzzTopic() + "/**",
        _ => FuzzTopic(),
    };

    /// <summary>A topic or pattern that breaks a rule of configuration.md (Topics, Naming rules).</summary>
    public string InvalidTopic() => random.Next(8) switch
    {
        0 => string.Empty,
        1 => "fuzz//a",
        2 => "fuzz/a b",
        3 => "fuzz/exec-*",
        4 => "fuzz/**/x",
        5 => "fuzz/" + new string('a', 252), // 257 characters
        6 => "fuzz/é",
        _ => "/fuzz",
    };

    /// <summary>A valid type pattern of the <c>fuzz</c> category, so it never matches the control stream.</summary>
    public string FuzzType() => random.Next(3) switch
    {
        0 => "fuzz.*",
        1 => "fuzz." + (char)('a' + random.Next(26)) + Text(TypeChars, random.Next(0, 10)),
        _ => "fuzz.*.x",
    };

    /// <summary>A type pattern that breaks the type rule.</summary>
    public string InvalidType() => random.Next(7) switch
    {
        0 => string.Empty,
        1 => "Fuzz.A",
        2 => "fuzz",
        3 => "fuzz.*x",
        4 => "1fuzz.a",
        5 => "fuzz." + new string('a', 124), // 129 characters
        _ => "fuzz..a",
    };

    /// <summary>A valid position: an epoch of 1 to 64 letters, digits, '-' or '_', and a sequence.</summary>
    public string Position() =>
        Text(EpochChars, random.Next(1, 65)) + ":" + random.NextInt64(0, long.MaxValue).ToString(CultureInfo.InvariantCulture);

    /// <summary>Text that is not a position.</summary>
    public string InvalidPosition() => random.Next(9) switch
    {
        0 => string.Empty,
        1 => "yesterday",
        2 => ":5",
        3 => "abc:",
        4 => "abc:-1",
        5 => "abc:1.5",
        6 => "a b:1",
        7 => new string('e', 65) + ":1",
        _ => "abc:99999999999999999999",
    };

    /// <summary>A priority name in any case.</summary>
    public string Priority()
    {
        var name = Pick(["low", "normal", "high", "critical"]);
        return new string(name.Select(c => Chance(0.3) ? char.ToUpperInvariant(c) : c).ToArray());
    }

    /// <summary>Not a priority name.</summary>
    public string InvalidPriority() => Pick(["urgent", "", "lowest", " low", "normal ", "2", "medium", "LOW!"]);

    /// <summary>A JSON value of a type other than string.</summary>
    public string NotString() => Pick(["42", "-1.5e3", "true", "false", "[]", "[\"x\"]", "{}", "{\"a\":1}"]);

    /// <summary>A JSON value that is not an array of strings.</summary>
    public string NotStringArray() => Pick(["\"fuzz/a\"", "7", "true", "{}", "[1]", "[\"fuzz/a\",2]", "[null]", "[[]]", "[{}]", "[true]"]);

    /// <summary>A JSON value that is not an object of string values.</summary>
    public string NotStringMap() => Pick(["\"k:v\"", "3", "false", "[]", "[\"a\"]", "{\"k\":1}", "{\"k\":null}", "{\"k\":true}", "{\"k\":{}}", "{\"k\":[\"v\"]}"]);

    /// <summary>A JSON value that is neither true nor false (nor null).</summary>
    public string NotBoolean() => Pick(["\"true\"", "1", "0", "[]", "{}", "\"false\""]);

    /// <summary>A valid meta object with <paramref name="count"/> entries, always including <c>fuzz</c>.</summary>
    public string Meta(int count) => "{" + string.Join(',', Enumerable.Range(0, count)
        .Select(i => Str(i == 0 ? "fuzz" : "k" + i.ToString(CultureInfo.InvariantCulture) + "~" + Text(SegmentChars, random.Next(0, 10))) // '~': keys stay distinct
            + ":" + Str(Text(IdChars, random.Next(0, 20))))) + "}";

    /// <summary>A meta object with one entry that breaks the meta rules (key 1 to 64 characters, value at most 1024).</summary>
    public string InvalidMeta() => random.Next(3) switch
    {
        0 => "{\"fuzz\":\"1\",\"\":\"v\"}",
        1 => "{" + Str(new string('k', 65)) + ":\"v\"}",
        _ => "{\"fuzz\":" + Str(new string('v', 1025)) + "}",
    };
}
