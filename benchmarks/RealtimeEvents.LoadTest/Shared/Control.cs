using System.Text.Json;

namespace RealtimeEvents.LoadTest.Shared;

/// <summary>
/// The data of every load event, in every scenario: <c>{"n":N,"t":T,"pad":"..."}</c>, in that order. <c>n</c> numbers
/// the events of one server process from 1 with no gap, so a client sees any event it missed; <c>t</c> is the time
/// the event was due to be published (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>, which on Linux is
/// CLOCK_MONOTONIC and so the same clock in every process); <c>pad</c> brings the event to the run's size.
/// </summary>
/// <param name="N">The event's number in this server process, from 1.</param>
/// <param name="T">The time the event was due, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</param>
/// <param name="Pad">Filler that brings the event JSON to the requested size.</param>
internal sealed record LoadData(long N, long T, string Pad);

/// <summary>
/// The event object the baselines send, with the same fields, order and JSON as a RealtimeEvents event
/// (<c>id, type, topic, priority, time, epoch, seq, data</c>), so every scenario carries the same bytes per event.
/// </summary>
internal sealed record LoadEventMessage(string Id, string Type, string Topic, string Priority, DateTimeOffset Time, string Epoch, long Seq, LoadData Data);

/// <summary>The answer of the server's <c>POST /load/run?rate=R&amp;seconds=S</c>: what the publisher did.</summary>
/// <param name="Published">Events published in this run.</param>
/// <param name="FirstN">The <c>n</c> of the first event of this run (0 when none).</param>
/// <param name="LastN">The <c>n</c> of the last event of this run (0 when none).</param>
/// <param name="TargetRate">The requested rate, events per second.</param>
/// <param name="ElapsedSeconds">Time from the first publish call to the end of the last one.</param>
/// <param name="MaxPublishMilliseconds">The longest single publish call (a blocked publisher shows here).</param>
/// <param name="PublishCallsOver10Ms">Publish calls that took longer than 10 ms.</param>
/// <param name="BehindMilliseconds">How far the publisher finished behind its schedule (0 when it kept up).</param>
/// <param name="Failed">Publish calls that threw or returned false.</param>
/// <param name="TimedOut">Whether the run hit its deadline (1.5 × seconds + 2 s) with events still unpublished: the publisher was blocked.</param>
/// <param name="EventJsonBytes">The size of one event's JSON (the RealtimeEvents event object, or the baseline's message), in bytes.</param>
internal sealed record RunResult(
    long Published,
    long FirstN,
    long LastN,
    double TargetRate,
    double ElapsedSeconds,
    double MaxPublishMilliseconds,
    long PublishCallsOver10Ms,
    double BehindMilliseconds,
    long Failed,
    bool TimedOut,
    int EventJsonBytes);

/// <summary>The answer of the server's <c>GET /load/stats?gc=true|false</c>.</summary>
/// <param name="RssBytes">The process's resident set (VmRSS).</param>
/// <param name="ManagedBytes">The managed heap (<see cref="GC.GetTotalMemory(bool)"/>, after a full blocking collection when <c>gc=true</c>).</param>
/// <param name="Connections">Client connections the scenario holds now.</param>
/// <param name="CpuMilliseconds">The process's user plus system CPU time so far.</param>
/// <param name="Gen2Collections">Gen 2 collections so far.</param>
/// <param name="StallSourceConnections">Of <paramref name="Connections"/>, those from the stall candidates' source address (<see cref="StallSource"/>).</param>
/// <param name="StallSourceLastEndedTimestamp">When the last connection from that address ended (<see cref="System.Diagnostics.Stopwatch"/> ticks, the same clock in every process on Linux; 0: none yet).</param>
internal sealed record ServerStats(
    long RssBytes, long ManagedBytes, int Connections, double CpuMilliseconds, int Gen2Collections, int StallSourceConnections = 0, long StallSourceLastEndedTimestamp = 0);

/// <summary>One command to the clients process, one JSON object per line on its standard input.</summary>
/// <param name="Cmd"><c>reset</c>, <c>report</c>, <c>count</c> (the reading clients' received total only, cheap), <c>wait</c>, <c>stall</c> or <c>quit</c>.</param>
/// <param name="ExpectedLastN">For <c>wait</c>: wait until every reading client has seen this <c>n</c>.</param>
/// <param name="TimeoutMs">For <c>wait</c>: give up after this long.</param>
/// <param name="Count">For <c>stall</c>: how many clients (the first ones) stop reading.</param>
internal sealed record ClientCommand(string Cmd, long ExpectedLastN = 0, int TimeoutMs = 0, int Count = 0);

/// <summary>Latency percentiles in microseconds, from the event's due time to its receipt.</summary>
internal sealed record LatencySummary(long Count, double P50Us, double P99Us, double P999Us, double MaxUs);

/// <summary>
/// One line the clients process writes to its standard output (JSON). <see cref="Type"/> is <c>ready</c> (after
/// connecting), <c>ok</c>, <c>waited</c>, <c>report</c>, <c>count</c> or <c>error</c>; the other fields are set as each type needs.
/// Counts cover the reading clients since the last <c>reset</c>; stalled clients are counted apart. <see cref="Missing"/>
/// counts events skipped without an overflow notice announcing them (lost silently); <see cref="Duplicates"/> counts
/// events whose <c>n</c> was not above the client's last one.
/// </summary>
internal sealed record ClientReply(
    string Type,
    int Connected = 0,
    int Failed = 0,
    string? FirstError = null,
    bool Ok = false,
    double ElapsedMs = 0,
    long Received = 0,
    long PerClientMin = 0,
    long PerClientMax = 0,
    long Missing = 0,
    long Duplicates = 0,
    long OverflowNotices = 0,
    long DroppedAnnounced = 0,
    int Disconnected = 0,
    long LastNMin = 0,
    int Stalled = 0,
    long StalledReceived = 0,
    LatencySummary? Latency = null,
    string? Message = null);

/// <summary>The JSON settings of every control message (web defaults: camelCase).</summary>
internal static class ControlJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
