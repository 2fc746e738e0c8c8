using System.Globalization;
using System.Text;
using RealtimeEvents.Protocol;
using static RealtimeEvents.Reliability.Tests.ProtocolFuzzing.WebSocketJson;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// A seeded generator of malformed and hostile WebSocket client input, every category of issue 9's protocol fuzzing,
/// each input labelled by construction with what docs/protocol.md says it is (<see cref="WebSocketFuzzInput"/>).
/// Valid subscriptions always name a <c>fuzz</c> topic, type or meta entry, so they never receive the control stream.
/// </summary>
internal sealed partial class WebSocketFuzzGenerator(Random random, int maxMessageBytes, int maxProtocolViolations)
{
    // Relative weights of a draw. The two flood sequences are rare draws: each is 100 to 300 inputs long.
    private static readonly (WebSocketFuzzCategory Category, int Weight)[] Weights =
    [
        (WebSocketFuzzCategory.Valid, 140), (WebSocketFuzzCategory.RandomBytes, 50), (WebSocketFuzzCategory.TruncatedJson, 60),
        (WebSocketFuzzCategory.DeepNesting, 50), (WebSocketFuzzCategory.HugeValues, 30), (WebSocketFuzzCategory.WrongTypes, 120),
        (WebSocketFuzzCategory.UnknownOp, 50), (WebSocketFuzzCategory.MissingOpOrId, 50), (WebSocketFuzzCategory.DuplicateId, 40),
        (WebSocketFuzzCategory.InvalidId, 50), (WebSocketFuzzCategory.InvalidValues, 100), (WebSocketFuzzCategory.TooManyEntries, 30),
        (WebSocketFuzzCategory.Oversized, 10), (WebSocketFuzzCategory.Binary, 40), (WebSocketFuzzCategory.Fragmented, 60),
        (WebSocketFuzzCategory.TooManyFragments, 10), (WebSocketFuzzCategory.ControlFrameFlood, 20), (WebSocketFuzzCategory.InvalidUtf8, 10),
        (WebSocketFuzzCategory.LoneSurrogate, 20), (WebSocketFuzzCategory.AbusiveSubscribes, 2), (WebSocketFuzzCategory.PingFlood, 2),
        (WebSocketFuzzCategory.FrameGarbage, 10),
    ];

    private static readonly int TotalWeight = Weights.Sum(w => w.Weight);

    private readonly Random _random = random;
    private readonly int _maxMessageBytes = maxMessageBytes;
    private readonly int _maxProtocolViolations = maxProtocolViolations;
    private readonly WebSocketJson _json = new(random);

    /// <summary>Gets how often a run of violations past the limit is generated: only where the limit is small.</summary>
    private int PastTheLimitWeight => _maxProtocolViolations <= 20 ? 40 : 0;

    /// <summary>The next input sequence (usually one input) for a connection whose oracle is <paramref name="oracle"/>.</summary>
    public IReadOnlyList<WebSocketFuzzInput> Next(WebSocketConnectionOracle oracle)
    {
        var roll = _random.Next(TotalWeight + PastTheLimitWeight);
        if (roll >= TotalWeight)
        {
            return Generate(WebSocketFuzzCategory.ViolationsPastTheLimit, oracle);
        }

        foreach (var (category, weight) in Weights)
        {
            if ((roll -= weight) < 0)
            {
                return Generate(category, oracle);
            }
        }

        throw new InvalidOperationException("Weights do not add up.");
    }

