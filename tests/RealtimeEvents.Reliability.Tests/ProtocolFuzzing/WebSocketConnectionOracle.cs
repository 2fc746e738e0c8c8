using System.Diagnostics;
using RealtimeEvents.AspNetCore;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// One connection's state as docs/protocol.md describes it, and the answer it promises for each input: the violation
/// counter (Limits, and the "violation" column of Error codes), the subscriptions held, and the message rate limiter.
/// </summary>
/// <remarks>
/// The rate limiter is a token bucket that starts full (<c>MessageBurst</c>) and is refilled on the node's tick (at most
/// a second) with <c>MessagesPerSecond</c> tokens per second since the last refill, pro rata (the runtime's
/// <c>TokenBucketRateLimiter.TryReplenish</c>), so a connection's first refill may come at any moment of its first second.
/// By <see cref="Age"/> (started before the connection was opened) at most <c>MessageBurst + MessagesPerSecond × age</c>
/// messages can have had a token: below the burst a message is certainly handled, at or past that bound certainly
/// refused, and in between either answer is accepted, with the state change of the one given.
/// </remarks>
internal sealed class WebSocketConnectionOracle(RealtimeEventsTransportOptions options, Stopwatch age)
{
    private readonly HashSet<string> _subscriptions = new(StringComparer.Ordinal);
    private long _granted;

    public int Violations { get; private set; }

    public IReadOnlyCollection<string> Subscriptions => _subscriptions;

    public Stopwatch Age { get; } = age;

    /// <summary>Gets how many answers depended on when the rate limiter was refilled (accepted within the bound).</summary>
    public int RateAmbiguous { get; private set; }

    /// <summary>
    /// The answers the server may give to <paramref name="input"/> now; one, except past the burst when the limiter may
    /// have been refilled. Each carries the state change it stands for, applied by <see cref="Outcome.Apply"/>.
    /// </summary>
    public IReadOnlyList<Outcome> Expect(WebSocketFuzzInput input)
    {
        switch (input.Kind)
        {
            case WebSocketFuzzKind.TooLarge:
                // Not a violation, not rate limited: the connection closes at once.
                return [new Outcome(Error(ProtocolErrorCodes.MessageTooLarge, null), new ServerEnd(1009, "Message too big."), () => { })];
            case WebSocketFuzzKind.TooFragmented:
                return [new Outcome(Error(ProtocolErrorCodes.MalformedMessage, null), new ServerEnd(1008, "Too many fragments."), () => { })];
            case WebSocketFuzzKind.Binary:
                return [Violation(ProtocolErrorCodes.BinaryNotSupported, null, binary: true)];
            case WebSocketFuzzKind.PingFrames:
                return [new Outcome(null, null, () => { }) { PongFrames = input.PingPayloads }];
            case WebSocketFuzzKind.ProtocolFailure:
                // The WebSocket layer fails the connection: a close frame with an empty description, or, when the connection
                // drops before that frame is flushed, none. No error reply either way.
                return [new Outcome(null, new ServerEnd(input.FailureStatus, string.Empty), () => { }) { MayAbort = true }];
            default:
                break;
        }

        // A text message takes a token first; without one it is ignored and answered rate_limited (a violation).
        var handled = Handle(input.Meaning!);
        var granted = handled with { Apply = () => { _granted++; handled.Apply(); } };
        if (_granted < options.MessageBurst)
        {
            return [granted];
        }

        var limited = Violation(ProtocolErrorCodes.RateLimited, null);
        var burst = (long)options.MessageBurst;
        var perSecond = (double)options.MessagesPerSecond;
        return
        [
            limited,
            granted with
            {
                // Possible only if the limiter may have been refilled by the time the answer arrived.
                AllowedAfter = elapsed => _granted < burst + (perSecond * elapsed.TotalSeconds),
                Apply = () => { RateAmbiguous++; granted.Apply(); },
            },
        ];
    }

    private Outcome Handle(TextMeaning meaning) => meaning switch
    {
        TextMeaning.Refused refused => Violation(refused.Code, refused.EchoedId),
        TextMeaning.Ping ping => new Outcome(new ExpectedReply("pong", null, ping.Id), null, () => { }),
        TextMeaning.Unsubscribe unsubscribe => _subscriptions.Contains(unsubscribe.Id)
            ? new Outcome(new ExpectedReply("unsubscribed", null, unsubscribe.Id), null, () => _subscriptions.Remove(unsubscribe.Id))
            : new Outcome(Error(ProtocolErrorCodes.UnknownSubscription, unsubscribe.Id), null, () => { }),
        TextMeaning.Subscribe subscribe => Subscribe(subscribe),
        _ => throw new UnreachableException(),
    };

    /// <summary>
    /// A well-formed subscribe: duplicate id, then the subscription limit, then the filter's rules and limits, then the
    /// snapshot (no provider is registered: snapshot_unavailable). None of these is a violation.
    /// </summary>
    private Outcome Subscribe(TextMeaning.Subscribe subscribe)
    {
        var id = subscribe.Id;
        if (_subscriptions.Contains(id))
        {
            return new Outcome(Error(ProtocolErrorCodes.DuplicateSubscription, id), null, () => { });
        }

        if (_subscriptions.Count >= options.MaxSubscriptionsPerConnection)
        {
            return new Outcome(Error(ProtocolErrorCodes.TooManySubscriptions, id), null, () => { });
        }

        if (!subscribe.FilterValid)
        {
            return new Outcome(Error(ProtocolErrorCodes.InvalidSubscription, id), null, () => { });
        }

        return subscribe.Snapshot
            ? new Outcome(Error(ProtocolErrorCodes.SnapshotUnavailable, id), null, () => { })
            : new Outcome(new ExpectedReply("subscribed", null, id), null, () => _subscriptions.Add(id));
    }

    /// <summary>
    /// An error that counts: the violation that goes over <c>MaxProtocolViolations</c> is answered, then the connection
    /// closes, 1003 when it was a binary frame and 1008 otherwise.
    /// </summary>
    private Outcome Violation(string code, string? id, bool binary = false)
    {
        var closes = Violations + 1 > options.MaxProtocolViolations;
        var end = !closes ? null
            : binary ? new ServerEnd(1003, "Binary frames are not supported.")
            : new ServerEnd(1008, "Too many invalid messages.");
        return new Outcome(Error(code, id), end, () => Violations++);
    }

    private static ExpectedReply Error(string code, string? id) => new("error", code, id);
}

/// <summary>A reply the docs promise: its <c>op</c>, its <c>code</c> for an error, and its <c>id</c> (null: no <c>id</c> field).</summary>
internal sealed record ExpectedReply(string Op, string? Code, string? Id)
{
    public override string ToString() => Code is null ? $"{Op} id={Id ?? "(none)"}" : $"{Op} {Code} id={Id ?? "(none)"}";
}

/// <summary>One answer the server may give an input: a reply (or none), pong frames, a close (or none), and its state change.</summary>
internal sealed record Outcome(ExpectedReply? Reply, ServerEnd? End, Action Apply)
{
    public IReadOnlyList<byte[]> PongFrames { get; init; } = [];

    /// <summary>Gets a value indicating whether the connection may also end without the close frame of <see cref="End"/>.</summary>
    public bool MayAbort { get; init; }

    /// <summary>Gets a condition on the connection's age when the answer arrived; null when always possible.</summary>
    public Func<TimeSpan, bool>? AllowedAfter { get; init; }
}
