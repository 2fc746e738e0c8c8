using System.Globalization;
using System.Text;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>One generated SSE request: the raw path and query as sent, the <c>Last-Event-ID</c> header, and what it exercises.</summary>
internal sealed record SseQueryCase(int Index, string Category, string PathAndQuery, string? LastEventId)
{
    public override string ToString() =>
        $"#{Index} [{Category}] GET {(PathAndQuery.Length > 300 ? PathAndQuery[..300] + $"...({PathAndQuery.Length} chars)" : PathAndQuery)}"
        + (LastEventId is null ? string.Empty : $" Last-Event-ID: {(LastEventId.Length > 100 ? LastEventId[..100] + "..." : LastEventId)}");
}

/// <summary>
/// A seeded generator of <c>GET /realtime/sse?...</c> requests: case <c>i</c> of a seed is always the same request, so one
/// failing case can be replayed alone. Each case starts from a valid subscription and applies one kind of damage (or none).
/// </summary>
internal sealed class SseQueryGenerator(int seed, string epoch)
{
    /// <summary>Every category, for the figures: the generator picks them evenly.</summary>
    public static readonly string[] Categories =
    [
        "valid", "bad-topic", "bad-type", "too-many-topics", "too-many-types", "too-many-meta", "bad-min-priority",
        "bad-meta-format", "bad-meta-entry", "since-garbage", "since-other-epoch", "since-future", "since-valid",
        "last-event-id", "snapshot", "id-length", "repeated", "unknown-parameter", "percent-garbage", "long-values",
        "empty-names", "thousands-of-parameters", "kestrel-limits", "name-case",
    ];

    private static readonly string[] ValidTopics =
    [
        "executions/exec-1", "tasks/t-7", "a", "A.b:c@d/e_f-g", "fuzz/x/y", "snap", "snap/a", "snap/a/b", "snapfail/x",
        "control/other", "executions/*", "executions/**", "**", "*", "*/a/**", "snap/**", "snapfail/**", "fuzz/*/z",
    ];

    private static readonly string[] InvalidTopics =
    [
        "", "a//b", "/a", "a/", "exec-*", "a/**/b", "a b", "caf\u00e9", "%", "a/*x", "***", "a/***", "a\u0000b", "a\tb",
        "a?b", "a#b", "a,b", "\u0430", "a/" + new string('x', 300), "x/" + new string('y', 255) + "/**",
    ];

    private static readonly string[] ValidTypes =
    [
        "execution.started", "execution.*", "*.failed", "*", "a.b.c", "a1.b_c-d", "*.*", "task.progress", "x.*.z",
    ];

    private static readonly string[] InvalidTypes =
    [
        "", "Execution.started", "execution", "1a.b", "a..b", "a.", ".a", "exec*.x", "**", "a.**", "a.b c", "a.B", "_a.b",
        "a.b" + new string('c', 127), "a.\u00e9",
    ];

    private static readonly string[] GarbagePositions =
    [
        "garbage", "epoch", ":5", "e:", "e:-1", "e:+1", "e: 1", "e:1 ", "e:99999999999999999999", new string('e', 65) + ":1",
        "e.x:1", "e:1.5", "e:0x10", "e::1", "e:1:", ",", "e:1,e:2", "\u00e9:1", "e:\u0661",
    ];

    private static readonly string[] Percent = ["%", "%G1", "%FF", "%C3", "%E2%82", "%2", "%%", "+", "%00", "%C3%A9", "%ZZ", "%fe%ff"];

    private static readonly string[] UnknownNames = ["foo", "access_token", "topics", "types", "priority", "resumeAfter", "op", "callback", "_"];

    /// <summary>The epoch of the host's log, which valid positions use.</summary>
    public string Epoch => epoch;