    public IReadOnlyList<WebSocketFuzzInput> Generate(WebSocketFuzzCategory category, WebSocketConnectionOracle oracle) => category switch
    {
        WebSocketFuzzCategory.Valid => [Valid(oracle)],
        WebSocketFuzzCategory.RandomBytes => [RandomBytes()],
        WebSocketFuzzCategory.TruncatedJson => [Truncated(oracle)],
        WebSocketFuzzCategory.DeepNesting => [DeepNesting()],
        WebSocketFuzzCategory.HugeValues => [Huge(oversized: false)],
        WebSocketFuzzCategory.WrongTypes => [WrongType()],
        WebSocketFuzzCategory.UnknownOp => [UnknownOp()],
        WebSocketFuzzCategory.MissingOpOrId => [MissingOpOrId()],
        WebSocketFuzzCategory.DuplicateId => Duplicate(oracle),
        WebSocketFuzzCategory.InvalidId => [InvalidId()],
        WebSocketFuzzCategory.InvalidValues => [InvalidValue()],
        WebSocketFuzzCategory.TooManyEntries => [TooManyEntries()],
        WebSocketFuzzCategory.Oversized => [Huge(oversized: true)],
        WebSocketFuzzCategory.Binary => [Binary()],
        WebSocketFuzzCategory.Fragmented => [Fragmented(oracle)],
        WebSocketFuzzCategory.TooManyFragments => [TooManyFragments(oracle)],
        WebSocketFuzzCategory.ControlFrameFlood => [PingFrames()],
        WebSocketFuzzCategory.InvalidUtf8 => [InvalidUtf8()],
        WebSocketFuzzCategory.LoneSurrogate => [LoneSurrogate()],
        WebSocketFuzzCategory.AbusiveSubscribes => AbusiveSubscribes(oracle),
        WebSocketFuzzCategory.PingFlood => PingFlood(),
        WebSocketFuzzCategory.FrameGarbage => [FrameGarbage()],
        WebSocketFuzzCategory.ViolationsPastTheLimit => PastTheLimit(oracle),
        _ => throw new ArgumentOutOfRangeException(nameof(category)),
    };

    private static WebSocketFuzzInput Text(WebSocketFuzzCategory category, string json, TextMeaning meaning) =>
        new(category, WebSocketFuzzKind.Text) { Payload = Utf8(json), Meaning = meaning, Describe = json.Length > 300 ? json[..300] + "…" : json };

    /// <summary>A valid ping, subscribe or unsubscribe; nulls and unknown fields included, as the docs allow.</summary>
    private WebSocketFuzzInput Valid(WebSocketConnectionOracle oracle, WebSocketFuzzCategory category = WebSocketFuzzCategory.Valid)
    {
        switch (_random.Next(4))
        {
            case 0:
                var id = _json.Chance(0.3) ? null : _json.FreshId();
                var json = Object(("op", Str(RealtimeProtocol.Ping)), ("id", id is null ? (_json.Chance(0.5) ? "null" : null) : Str(id)),
                    ("extra", _json.Chance(0.2) ? "{\"ignored\":[1,2,3]}" : null));
                return Text(category, json, new TextMeaning.Ping(id));
            case 1:
                var held = oracle.Subscriptions.Count > 0 && _json.Chance(0.7) ? _json.Pick(oracle.Subscriptions.ToList()) : _json.FreshId();
                return Text(category, Object(("op", Str(RealtimeProtocol.Unsubscribe)), ("id", Str(held))), new TextMeaning.Unsubscribe(held));
            default:
                return Subscribe(category, _json.FreshId());
        }
    }

