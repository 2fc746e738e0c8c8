namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>The categories of hostile WebSocket input; each input is counted under one.</summary>
internal enum WebSocketFuzzCategory
{
    Valid,
    RandomBytes,
    TruncatedJson,
    DeepNesting,
    HugeValues,
    WrongTypes,
    UnknownOp,
    MissingOpOrId,
    DuplicateId,
    InvalidId,
    InvalidValues,
    TooManyEntries,
    Oversized,
    Binary,
    Fragmented,
    TooManyFragments,
    ControlFrameFlood,
    InvalidUtf8,
    LoneSurrogate,
    AbusiveSubscribes,
    PingFlood,
    FrameGarbage,
    ViolationsPastTheLimit,
}

/// <summary>What the server sees of an input at the frame level.</summary>
internal enum WebSocketFuzzKind
{
    /// <summary>A text message the server reads in full and handles (rate limit, then parse).</summary>
    Text,

    /// <summary>A binary message within the size limit.</summary>
    Binary,

    /// <summary>A message larger than <c>MaxMessageBytes</c>.</summary>
    TooLarge,

    /// <summary>A message of more than 64 fragments.</summary>
    TooFragmented,

    /// <summary>Ping frames, each to be answered by a pong frame with the same payload.</summary>
    PingFrames,

    /// <summary>Frames the WebSocket layer itself refuses: it closes with <see cref="WebSocketFuzzInput.FailureStatus"/>.</summary>
    ProtocolFailure,
}

/// <summary>What a whole text message means, as docs/protocol.md reads it (Client messages).</summary>
internal abstract record TextMeaning
{
    /// <summary>Refused while reading the message (steps 1 to 4, or a field of the op): an error that is a violation.</summary>
    public sealed record Refused(string Code, string? EchoedId) : TextMeaning;

    /// <summary>A well-formed <c>subscribe</c>; the connection's state decides the answer.</summary>
    public sealed record Subscribe(string Id, bool FilterValid, bool Snapshot) : TextMeaning;

    /// <summary>A well-formed <c>unsubscribe</c>.</summary>
    public sealed record Unsubscribe(string Id) : TextMeaning;

    /// <summary>A well-formed <c>ping</c>, with or without an id.</summary>
    public sealed record Ping(string? Id) : TextMeaning;
}

/// <summary>
/// One fuzz input: the bytes or frames a client sends, how they reach the server (<see cref="Kind"/>) and, for a text
/// message, what it means. The expected answer is the oracle's business: it depends on the connection's state.
/// </summary>
internal sealed record WebSocketFuzzInput(WebSocketFuzzCategory Category, WebSocketFuzzKind Kind)
{
    /// <summary>Gets the message bytes (text or binary kinds).</summary>
    public byte[] Payload { get; init; } = [];

    /// <summary>Gets how many frames the message is split into (1 = unfragmented). The first fragment is never empty.</summary>
    public int Fragments { get; init; } = 1;

    /// <summary>Gets the meaning of a <see cref="WebSocketFuzzKind.Text"/> message.</summary>
    public TextMeaning? Meaning { get; init; }

    /// <summary>Gets the payloads of <see cref="WebSocketFuzzKind.PingFrames"/>.</summary>
    public IReadOnlyList<byte[]> PingPayloads { get; init; } = [];

    /// <summary>Gets the writer of a <see cref="WebSocketFuzzKind.ProtocolFailure"/> input.</summary>
    public Action<RawWebSocket>? WriteFrames { get; init; }

    /// <summary>Gets the close status the WebSocket layer answers a <see cref="WebSocketFuzzKind.ProtocolFailure"/> with.</summary>
    public int FailureStatus { get; init; }

    /// <summary>Gets a value indicating whether a too-large or too-fragmented message is sent as binary.</summary>
    public bool IsBinary { get; init; }

    /// <summary>Gets a short description for failure messages.</summary>
    public string Describe { get; init; } = string.Empty;

    /// <summary>Appends the input's frames to <paramref name="socket"/>'s pending bytes.</summary>
    public void Write(RawWebSocket socket)
    {
        switch (Kind)
        {
            case WebSocketFuzzKind.PingFrames:
                foreach (var payload in PingPayloads)
                {
                    socket.AppendFrame(RawWebSocket.Ping, payload);
                }

                break;
            case WebSocketFuzzKind.ProtocolFailure:
                WriteFrames!(socket);
                break;
            default:
                var opcode = Kind == WebSocketFuzzKind.Binary || IsBinary ? RawWebSocket.Binary : RawWebSocket.Text;
                WriteFragments(socket, opcode, Payload, Fragments);
                break;
        }
    }

    /// <summary>
    /// Splits <paramref name="payload"/> into <paramref name="fragments"/> frames: the first holds at least one byte (an
    /// empty first fragment is taken whole by the server's zero-byte read and not counted as a fragment), the rest
    /// divide what is left, some possibly empty.
    /// </summary>
    public static void WriteFragments(RawWebSocket socket, byte opcode, ReadOnlySpan<byte> payload, int fragments)
    {
        if (fragments <= 1)
        {
            socket.AppendFrame(opcode, payload);
            return;
        }

        var first = Math.Max(1, payload.Length / fragments);
        socket.AppendFrame(opcode, payload[..Math.Min(first, payload.Length)], fin: false);
        var rest = payload[Math.Min(first, payload.Length)..];
        var per = rest.Length / (fragments - 1);
        for (var i = 1; i < fragments; i++)
        {
            var last = i == fragments - 1;
            var take = last ? rest.Length : Math.Min(per, rest.Length);
            socket.AppendFrame(RawWebSocket.Continuation, rest[..take], fin: last);
            rest = rest[take..];
        }
    }
}