    public SseQueryCase Generate(int index, long currentSeq)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index));
        var category = Categories[random.Next(Categories.Length)];
        var query = new List<string>();
        string? lastEventId = null;
        AddValidBase(random, query, withId: category is not ("id-length" or "repeated"));

        switch (category)
        {
            case "bad-topic":
                Insert(random, query, Pair("topic", Pick(random, InvalidTopics)));
                break;
            case "bad-type":
                Insert(random, query, Pair("type", Pick(random, InvalidTypes)));
                break;
            case "too-many-topics":
                // Around the limit of 64 distinct entries, with duplicates that do not count.
                var topics = random.Next(60, 70);
                for (var i = 0; i < topics; i++)
                {
                    query.Add(Pair("topic", "many/t" + i.ToString(CultureInfo.InvariantCulture)));
                    if (random.Next(8) == 0)
                    {
                        query.Add(Pair("topic", "many/t" + i.ToString(CultureInfo.InvariantCulture)));
                    }
                }

                break;
            case "too-many-types":
                var types = random.Next(29, 36);
                for (var i = 0; i < types; i++)
                {
                    query.Add(Pair("type", "many.t" + i.ToString(CultureInfo.InvariantCulture)));
                    if (random.Next(8) == 0)
                    {
                        query.Add(Pair("type", "many.t" + i.ToString(CultureInfo.InvariantCulture)));
                    }
                }

                break;
            case "too-many-meta":
                var metas = random.Next(13, 20);
                for (var i = 0; i < metas; i++)
                {
                    query.Add(Pair("meta", "k" + i.ToString(CultureInfo.InvariantCulture) + ":v"));
                    if (random.Next(6) == 0)
                    {
                        query.Add(Pair("meta", "k" + i.ToString(CultureInfo.InvariantCulture) + ":other")); // same key: the last one counts
                    }
                }

                break;
            case "bad-min-priority":
                Insert(random, query, Pair("minPriority", Pick(random, ["", "urgent", "0", "1", " low", "low ", "lowest", "NORMAL", "High", "cRiTiCaL", "none", "null"])));
                break;
            case "bad-meta-format":
                Insert(random, query, Pair("meta", Pick(random, ["", "k", ":v", ":", "tenant=acme", "k:v", "k:", "k:a:b", ":k:v"])));
                break;
            case "bad-meta-entry":
                Insert(random, query, Pair("meta", random.Next(2) == 0
                    ? new string('k', random.Next(63, 67)) + ":v"
                    : "k:" + new string('v', random.Next(1022, 1027))));
                break;
            case "since-garbage":
                Insert(random, query, Pair("since", Pick(random, GarbagePositions)));
                break;
            case "since-other-epoch":
                Insert(random, query, Pair("since", Pick(random, ["other-epoch_1", "x", new string('z', 64)]) + ":" + random.Next(0, 1000).ToString(CultureInfo.InvariantCulture)));
                break;
            case "since-future":
                Insert(random, query, Pair("since", epoch + ":" + Pick(random, [long.MaxValue.ToString(CultureInfo.InvariantCulture), "9000000000", "1000000000000"])));
                break;
            case "since-valid":
                Insert(random, query, Pair("since", epoch + ":" + random.NextInt64(0, currentSeq + 1).ToString(CultureInfo.InvariantCulture)));
                break;
            case "last-event-id":
                lastEventId = random.Next(4) switch
                {
                    0 => epoch + ":" + random.NextInt64(0, currentSeq + 1).ToString(CultureInfo.InvariantCulture),
                    1 => "other:7",
                    2 => Pick(random, GarbagePositions.Where(p => p.All(c => c is >= ' ' and < '\u007f') && p.Trim().Length > 0 && p.Trim() == p).ToArray()),
                    _ => epoch + ":" + long.MaxValue.ToString(CultureInfo.InvariantCulture),
                };
                if (random.Next(2) == 0)
                {
                    Insert(random, query, Pair("since", Pick(random, GarbagePositions))); // the header wins: since is not even read
                }

                break;
            case "snapshot":
                Insert(random, query, Pair("snapshot", Pick(random, ["true", "TRUE", "True", "false", "FALSE", "", "yes", "1", "0", "tru", "true,false"])));
                if (random.Next(2) == 0)
                {
                    Insert(random, query, Pair("since", epoch + ":0")); // ignored with a snapshot
                }

                break;
            case "id-length":
                Insert(random, query, Pair("id", RandomText(random, Pick(random, [0, 1, 2, 127, 128, 129, 130, 500]))));
                break;
            case "repeated":
                var name = Pick(random, ["id", "since", "snapshot", "minPriority", "topic", "type", "meta"]);
                var value = name switch
                {
                    "id" => "dup",
                    "since" => epoch + ":0",
                    "snapshot" => "false",
                    "minPriority" => "low",
                    "topic" => "dup/t",
                    "type" => "dup.t",
                    _ => "dup:v",
                };
                Insert(random, query, Pair(name, value));
                Insert(random, query, Pair(random.Next(2) == 0 ? name : name.ToUpperInvariant(), random.Next(2) == 0 ? value : value + "2"));
                break;
            case "unknown-parameter":
                for (var i = random.Next(1, 5); i > 0; i--)
                {
                    Insert(random, query, Pair(Pick(random, UnknownNames), RandomText(random, random.Next(0, 20))));
                }

                break;
            case "percent-garbage":
                var target = Pick(random, ["topic", "type", "meta", "id", "since", "minPriority", "snapshot", "zzz"]);
                var raw = new StringBuilder(target == "meta" ? "k:" : string.Empty);
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    raw.Append(random.Next(2) == 0 ? "a" : string.Empty).Append(Pick(random, Percent));
                }

                Insert(random, query, (random.Next(4) == 0 ? Pick(random, Percent) : string.Empty) + target + "=" + raw);
                break;
            case "long-values":
                var longName = Pick(random, ["topic", "type", "meta", "id", "since", "zzz"]);
                var length = Pick(random, [255, 256, 257, 1000, 3000, 6000]);
                Insert(random, query, Pair(longName, longName switch
                {
                    "topic" => "l/" + new string('t', length - 2),
                    "type" => "l." + new string('t', length - 2),
                    "meta" => "k:" + new string('v', length - 2),
                    "since" => epoch + ":" + new string('1', length),
                    _ => new string('x', length),
                }));
                break;
            case "empty-names":
                for (var i = random.Next(1, 6); i > 0; i--)
                {
                    Insert(random, query, Pick(random, ["", "=", "=x", "&", "==", "=topic", "topic", "meta", "id", "type"]));
                }

                break;
            case "thousands-of-parameters":
                var count = random.Next(1000, 3000);
                var kind = random.Next(3);
                for (var i = 0; i < count; i++)
                {
                    query.Add(kind switch
                    {
                        0 => "z",
                        1 => "topic=d",
                        _ => "q" + (i % 10).ToString(CultureInfo.InvariantCulture) + "=",
                    });
                }

                break;
            case "kestrel-limits":
                if (random.Next(2) == 0)
                {
                    query.Add(Pair("zzz", new string('x', random.Next(9_000, 20_000)))); // beyond the 8 KiB request line
                }
                else
                {
                    lastEventId = epoch + ":" + new string('1', random.Next(33_000, 40_000)); // beyond 32 KiB of headers
                }

                break;
            case "name-case":
                query = [.. query.Select(p => random.Next(2) == 0 ? p : RandomCase(random, p[..Math.Max(0, p.IndexOf('=', StringComparison.Ordinal))]) + p[Math.Max(0, p.IndexOf('=', StringComparison.Ordinal))..])];
                break;
            default:
                break; // valid
        }

        Shuffle(random, query);
        return new SseQueryCase(index, category, "/realtime/sse" + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query)), lastEventId);
    }

    private static void AddValidBase(Random random, List<string> query, bool withId)
    {
        for (var i = random.Next(0, 4); i > 0; i--)
        {
            query.Add(Pair("topic", Pick(random, ValidTopics)));
        }

        for (var i = random.Next(0, 3); i > 0; i--)
        {
            query.Add(Pair("type", Pick(random, ValidTypes)));
        }

        for (var i = random.Next(0, 3); i > 0; i--)
        {
            query.Add(Pair("meta", Pick(random, ["tenant:acme", "region:eu", "k:", "a:b:c", "x:" + RandomText(random, 5)])));
        }

        if (random.Next(3) == 0)
        {
            query.Add(Pair("minPriority", Pick(random, ["low", "normal", "high", "critical", "Normal"])));
        }

        if (withId && random.Next(3) == 0)
        {
            query.Add(Pair("id", RandomText(random, random.Next(1, 40))));
        }

        if (random.Next(5) == 0)
        {
            query.Add(Pair("snapshot", "false"));
        }
    }

    private static string Pair(string name, string value) => Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value);

    private static void Insert(Random random, List<string> query, string pair) => query.Insert(random.Next(query.Count + 1), pair);

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static void Shuffle(Random random, List<string> query)
    {
        for (var i = query.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (query[i], query[j]) = (query[j], query[i]);
        }
    }

    /// <summary>Text from a mix of ASCII, punctuation and non-ASCII letters (no surrogates, so a character is a UTF-16 unit).</summary>
    private static string RandomText(Random random, int length)
    {
        const string alphabet = "abcXYZ019-_.:@/ %&=+?#*,;\"'<>\\\u00e9\u00fc\u4e2d\u0430";
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static string RandomCase(Random random, string text) =>
        string.Concat(text.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)));
}