    /// <summary>A well-formed subscribe whose filter is valid unless a part is made invalid by <paramref name="broken"/>.</summary>
    private WebSocketFuzzInput Subscribe(WebSocketFuzzCategory category, string id, string? broken = null)
    {
        // One of topics, types or meta always excludes the control stream; the others vary, null meaning absent.
        var excluder = _random.Next(3);
        string? Optional(string value) => _random.Next(4) switch { 0 => null, 1 => "null", _ => value };
        var topics = excluder == 0 ? Array(Enumerable.Range(0, _random.Next(1, 6)).Select(_ => _json.FuzzTopicOrPattern()).Distinct())
            : Optional(_json.Chance(0.5) ? "[]" : Array([_json.FuzzTopicOrPattern()]));
        var types = excluder == 1 ? Array(Enumerable.Range(0, _random.Next(1, 4)).Select(_ => _json.FuzzType()).Distinct())
            : Optional(_json.Chance(0.5) ? "[]" : Array(["*", "task.*"]));
        var meta = excluder == 2 ? _json.Meta(_random.Next(1, 5)) : Optional(_json.Chance(0.5) ? "{}" : _json.Meta(1));
        var filterValid = true;
        switch (broken)
        {
            case "topics":
                topics = Array([_json.FuzzTopic(), _json.InvalidTopic()]);
                filterValid = false;
                break;
            case "types":
                types = Array([_json.FuzzType(), _json.InvalidType()]);
                filterValid = false;
                break;
            case "meta":
                meta = _json.InvalidMeta();
                filterValid = false;
                break;
            default:
                break;
        }

        var snapshot = _json.Chance(0.05);
        var json = Object(("op", Str(RealtimeProtocol.Subscribe)), ("id", Str(id)), ("topics", topics), ("types", types),
            ("minPriority", Optional(Str(_json.Priority()))), ("meta", meta), ("resumeAfter", _json.Chance(0.1) ? Str(_json.Position()) : null),
            ("snapshot", snapshot ? "true" : Optional("false")));
        return Text(category, json, new TextMeaning.Subscribe(id, filterValid, snapshot));
    }

    /// <summary>Valid UTF-8 that cannot be JSON: its first character starts no JSON value.</summary>
    private WebSocketFuzzInput RandomBytes()
    {
        var builder = new StringBuilder();
        builder.Append(_json.Pick(["#", "x", "}", "]", ",", "<", "é", "\u4e2d", "\\", "'"]));
        var length = _random.Next(0, 2000);
        while (builder.Length < length)
        {
            var c = (char)(_random.Next(2) == 0 ? _random.Next(0x20, 0x7F) : _random.Next(0xA0, 0xD800));
            builder.Append(c);
        }

        var text = builder.ToString();
        return new(WebSocketFuzzCategory.RandomBytes, WebSocketFuzzKind.Text)
        {
            Payload = Encoding.UTF8.GetBytes(text), Meaning = new TextMeaning.Refused(ProtocolErrorCodes.MalformedMessage, null), Describe = "random text",
        };
    }

    /// <summary>A valid message cut short (at a character boundary, so it stays UTF-8): never a closed JSON object.</summary>
    private WebSocketFuzzInput Truncated(WebSocketConnectionOracle oracle)
    {
        var whole = Valid(oracle).Payload;
        var cut = _random.Next(0, whole.Length - 1);
        return new(WebSocketFuzzCategory.TruncatedJson, WebSocketFuzzKind.Text)
        {
            Payload = whole[..cut], Meaning = new TextMeaning.Refused(ProtocolErrorCodes.MalformedMessage, null), Describe = Encoding.UTF8.GetString(whole, 0, cut),
        };
    }

    /// <summary>A ping whose extra field nests arrays and objects: at most 8 levels in all is fine, deeper is malformed.</summary>
    private WebSocketFuzzInput DeepNesting()
    {
        var depth = _random.Next(2, 40);
        var value = "0";
        for (var level = 2; level <= depth; level++)
        {
            value = _json.Chance(0.5) ? "[" + value + "]" : "{\"n\":" + value + "}";
        }

        var id = "depth-" + depth.ToString(CultureInfo.InvariantCulture);
        var json = "{\"op\":\"ping\",\"id\":" + Str(id) + ",\"x\":" + value + "}";
        return Text(WebSocketFuzzCategory.DeepNesting, json,
            depth <= 8 ? new TextMeaning.Ping(id) : new TextMeaning.Refused(ProtocolErrorCodes.MalformedMessage, null));
    }

