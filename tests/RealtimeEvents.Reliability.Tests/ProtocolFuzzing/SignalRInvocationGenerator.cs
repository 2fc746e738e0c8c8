using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// A seeded generator of SignalR JSON-protocol records for the realtime hub: <c>Subscribe</c> with arguments that are not
/// objects, fields of the wrong type, huge strings, deep nesting and filters over the limits; <c>Unsubscribe</c> with ids
/// that are not strings, empty, too long or unknown; wrong argument counts, unknown methods, stream and non-blocking
/// invocations; and records SignalR cannot read. Each record comes with the answer docs/protocol.md promises. One
/// generator serves one connection; <paramref name="prefix"/> makes its subscription ids its own.
/// </summary>
internal sealed class SignalRInvocationGenerator(string epoch, string prefix)
{
    public const string Separator = "\u001e";

    /// <summary>The categories, for the figures.</summary>
    public static readonly string[] Categories =
    [
        "subscribe-valid", "subscribe-not-object", "subscribe-id-missing", "subscribe-id-bad", "subscribe-wrong-type",
        "subscribe-bad-filter", "subscribe-huge", "subscribe-deep", "subscribe-duplicate", "subscribe-snapshot",
        "unsubscribe-known", "unsubscribe-unknown", "unsubscribe-bad", "wrong-argument-count", "unknown-method",
        "stream-invocation", "non-blocking",
    ];

    /// <summary>Records SignalR cannot read; each one ends its connection, so they are rarer.</summary>
    public static readonly string[] MalformedCategories = ["malformed-json", "unknown-type", "missing-separator", "oversized-record"];

    private static readonly string[] Topics = ["fuzz/a", "fuzz/b/c", "fuzz/*", "fuzz/**", "tasks/t-1", "x:y@z/w_v-u.t"];
    private static readonly string[] Types = ["execution.started", "task.*", "*.failed", "*"];
    private static readonly string[] BadTopics = ["", "a//b", "exec-*", "a/**/b", "a b", "caf\u00e9", "/a", "a/"];
    private static readonly string[] BadTypes = ["", "Task.x", "task", "1a.b", "a..b", "a.**", "t*.x"];

    private int _nextId;

