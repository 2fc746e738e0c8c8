using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.ResumeUnderChurn;

/// <summary>How the chaos task ended a connection.</summary>
internal enum ChurnKill
{
    /// <summary>The client dropped the connection without a close handshake (<see cref="ClientWebSocket.Abort"/>).</summary>
    ClientAbort,

    /// <summary>The server closed it: <c>DELETE /realtime/admin/connections/{id}</c>.</summary>
    ServerDisconnect,
}

/// <summary>
/// A subscriber that behaves as docs/protocol.md asks a client to: one subscription to one topic; after every lost
/// connection it reconnects at once and subscribes with <c>resumeAfter</c> = the position of the last event it handled;
/// after a recoverable <c>overflow</c> it resubscribes from the notice's <c>resumeAfter</c>, skipping positions already
/// handled. It records everything the test asserts on instead of throwing, so one client's problem cannot hide another's.
/// </summary>
internal sealed class ChurnClient
{
    private const string SubscriptionId = "s";

    private readonly Lock _gate = new();
    private readonly Uri _uri;
    private readonly TimeSpan _stepTimeout;
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly List<string> _failures = [];

    private ClientWebSocket? _socket;
    private string? _connectionId;
    private bool _live;
    private bool _done;
    private ChurnKill? _kill;

    private string _epoch = string.Empty;
    private long _lastSequence;
    private bool _recovering;
    private bool _resumedFromNotice;

    public ChurnClient(int index, string topic, int expected, Uri uri, TimeSpan stepTimeout)
    {
        Index = index;
        Topic = topic;
        Expected = expected;
        _uri = uri;
        _stepTimeout = stepTimeout;
    }

    public int Index { get; }

    public string Topic { get; }

    /// <summary>How many events will be published to <see cref="Topic"/>: the client is done when it handled them all.</summary>
    public int Expected { get; }

    /// <summary>The sequence of every event handled, in the order handled.</summary>
    public List<long> Handled { get; } = [];

    /// <summary>The <c>data.n</c> of every event handled: the publisher numbers each topic's events 1, 2, 3...</summary>
    public List<int> HandledNumbers { get; } = [];

    public int Connections { get; private set; }

    /// <summary>Subscribes with <c>resumeAfter</c> on a new connection after a lost one.</summary>
    public int Resumes { get; private set; }

    /// <summary>
    /// Events at or before the last handled position that arrived on a connection that resumed from it. The server
    /// replays strictly after <c>resumeAfter</c>, so the test expects none.
    /// </summary>
    public int DuplicatesAfterReconnect { get; private set; }

    /// <summary>
    /// Events at or before the last handled position that arrived after resubscribing from a recoverable overflow's
    /// <c>resumeAfter</c>. The protocol allows these (the notice's position can be before events already handled);
    /// the skip rule drops them.
    /// </summary>
    public int DuplicatesAfterOverflowResume { get; private set; }

    /// <summary>Events of the old subscription that arrived between a recoverable overflow and the resubscribe; they come again.</summary>
    public int DiscardedWhileRecovering { get; private set; }

    public int RecoverableOverflows { get; private set; }

    public int UnrecoverableOverflows { get; private set; }

    /// <summary>Everything that broke the contract, for the failure message.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    public bool IsDone
    {
        get
        {
            lock (_gate)
            {
                return _done;
            }
        }
    }

    /// <summary>
    /// Claims the live connection for a kill: after this, the end of the connection is expected. False when the client
    /// is between connections or done.
    /// </summary>
    public bool TryClaimForKill(ChurnKill kill, out ClientWebSocket socket, out string connectionId)
    {
        lock (_gate)
        {
            if (!_live || _done || _socket is null || _connectionId is null)
            {
                socket = null!;
                connectionId = null!;
                return false;
            }

            _live = false;
            _kill = kill;
            socket = _socket;
            connectionId = _connectionId;
            return true;
        }
    }