    /// <summary>A ping padded with a long string (raw multi-byte UTF-8 sometimes) or array, up to or beyond the byte limit.</summary>
    private WebSocketFuzzInput Huge(bool oversized)
    {
        var target = oversized
            ? _maxMessageBytes + (_json.Chance(0.5) ? _random.Next(1, 64) : _random.Next(64, 4 * _maxMessageBytes))
            : _json.Chance(0.5) ? _maxMessageBytes - _random.Next(0, 64) : _random.Next(1024, _maxMessageBytes);
        var id = _json.FreshId();
        var head = "{\"op\":\"ping\",\"id\":" + Str(id) + ",\"pad\":";
        var room = target - Encoding.UTF8.GetByteCount(head) - 1;
        string pad;
        if (_json.Chance(0.5))
        {
            // Three-byte characters: fewer characters than bytes, so only a count in bytes gets the limit right.
            var unit = _json.Chance(0.5) ? "\u4e2d" : "a";
            var unitBytes = Encoding.UTF8.GetByteCount(unit);
            var count = (room - 2) / unitBytes;
            pad = RawStr(string.Concat(Enumerable.Repeat(unit, count)) + new string('b', room - 2 - (count * unitBytes)));
        }
        else
        {
            var items = new StringBuilder("[");
            while (items.Length < room - 3)
            {
                items.Append(items.Length == 1 ? "1" : ",1");
            }

            pad = items.Append(']').ToString().PadRight(room, ' ');
        }

        var json = head + pad + "}";
        var bytes = Utf8(json);
        if (oversized || bytes.Length > _maxMessageBytes)
        {
            return new(WebSocketFuzzCategory.Oversized, WebSocketFuzzKind.TooLarge)
            {
                Payload = bytes, Fragments = _random.Next(1, 5), IsBinary = _json.Chance(0.2), Describe = $"{bytes.Length} bytes",
            };
        }

        return Text(WebSocketFuzzCategory.HugeValues, json, new TextMeaning.Ping(id)) with { Describe = $"ping of {bytes.Length} bytes" };
    }

    /// <summary>One field of subscribe, unsubscribe or ping given a JSON type it must not have.</summary>
    private WebSocketFuzzInput WrongType()
    {
        var op = _json.Pick([RealtimeProtocol.Subscribe, RealtimeProtocol.Unsubscribe, RealtimeProtocol.Ping]);
        var fields = op == RealtimeProtocol.Subscribe
            ? new[] { "id", "op", "topics", "types", "minPriority", "meta", "resumeAfter", "snapshot" }
            : ["id", "op"];
        var field = _json.Pick(fields);
        var id = _json.FreshId();
        var wrong = field switch
        {
            "topics" or "types" => _json.NotStringArray(),
            "meta" => _json.NotStringMap(),
            "snapshot" => _json.NotBoolean(),
            "op" => _json.Chance(0.2) ? "null" : _json.NotString(), // op is required: null is not "absent" here but a non-string
            _ => _json.NotString(),
        };
        var json = Object(("op", field == "op" ? wrong : Str(op)), ("id", field == "id" ? wrong : Str(id)),
            ("topics", field == "topics" ? wrong : (op == RealtimeProtocol.Subscribe ? Array([_json.FuzzTopic()]) : null)),
            ("types", field == "types" ? wrong : null), ("minPriority", field == "minPriority" ? wrong : null),
            ("meta", field == "meta" ? wrong : null), ("resumeAfter", field == "resumeAfter" ? wrong : null),
            ("snapshot", field == "snapshot" ? wrong : null));
        return Text(WebSocketFuzzCategory.WrongTypes, json, new TextMeaning.Refused(ProtocolErrorCodes.InvalidField, field == "id" ? null : id));
    }

    private WebSocketFuzzInput UnknownOp()
    {
        var op = _json.Pick(["Subscribe", "PING", "sub", "", " ping", "ping ", "unsubscribe\u0000", "publish", "\u4e2d", _json.Text("abcxyz", _random.Next(1, 30))]);
        var id = _json.Chance(0.7) ? _json.FreshId() : null;
        return Text(WebSocketFuzzCategory.UnknownOp, Object(("op", Str(op)), ("id", id is null ? null : Str(id))),
            new TextMeaning.Refused(ProtocolErrorCodes.UnknownOp, id));
    }