    public SignalRFuzzInput Next(Random random, IReadOnlyCollection<string> subscriptions, bool allowMalformed)
    {
        if (allowMalformed && random.Next(40) == 0)
        {
            return Malformed(random, MalformedCategories[random.Next(MalformedCategories.Length)]);
        }

        var category = Categories[random.Next(Categories.Length)];
        var invocationId = "f" + (++_nextId).ToString(CultureInfo.InvariantCulture);
        switch (category)
        {
            case "non-blocking":
            {
                var inner = Next(random, subscriptions, allowMalformed: false);
                return inner.Answer == SignalRAnswer.Reply && inner.InvocationId is not null && inner.Category != "non-blocking"
                    ? inner with { Category = "non-blocking", InvocationId = null, Record = Invocation(null, inner.Method, ArgumentsOf(inner.Record)) }
                    : inner;
            }

            case "wrong-argument-count":
            {
                var method = random.Next(2) == 0 ? "Subscribe" : "Unsubscribe";
                var arguments = random.Next(3) switch
                {
                    0 => "[]",
                    1 => """[{"id":"a"},{"id":"b"}]""",
                    _ => """["a","b","c"]""",
                };
                return new(category, Invocation(invocationId, method, arguments), invocationId, SignalRAnswer.HubError, method);
            }

            case "unknown-method":
            {
                var method = Pick(random, ["Nope", "Publish", "Ping", "Sub scribe", "OnConnectedAsync", "", new string('m', 300)]);
                return new(category, Invocation(invocationId, method, """[{"id":"a"}]"""), invocationId, SignalRAnswer.HubError, method);
            }

            case "stream-invocation":
            {
                var method = random.Next(2) == 0 ? "Subscribe" : "Unsubscribe";
                var record = $$"""{"type":4,"invocationId":"{{invocationId}}","target":"{{method}}","arguments":[{"id":"s"}]}""" + Separator;
                return new(category, record, invocationId, SignalRAnswer.HubError, method);
            }

            case "unsubscribe-known" when subscriptions.Count > 0:
            {
                var id = subscriptions.ElementAt(random.Next(subscriptions.Count));
                return Reply(category, invocationId, "Unsubscribe", "[" + Json(id) + "]", null, id);
            }

            case "unsubscribe-known" or "unsubscribe-unknown":
            {
                var id = "unknown-" + RandomText(random, random.Next(1, 20));
                return Reply("unsubscribe-unknown", invocationId, "Unsubscribe", "[" + Json(id) + "]", "unknown_subscription", id);
            }

            case "unsubscribe-bad":
            {
                var argument = Pick(random, ["5", "null", "true", "[]", "{}", "\"\"", Json(new string('u', 129)), Json(new string('u', 5000)), "{\"id\":\"a\"}", "1.5e300"]);
                return Reply(category, invocationId, "Unsubscribe", "[" + argument + "]", "invalid_field", null);
            }

            case "subscribe-not-object":
            {
                var argument = Pick(random, ["42", "-0.0", "1e308", "\"tasks/a\"", "[]", "[\"x\"]", "[{\"id\":\"a\"}]", "null", "true", "false", Json(new string('s', 10_000))]);
                return Reply(category, invocationId, "Subscribe", "[" + argument + "]", "malformed_message", null);
            }

            case "subscribe-id-missing":
            {
                var argument = Pick(random, ["{}", """{"topics":["fuzz/a"]}""", """{"id":null}""", """{"ID":"a"}""", """{"Id":"a","topics":[]}"""]);
                return Reply(category, invocationId, "Subscribe", "[" + argument + "]", "missing_field", null);
            }

            case "subscribe-id-bad":
            {
                var id = Pick(random, ["5", "true", "[]", "{}", "\"\"", "[\"a\"]", Json(new string('i', 129)), Json(new string('i', 20_000)), "1.0"]);
                return Reply(category, invocationId, "Subscribe", "[{\"id\":" + id + ",\"topics\":[\"fuzz/a\"]}]", "invalid_field", null);
            }

            case "subscribe-wrong-type":
            {
                var id = FreshId(random);
                var field = Pick(random, [
                    "\"topics\":\"fuzz/a\"", "\"topics\":5", "\"topics\":[1]", "\"topics\":[null]", "\"topics\":{}", "\"topics\":[[\"fuzz/a\"]]",
                    "\"types\":\"task.*\"", "\"types\":[true]", "\"minPriority\":5", "\"minPriority\":\"urgent\"", "\"minPriority\":\"\"",
                    "\"minPriority\":[\"low\"]", "\"meta\":\"k:v\"", "\"meta\":[]", "\"meta\":{\"k\":5}", "\"meta\":{\"k\":null}",
                    "\"resumeAfter\":5", "\"resumeAfter\":\"garbage\"", "\"resumeAfter\":\"\"", "\"resumeAfter\":\"e:-1\"",
                    "\"resumeAfter\":\"e:99999999999999999999\"", "\"snapshot\":\"true\"", "\"snapshot\":1", "\"snapshot\":[]",
                ]);
                return Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + "," + field + "}]", "invalid_field", id);
            }

            case "subscribe-bad-filter":
            {
                var id = FreshId(random);
                var field = random.Next(6) switch
                {
                    0 => "\"topics\":[" + Json(Pick(random, BadTopics)) + "]",
                    1 => "\"types\":[" + Json(Pick(random, BadTypes)) + "]",
                    2 => "\"topics\":[" + string.Join(',', Enumerable.Range(0, 65).Select(i => Json("many/t" + i.ToString(CultureInfo.InvariantCulture)))) + "]",
                    3 => "\"types\":[" + string.Join(',', Enumerable.Range(0, 33).Select(i => Json("many.t" + i.ToString(CultureInfo.InvariantCulture)))) + "]",
                    4 => "\"meta\":{" + string.Join(',', Enumerable.Range(0, 17).Select(i => Json("k" + i.ToString(CultureInfo.InvariantCulture)) + ":\"v\"")) + "}",
                    _ => "\"meta\":{" + Json(random.Next(2) == 0 ? new string('k', 65) : "k") + ":" + Json(random.Next(2) == 0 ? "v" : new string('v', 1025)) + "}",
                };
                var valid = field.StartsWith("\"meta\":{\"k\":\"v\"}", StringComparison.Ordinal);
                return Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + "," + field + "}]", null, id, valid ? null : "invalid_subscription");
            }

