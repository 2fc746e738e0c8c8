namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>What kind of answer a fuzzed SignalR record gets, per docs/protocol.md ("SignalR").</summary>
internal enum SignalRAnswer
{
    /// <summary>A hub method ran: its reply comes as a hub message and (for a blocking invocation) as the completion's result.</summary>
    Reply,

    /// <summary>SignalR itself refuses the invocation (wrong argument count, unknown method, stream invocation): a completion error, no hub message.</summary>
    HubError,

    /// <summary>SignalR cannot read the record: it closes the connection.</summary>
    ConnectionEnds,

    /// <summary>
    /// SignalR reads only part of the record, or skips it: the connection goes on. <see cref="SignalRFuzzInput.ReplyId"/>
    /// names the <c>Unsubscribe</c> that still runs (its <c>unknown_subscription</c> reply), if any.
    /// </summary>
    PartlyRead,

    /// <summary>
    /// A record of an unknown <c>type</c>: ASP.NET Core's JSON hub protocol takes it for an incomplete message, so SignalR
    /// reads nothing more from the connection (nothing is answered) but does not close it. Only the client can end it.
    /// </summary>
    Wedged,
}

/// <summary>
/// One fuzzed record for the hub. For a <see cref="SignalRAnswer.Reply"/>, <see cref="Code"/> is the documented error code,
/// or null when the request passes the hub's own checks; then <see cref="FilterCode"/> is what the subscription itself
/// gets (null: subscribed), which depends on the connection's state, so the session decides it.
/// </summary>
internal sealed record SignalRFuzzInput(
    string Category,
    string Record,
    string? InvocationId,
    SignalRAnswer Answer,
    string Method,
    string? Code = null,
    string? ReplyId = null,
    string? FilterCode = null)
{
    /// <summary>Whether the documented code counts toward <c>MaxProtocolViolations</c>.</summary>
    public bool IsViolation => Code is "malformed_message" or "missing_field" or "invalid_field";

    public override string ToString() => $"[{Category}] {(Record.Length > 300 ? Record[..300] + $"...({Record.Length} chars)" : Record)}";
}