    private WebSocketFuzzInput MissingOpOrId()
    {
        var id = _json.FreshId();
        return _random.Next(5) switch
        {
            0 => Text(WebSocketFuzzCategory.MissingOpOrId, "{}", new TextMeaning.Refused(ProtocolErrorCodes.MissingField, null)),
            1 => Text(WebSocketFuzzCategory.MissingOpOrId, Object(("id", Str(id)), ("topics", Array([_json.FuzzTopic()]))),
                new TextMeaning.Refused(ProtocolErrorCodes.MissingField, id)),
            2 => Text(WebSocketFuzzCategory.MissingOpOrId, Object(("op", "\"subscribe\""), ("topics", Array([_json.FuzzTopic()]))),
                new TextMeaning.Refused(ProtocolErrorCodes.MissingField, null)),
            3 => Text(WebSocketFuzzCategory.MissingOpOrId, Object(("op", "\"subscribe\""), ("id", "null"), ("types", "[\"fuzz.*\"]")),
                new TextMeaning.Refused(ProtocolErrorCodes.MissingField, null)),
            _ => Text(WebSocketFuzzCategory.MissingOpOrId, Object(("op", "\"unsubscribe\""), ("id", _json.Chance(0.5) ? "null" : null)),
                new TextMeaning.Refused(ProtocolErrorCodes.MissingField, null)),
        };
    }

    /// <summary>A subscribe reusing an id the connection holds (after making one when it holds none).</summary>
    private List<WebSocketFuzzInput> Duplicate(WebSocketConnectionOracle oracle)
    {
        if (oracle.Subscriptions.Count > 0)
        {
            return [Subscribe(WebSocketFuzzCategory.DuplicateId, _json.Pick(oracle.Subscriptions.ToList()))];
        }

        var id = _json.FreshId();
        return [Subscribe(WebSocketFuzzCategory.Valid, id), Subscribe(WebSocketFuzzCategory.DuplicateId, id)];
    }

    private WebSocketFuzzInput InvalidId()
    {
        var op = _json.Pick([RealtimeProtocol.Subscribe, RealtimeProtocol.Unsubscribe, RealtimeProtocol.Ping]);
        var id = _random.Next(4) == 0 ? _json.NotString() : Str(_json.InvalidId());
        var json = Object(("op", Str(op)), ("id", id), ("topics", op == RealtimeProtocol.Subscribe ? Array([_json.FuzzTopic()]) : null));
        return Text(WebSocketFuzzCategory.InvalidId, json, new TextMeaning.Refused(ProtocolErrorCodes.InvalidField, null));
    }

    /// <summary>
    /// A subscribe with one invalid value: a topic, type pattern or meta entry against the naming rules (invalid_subscription,
    /// not a violation), or a minPriority, resumeAfter or snapshot value the field cannot take (invalid_field).
    /// </summary>
    private WebSocketFuzzInput InvalidValue()
    {
        var part = _json.Pick(["topics", "types", "meta", "minPriority", "resumeAfter", "snapshot"]);
        var id = _json.FreshId();
        if (part is "topics" or "types" or "meta")
        {
            return Subscribe(WebSocketFuzzCategory.InvalidValues, id, broken: part);
        }

        var value = part switch
        {
            "minPriority" => Str(_json.InvalidPriority()),
            "resumeAfter" => Str(_json.InvalidPosition()),
            _ => _json.NotBoolean(),
        };
        var json = Object(("op", "\"subscribe\""), ("id", Str(id)), ("topics", Array([_json.FuzzTopic()])), (part, value));
        return Text(WebSocketFuzzCategory.InvalidValues, json, new TextMeaning.Refused(ProtocolErrorCodes.InvalidField, id));
    }