            case "subscribe-huge":
            {
                var id = FreshId(random);
                var huge = new string('h', random.Next(10_000, 25_000));
                return random.Next(3) switch
                {
                    0 => Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + ",\"topics\":[" + Json("fuzz/" + huge) + "]}]", null, id, "invalid_subscription"),
                    1 => Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + ",\"topics\":[\"fuzz/a\"],\"unknown\":" + Json(huge) + "}]", null, id),
                    _ => Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + ",\"minPriority\":" + Json(huge) + "}]", "invalid_field", id),
                };
            }

            case "subscribe-deep":
            {
                // SignalR reads the whole record with System.Text.Json's default depth of 64; these stay below it.
                var id = FreshId(random);
                var depth = random.Next(2, 50);
                var nested = new string('[', depth) + new string(']', depth);
                return random.Next(2) == 0
                    ? Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + ",\"topics\":[\"fuzz/a\"],\"extra\":" + nested + "}]", null, id)
                    : Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + ",\"topics\":" + nested + "}]", "invalid_field", id);
            }

            case "subscribe-duplicate" when subscriptions.Count > 0:
            {
                var id = subscriptions.ElementAt(random.Next(subscriptions.Count));
                return Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + ",\"topics\":[\"fuzz/a\"]}]", null, id);
            }

            case "subscribe-snapshot":
            {
                var id = FreshId(random);
                return Reply(category, invocationId, "Subscribe", "[{\"id\":" + Json(id) + ",\"topics\":[\"fuzz/a\"],\"snapshot\":true}]", null, id, "snapshot_unavailable");
            }

            default:
            {
                var id = FreshId(random);
                var fields = new List<string> { "\"id\":" + Json(id) };
                if (random.Next(2) == 0)
                {
                    fields.Add("\"topics\":[" + string.Join(',', Enumerable.Range(0, random.Next(0, 4)).Select(_ => Json(Pick(random, Topics)))) + "]");
                }

                if (random.Next(2) == 0)
                {
                    fields.Add("\"types\":[" + string.Join(',', Enumerable.Range(0, random.Next(0, 3)).Select(_ => Json(Pick(random, Types)))) + "]");
                }

                if (random.Next(3) == 0)
                {
                    fields.Add("\"minPriority\":" + Pick(random, ["\"low\"", "\"NORMAL\"", "\"High\"", "\"critical\"", "null"]));
                }

                if (random.Next(3) == 0)
                {
                    fields.Add("\"meta\":" + Pick(random, ["{}", "{\"tenant\":\"acme\"}", "null", "{\"k\":\"\"}"]));
                }

                if (random.Next(3) == 0)
                {
                    fields.Add("\"resumeAfter\":" + Pick(random, [Json(epoch + ":0"), "\"other-epoch:5\"", "null"]));
                }

                if (random.Next(4) == 0)
                {
                    fields.Add("\"snapshot\":" + Pick(random, ["false", "null"]));
                }

                return Reply("subscribe-valid", invocationId, "Subscribe", "[{" + string.Join(',', fields) + "}]", null, id);
            }
        }
    }

    private static SignalRFuzzInput Malformed(Random random, string category) => category switch
    {
        "malformed-json" => new(category, Pick(random, ["{bad", "{\"type\":1,", "]", "{\"type\":\"1\",\"target\":\"Subscribe\",\"arguments\":[{}]}", "\u00ff\u00fe"]) + Separator,
            null, SignalRAnswer.ConnectionEnds, string.Empty),
        "unknown-type" => new(category, "{\"type\":" + Pick(random, ["99", "0", "12", "100"]) + "}" + Separator, null, SignalRAnswer.Wedged, string.Empty),
        "missing-separator" => new(category, "{\"type\":1,\"invocationId\":\"m1\",\"target\":\"Unsubscribe\",\"arguments\":[\"x\"]}"
            + "{\"type\":1,\"invocationId\":\"m2\",\"target\":\"Unsubscribe\",\"arguments\":[\"y\"]}" + Separator, null, SignalRAnswer.PartlyRead, "Unsubscribe", ReplyId: "x"),
        _ => new(category, Invocation("big", "Subscribe", "[{\"id\":\"big\",\"x\":" + Json(new string('o', random.Next(33_000, 60_000))) + "}]"),
            null, SignalRAnswer.ConnectionEnds, string.Empty),
    };

    private static SignalRFuzzInput Reply(string category, string invocationId, string method, string arguments, string? code, string? replyId, string? filterCode = null) =>
        new(category, Invocation(invocationId, method, arguments), invocationId, SignalRAnswer.Reply, method, code, replyId, filterCode);

    public static string Invocation(string? invocationId, string method, string arguments) =>
        "{\"type\":1," + (invocationId is null ? string.Empty : "\"invocationId\":" + Json(invocationId) + ",")
        + "\"target\":" + Json(method) + ",\"arguments\":" + arguments + "}" + Separator;

    /// <summary>The arguments array of a record made by <see cref="Invocation"/>.</summary>
    private static string ArgumentsOf(string record)
    {
        using var document = JsonDocument.Parse(record.TrimEnd('\u001e'));
        return document.RootElement.GetProperty("arguments").GetRawText();
    }

    private string FreshId(Random random) =>
        prefix + (++_nextId).ToString(CultureInfo.InvariantCulture) + (random.Next(4) == 0 ? "-" + RandomText(random, random.Next(1, 30)) : string.Empty);

    private static string Json(string text) => JsonSerializer.Serialize(text);

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static string RandomText(Random random, int length)
    {
        const string alphabet = "abcXYZ019-_.:@/ %&=+?#*,;\"'<>\\\u00e9\u00fc\u4e2d\u0430";
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return text.ToString();
    }
}