    /// <summary>Runs until every expected event was handled; <paramref name="subscribed"/> completes after the first subscribe.</summary>
    public async Task RunAsync(TaskCompletionSource subscribed, CancellationToken cancellationToken)
    {
        var first = true;
        while (!IsDone)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol(RealtimeProtocol.SubProtocol);
            string? ended = null;
            try
            {
                await socket.ConnectAsync(_uri, cancellationToken).WithTimeout(_stepTimeout);
                Connections++;
                var welcome = await ReceiveAsync(socket);
                var connectionId = welcome?.GetProperty("connectionId").GetString()
                    ?? throw new InvalidOperationException("The connection closed before welcome.");

                if (!first)
                {
                    Resumes++;
                }

                await SubscribeAsync(socket, first ? null : Position(_lastSequence));
                var reply = await ReceiveAsync(socket) ?? throw new InvalidOperationException("The connection closed before subscribed.");
                if (!CheckSubscribed(reply, expectedResume: first ? null : "complete"))
                {
                    return;
                }

                if (first)
                {
                    // The subscription starts here; before its first event, this is the resume point (docs/protocol.md, Resume).
                    var start = EventPosition.Parse(reply.GetProperty("position").GetString()!);
                    _epoch = start.Epoch;
                    _lastSequence = start.Sequence;
                    first = false;
                    subscribed.TrySetResult();
                }

                lock (_gate)
                {
                    _socket = socket;
                    _connectionId = connectionId;
                    _live = true;
                }

                ended = await ReceiveUntilEndAsync(socket);
            }
            // ClientWebSocket.Abort disposes the socket: a receive begun after a client-side kill throws ObjectDisposedException.
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException
                && !cancellationToken.IsCancellationRequested)
            {
                ended = $"{ex.GetType().Name}: {ex.Message}";
            }
            catch (TimeoutException)
            {
                Fail($"no message for {_stepTimeout.TotalSeconds} s after {Handled.Count} of {Expected} events (connection {Connections})");
                return;
            }
            finally
            {
                ChurnKill? kill;
                lock (_gate)
                {
                    _live = false;
                    _socket = null;
                    kill = _kill;
                    _kill = null;
                }

                socket.Dispose();
                if (ended is not null && kill is null && !IsDone)
                {
                    Fail($"connection {Connections} ended without a kill: {ended}");
                }

                _recovering = false;
                _resumedFromNotice = false;
            }