    /// <summary>Topics, type patterns or meta entries at their limit (64, 32, 16) or one over it; all distinct.</summary>
    private WebSocketFuzzInput TooManyEntries()
    {
        var over = _json.Chance(0.6);
        var id = _json.FreshId();
        var (field, value) = _random.Next(3) switch
        {
            0 => ("topics", Array(Enumerable.Range(0, over ? 65 : 64).Select(i => "fuzz/t" + i.ToString(CultureInfo.InvariantCulture)))),
            1 => ("types", Array(Enumerable.Range(0, over ? 33 : 32).Select(i => "fuzz.t" + i.ToString(CultureInfo.InvariantCulture)))),
            _ => ("meta", _json.Meta(over ? 17 : 16)),
        };
        var json = Object(("op", "\"subscribe\""), ("id", Str(id)), (field, value), ("types", field == "types" ? null : "[\"fuzz.*\"]"));
        return Text(WebSocketFuzzCategory.TooManyEntries, json, new TextMeaning.Subscribe(id, FilterValid: !over, Snapshot: false));
    }

    /// <summary>A valid or refused text message in 2 to 64 fragments: answered as the whole message would be.</summary>
    private WebSocketFuzzInput Fragmented(WebSocketConnectionOracle oracle)
    {
        var inner = _random.Next(4) switch
        {
            0 => WrongType(),
            1 => DeepNesting(),
            2 => Huge(oversized: false),
            _ => Valid(oracle),
        };
        return inner with { Category = WebSocketFuzzCategory.Fragmented, Fragments = _random.Next(2, 65) };
    }

    /// <summary>A lone surrogate escaped in a string or a property name: not Unicode text, so malformed_message.</summary>
    private WebSocketFuzzInput LoneSurrogate()
    {
        var escape = "\\u" + _random.Next(0xD800, 0xE000).ToString("x4", CultureInfo.InvariantCulture);
        var json = _random.Next(5) switch
        {
            0 => "{\"op\":\"ping\",\"id\":\"a" + escape + "\"}",
            1 => "{\"op\":\"" + escape + "\"}",
            2 => "{\"op\":\"subscribe\",\"id\":\"s\",\"topics\":[\"fuzz/" + escape + "\"]}",
            3 => "{\"op\":\"subscribe\",\"id\":\"s\",\"topics\":[\"fuzz/a\"],\"meta\":{\"" + escape + "\":\"v\"}}",
            _ => "{\"op\":\"ping\",\"" + escape + "\":1}",
        };
        return Text(WebSocketFuzzCategory.LoneSurrogate, json, new TextMeaning.Refused(ProtocolErrorCodes.MalformedMessage, null));
    }

    /// <summary>Subscribes up to and past the connection's limit, then some unsubscribes.</summary>
    private List<WebSocketFuzzInput> AbusiveSubscribes(WebSocketConnectionOracle oracle)
    {
        var inputs = Enumerable.Range(0, _random.Next(100, 160)).Select(_ => Subscribe(WebSocketFuzzCategory.AbusiveSubscribes, _json.FreshId())).ToList();
        var held = oracle.Subscriptions.ToList();
        inputs.AddRange(held.Where(_ => _json.Chance(0.5)).Select(id =>
            Text(WebSocketFuzzCategory.AbusiveSubscribes, Object(("op", "\"unsubscribe\""), ("id", Str(id))), new TextMeaning.Unsubscribe(id))));
        return inputs;
    }

    private List<WebSocketFuzzInput> PingFlood() =>
        Enumerable.Range(0, _random.Next(20, 300)).Select(i =>
        {
            var id = i % 3 == 0 ? null : "flood-" + i.ToString(CultureInfo.InvariantCulture);
            return Text(WebSocketFuzzCategory.PingFlood, Object(("op", "\"ping\""), ("id", id is null ? null : Str(id))), new TextMeaning.Ping(id));
        }).ToList();
}
