using static RealtimeEvents.Reliability.Tests.ProtocolFuzzing.WebSocketJson;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>The generator's frame-level inputs: binary frames, fragment counts, ping frames, invalid UTF-8, RFC 6455 garbage, violation runs.</summary>
internal sealed partial class WebSocketFuzzGenerator
{
    private WebSocketFuzzInput Binary()
    {
        var bytes = new byte[_random.Next(0, _json.Chance(0.9) ? 200 : _maxMessageBytes + 1)];
        _random.NextBytes(bytes);
        return new(WebSocketFuzzCategory.Binary, WebSocketFuzzKind.Binary)
        {
            Payload = bytes, Fragments = bytes.Length > 0 && _json.Chance(0.3) ? _random.Next(2, 65) : 1, Describe = $"binary of {bytes.Length} bytes",
        };
    }

    private WebSocketFuzzInput TooManyFragments(WebSocketConnectionOracle oracle) =>
        Valid(oracle) with
        {
            Category = WebSocketFuzzCategory.TooManyFragments, Kind = WebSocketFuzzKind.TooFragmented, Meaning = null,
            Fragments = _random.Next(65, 300), IsBinary = _json.Chance(0.2),
        };

    /// <summary>Ping frames with random payloads (at most 125 bytes each): each must come back as a pong frame.</summary>
    private WebSocketFuzzInput PingFrames()
    {
        var payloads = Enumerable.Range(0, _random.Next(10, 300)).Select(_ =>
        {
            var payload = new byte[_random.Next(0, 126)];
            _random.NextBytes(payload);
            return payload;
        }).ToList();
        return new(WebSocketFuzzCategory.ControlFrameFlood, WebSocketFuzzKind.PingFrames) { PingPayloads = payloads, Describe = $"{payloads.Count} ping frames" };
    }

    /// <summary>A ping whose id holds bytes that are not UTF-8, sometimes split across fragments: the WebSocket layer closes 1007.</summary>
    private WebSocketFuzzInput InvalidUtf8()
    {
        byte[] bad = _json.Pick<byte[]>([[0x80], [0xC3, 0x28], [0xE2, 0x82], [0xF0, 0x28, 0x8C, 0xBC], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xFF], [0xF8, 0x88, 0x80, 0x80, 0x80]]);
        var payload = Utf8("{\"op\":\"ping\",\"id\":\"a").Concat(bad).Concat(Utf8("z\"}")).ToArray();
        var fragments = _json.Chance(0.3) ? _random.Next(2, 10) : 1;
        return new(WebSocketFuzzCategory.InvalidUtf8, WebSocketFuzzKind.ProtocolFailure)
        {
            Payload = payload, FailureStatus = 1007, Describe = "invalid UTF-8 " + Convert.ToHexString(bad),
            WriteFrames = socket => WebSocketFuzzInput.WriteFragments(socket, RawWebSocket.Text, payload, fragments),
        };
    }

    /// <summary>
    /// Violations until the one that goes over <c>MaxProtocolViolations</c>: a text one (close 1008) or, half the time, a
    /// binary frame (close 1003).
    /// </summary>
    private List<WebSocketFuzzInput> PastTheLimit(WebSocketConnectionOracle oracle)
    {
        var inputs = Enumerable.Range(0, Math.Max(0, _maxProtocolViolations - oracle.Violations)).Select(_ => _random.Next(4) switch
        {
            0 => WrongType(),
            1 => UnknownOp(),
            2 => MissingOpOrId(),
            _ => Binary(),
        }).ToList();
        inputs.Add(_json.Chance(0.5) ? Binary() : RandomBytes());
        return inputs.Select(i => i with { Category = WebSocketFuzzCategory.ViolationsPastTheLimit }).ToList();
    }

    /// <summary>Frames only a raw client can send; the runtime's WebSocket (under Kestrel) closes 1002 on each.</summary>
    private WebSocketFuzzInput FrameGarbage()
    {
        var ping = Utf8("{\"op\":\"ping\",\"id\":\"g\"}");
        var (name, write) = _random.Next(12) switch
        {
            0 => ("reserved bits", (Action<RawWebSocket>)(s => s.AppendFrame(RawWebSocket.Text, ping, rsv: _random.Next(1, 8)))),
            1 => ("unknown opcode", s => s.AppendFrame((byte)_json.Pick([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]), ping)),
            2 => ("unmasked frame", s => s.AppendFrame(RawWebSocket.Text, ping, masked: false)),
            3 => ("control frame over 125 bytes", s => s.AppendFrame(_json.Pick([RawWebSocket.Ping, RawWebSocket.Pong, RawWebSocket.Close]), new byte[_random.Next(126, 1000)])),
            4 => ("fragmented control frame", s => s.AppendFrame(RawWebSocket.Ping, "x"u8, fin: false)),
            5 => ("continuation without a start", s => s.AppendFrame(RawWebSocket.Continuation, ping)),
            6 => ("new message inside a fragmented one", s =>
            {
                s.AppendFrame(RawWebSocket.Text, ping.AsSpan(0, 5), fin: false);
                s.AppendFrame(_json.Pick([RawWebSocket.Text, RawWebSocket.Binary]), ping);
            }),
            7 => ("64-bit length with the top bit set", s => s.AppendFrame(RawWebSocket.Text, ping, claimedLength: long.MinValue + _random.NextInt64(0, long.MaxValue))),
            8 => ("close frame of one byte", s => s.AppendFrame(RawWebSocket.Close, "x"u8)),
            9 => ("close status that is not allowed", s => s.AppendClose(_json.Pick([0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]))),
            10 => ("close reason not UTF-8", s => s.AppendFrame(RawWebSocket.Close, new byte[] { 0x03, 0xE8, 0xC3, 0x28 })),
            _ => ("pong frame over 125 bytes", s => s.AppendFrame(RawWebSocket.Pong, new byte[126])),
        };
        return new(WebSocketFuzzCategory.FrameGarbage, WebSocketFuzzKind.ProtocolFailure) { WriteFrames = write, FailureStatus = 1002, Describe = name };
    }
}