            if (Failures.Count > 20)
            {
                return; // enough evidence; do not spin
            }
        }
    }

    /// <summary>Reads messages until the client is done (null) or the connection ends (why).</summary>
    private async Task<string?> ReceiveUntilEndAsync(ClientWebSocket socket)
    {
        while (true)
        {
            var message = await ReceiveAsync(socket);
            if (message is not { } m)
            {
                ChurnKill? kill;
                lock (_gate)
                {
                    kill = _kill;
                }

                // A server-side kill is the only close this client expects from the server.
                if (kill == ChurnKill.ServerDisconnect
                    && (socket.CloseStatus != WebSocketCloseStatus.PolicyViolation || socket.CloseStatusDescription != "Disconnected by an administrator."))
                {
                    Fail($"an administrator disconnect closed with {socket.CloseStatus} '{socket.CloseStatusDescription}'");
                }

                return $"close {socket.CloseStatus} '{socket.CloseStatusDescription}'";
            }

            switch (m.GetProperty("op").GetString())
            {
                case "event":
                    Handle(m.GetProperty("event"));
                    break;
                case "events":
                    foreach (var evt in m.GetProperty("events").EnumerateArray())
                    {
                        Handle(evt);
                    }

                    break;
                case "overflow" when _recovering:
                    break; // another gap of the subscription being replaced: the resubscribe replays it too
                case "overflow":
                    await OnOverflowAsync(socket, m);
                    break;
                case "unsubscribed" when _recovering && m.GetProperty("reason").GetString() == "unsubscribed":
                    break; // the resubscribe's subscribed follows
                case "subscribed" when _recovering:
                    _recovering = false;
                    _resumedFromNotice = true;
                    CheckSubscribed(m, expectedResume: "complete");
                    break;
                case "heartbeat" or "pong":
                    break;
                default:
                    Fail($"unexpected message {m.GetRawText()}");
                    break;
            }

            if (Handled.Count >= Expected)
            {
                lock (_gate)
                {
                    _done = true;
                    _live = false;
                }

                try
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WithTimeout(_stepTimeout);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
                {
                    // A kill claimed just before the client finished; nothing is lost.
                }

                return null;
            }
        }
    }

    private void Handle(JsonElement evt)
    {
        var sequence = evt.GetProperty("seq").GetInt64();
        if (_recovering)
        {
            DiscardedWhileRecovering++;
            return;
        }

        if (evt.GetProperty("epoch").GetString() != _epoch)
        {
            Fail($"event of epoch {evt.GetProperty("epoch").GetString()}, expected {_epoch}");
            return;
        }

        if (sequence <= _lastSequence)
        {
            // The skip rule: a position already handled is not handled again.
            if (_resumedFromNotice)
            {
                DuplicatesAfterOverflowResume++;
            }
            else
            {
                DuplicatesAfterReconnect++;
            }

            return;
        }

        var n = evt.GetProperty("data").GetProperty("n").GetInt32();
        if (n != HandledNumbers.Count + 1)
        {
            Fail($"event n={n} (seq {sequence}) after n={HandledNumbers.Count} (seq {_lastSequence}): a gap or reordering");
        }

        Handled.Add(sequence);
        HandledNumbers.Add(n);
        _lastSequence = sequence;
    }

    private async Task OnOverflowAsync(ClientWebSocket socket, JsonElement notice)
    {
        if (!notice.GetProperty("recoverable").GetBoolean())
        {
            UnrecoverableOverflows++;
            Fail($"unrecoverable overflow inside the history window: {notice.GetRawText()}");
            return;
        }

        RecoverableOverflows++;
        // The position just before the first missed event: often after the last handled one (the positions between
        // belong to other topics). If it skipped one of this topic's events, the n check in Handle reports the gap.
        var resumeAfter = EventPosition.Parse(notice.GetProperty("resumeAfter").GetString()!);

        // docs/protocol.md, Missed events: unsubscribe, then subscribe again from the notice's resumeAfter.
        _recovering = true;
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { op = "unsubscribe", id = SubscriptionId }),
            WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WithTimeout(_stepTimeout);
        await SubscribeAsync(socket, resumeAfter.ToString());
    }

    private Task SubscribeAsync(ClientWebSocket socket, string? resumeAfter) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { op = "subscribe", id = SubscriptionId, topics = new[] { Topic }, resumeAfter }),
            WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WithTimeout(_stepTimeout);

    private bool CheckSubscribed(JsonElement reply, string? expectedResume)
    {
        if (reply.GetProperty("op").GetString() != "subscribed" || reply.GetProperty("id").GetString() != SubscriptionId)
        {
            Fail($"expected subscribed, got {reply.GetRawText()}");
            return false;
        }

        var resume = reply.GetProperty("resume");
        var actual = resume.ValueKind == JsonValueKind.Null ? null : resume.GetString();
        if (actual != expectedResume)
        {
            Fail($"subscribed with resume '{actual}', expected '{expectedResume}': {reply.GetRawText()}");
        }

        return true;
    }

    /// <summary>The next message, or null when the server closed.</summary>
    private async Task<JsonElement?> ReceiveAsync(ClientWebSocket socket)
    {
        _buffer.ResetWrittenCount();
        while (true)
        {
            var result = await socket.ReceiveAsync(_buffer.GetMemory(16 * 1024), CancellationToken.None).AsTask().WithTimeout(_stepTimeout);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _buffer.Advance(result.Count);
            if (result.EndOfMessage)
            {
                using var document = JsonDocument.Parse(_buffer.WrittenMemory);
                return document.RootElement.Clone();
            }
        }
    }

    private string Position(long sequence) => new EventPosition(_epoch, sequence).ToString();

    private void Fail(string what)
    {
        lock (_gate)
        {
            _failures.Add($"client {Index} ({Topic}): {what}");
        }
    }
}
