using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.NodeLoss;

/// <summary>One event as a client handled it, and the node that delivered it.</summary>
internal readonly record struct HandledEvent(long Sequence, string Id, string Topic, string Node);

/// <summary>
/// A subscriber that behaves as docs/protocol.md asks a client to: one subscription to a few topics on its home node;
/// when the connection is lost (closed or aborted, or nothing received for twice the heartbeat interval plus a margin),
/// it connects at once to a node that is up and subscribes with <c>resumeAfter</c> = the position of the last event it
/// handled, expecting <c>resume: complete</c>. It records everything the test asserts on instead of throwing, so one
/// client's problem cannot hide another's.
/// </summary>
internal sealed class NodeLossClient
{
    private const string SubscriptionId = "s";
    private static readonly TimeSpan DeadConnectionMargin = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly NodeSet _nodes;
    private readonly TimeSpan _stepTimeout;
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly List<string> _failures = [];
    private readonly List<HandledEvent> _handled = [];

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _preferred;
    private ClientWebSocket? _socket;
    private NodeProcess? _node;
    private bool _moveRequested;
    private string _epoch = string.Empty;
    private long _lastSequence;
    private TimeSpan _deadAfter;

    public NodeLossClient(int index, int home, IReadOnlyList<string> topics, NodeSet nodes, TimeSpan stepTimeout)
    {
        Index = index;
        Home = home;
        Topics = topics;
        _preferred = home;
        _nodes = nodes;
        _stepTimeout = stepTimeout;
        _deadAfter = stepTimeout;
    }

    public int Index { get; }

    /// <summary>Gets the node slot the client connects to first, and returns to when the test rebalances.</summary>
    public int Home { get; }

    public IReadOnlyList<string> Topics { get; }

    /// <summary>Gets where the subscription started: the <c>position</c> of the first <c>subscribed</c>.</summary>
    public EventPosition? Start { get; private set; }

    public int Connections { get; private set; }

    /// <summary>Subscribes with <c>resumeAfter</c> on a new connection after a lost one.</summary>
    public int Resumes { get; private set; }

    /// <summary>Resumes answered with <c>resume: complete</c>.</summary>
    public int ResumesComplete { get; private set; }

    /// <summary>Connections lost because their node was killed (the test marks a node before it kills it).</summary>
    public int LostToKill { get; private set; }

    /// <summary>
    /// Connections to a killed node that ended with a close frame: a SIGKILL leaves the server no chance to send one, so
    /// any would mean the "kill" ran a graceful path.
    /// </summary>
    public int CloseFramesFromKilledNodes { get; private set; }

    /// <summary>Connections the client gave up on because nothing arrived within the heartbeat rule.</summary>
    public int HeartbeatTimeouts { get; private set; }

    /// <summary>Connections the client ended itself because the test moved it to another node.</summary>
    public int Moves { get; private set; }

    /// <summary>Events at or before the last handled position; the server replays strictly after <c>resumeAfter</c>, so none are expected.</summary>
    public int Repeats { get; private set; }

    /// <summary>Gets the node of the live connection, or null between connections.</summary>
    public NodeProcess? Node
    {
        get
        {
            lock (_gate)
            {
                return _node;
            }
        }
    }

    public int HandledCount
    {
        get
        {
            lock (_gate)
            {
                return _handled.Count;
            }
        }
    }

    /// <summary>Gets every event handled, in the order handled.</summary>
    public List<HandledEvent> Handled
    {
        get
        {
            lock (_gate)
            {
                return [.. _handled];
            }
        }
    }

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

    /// <summary>Completes when <paramref name="condition"/> holds, checked after every change of this client; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<NodeLossClient, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition(this))
            {
                return;
            }

            await changed.WaitAsync(deadline.Token);
        }
    }

    /// <summary>Moves the client to the node in <paramref name="slot"/>: it drops its connection and resumes there, as after a loss.</summary>
    public void MoveTo(int slot)
    {
        ClientWebSocket? socket;
        lock (_gate)
        {
            _preferred = slot;
            _moveRequested = true;
            socket = _socket;
        }

        socket?.Abort();
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; <paramref name="subscribed"/> completes after the first subscribe.</summary>
    public async Task RunAsync(TaskCompletionSource subscribed, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && Failures.Count <= 20)
        {
            NodeProcess? node;
            lock (_gate)
            {
                node = _nodes.Pick(_preferred);
                _moveRequested = false;
            }

            if (node is null)
            {
                Fail("no node is up to connect to");
                return;
            }

            var first = Start is null;
            using var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol(RealtimeProtocol.SubProtocol);
            string ended;
            try
            {
                await socket.ConnectAsync(node.WebSocketUri, cancellationToken).WithTimeout(_stepTimeout);
                Connections++;
                _deadAfter = _stepTimeout;
                var welcome = await ReceiveAsync(socket, "welcome", cancellationToken) ?? throw new WebSocketException("The connection closed before welcome.");
                // docs/protocol.md, Heartbeats: nothing received for more than twice heartbeatMs (plus a margin) is a dead connection.
                _deadAfter = TimeSpan.FromMilliseconds(2 * welcome.GetProperty("heartbeatMs").GetInt32()) + DeadConnectionMargin;
                if (!first)
                {
                    Resumes++;
                }

                await SendAsync(socket, new { op = "subscribe", id = SubscriptionId, topics = Topics, resumeAfter = first ? null : new EventPosition(_epoch, _lastSequence).ToString() });
                var reply = await ReceiveAsync(socket, "subscribed", cancellationToken) ?? throw new WebSocketException("The connection closed before subscribed.");
                if (!CheckSubscribed(reply, node, first))
                {
                    return;
                }

                lock (_gate)
                {
                    _socket = socket;
                    _node = node;
                    NotifyLocked();
                }

                if (first)
                {
                    subscribed.TrySetResult();
                }

                ended = await ReceiveUntilEndAsync(socket, node, cancellationToken);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or TimeoutException
                                           || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                ended = $"{ex.GetType().Name}: {ex.Message}";
            }
            catch (OperationCanceledException)
            {
                return; // the test is over
            }
            finally
            {
                lock (_gate)
                {
                    _socket = null;
                    _node = null;
                    NotifyLocked();
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            bool moved;
            lock (_gate)
            {
                moved = _moveRequested;
            }

            if (node.Killed)
            {
                LostToKill++;
                CloseFramesFromKilledNodes += ended.StartsWith("close ", StringComparison.Ordinal) ? 1 : 0;
            }
            else if (moved)
            {
                Moves++;
            }
            else
            {
                Fail($"lost its connection to node {node.Name}, which is up: {ended}");
            }
        }
    }

    /// <summary>Reads messages until the connection ends; returns why.</summary>
    private async Task<string> ReceiveUntilEndAsync(ClientWebSocket socket, NodeProcess node, CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await ReceiveAsync(socket, "data", cancellationToken);
            if (message is not { } m)
            {
                return $"close {socket.CloseStatus} '{socket.CloseStatusDescription}'";
            }

            switch (m.GetProperty("op").GetString())
            {
                case "event":
                    Handle(m.GetProperty("event"), node);
                    break;
                case "events":
                    foreach (var evt in m.GetProperty("events").EnumerateArray())
                    {
                        Handle(evt, node);
                    }

                    break;
                case "heartbeat":
                    break;
                default:
                    // overflow, unsubscribed or anything else: nothing may be missed or ended in this test.
                    Fail($"unexpected message from node {node.Name}: {m.GetRawText()}");
                    break;
            }
        }
    }

    private void Handle(JsonElement evt, NodeProcess node)
    {
        var sequence = evt.GetProperty("seq").GetInt64();
        if (evt.GetProperty("epoch").GetString() != _epoch)
        {
            Fail($"event of epoch {evt.GetProperty("epoch").GetString()} from node {node.Name}, expected {_epoch}");
            return;
        }

        if (sequence <= _lastSequence)
        {
            Repeats++; // the skip rule: a position already handled is not handled again
            return;
        }

        lock (_gate)
        {
            _handled.Add(new HandledEvent(sequence, evt.GetProperty("id").GetString()!, evt.GetProperty("topic").GetString()!, node.Name));
            _lastSequence = sequence;
            NotifyLocked();
        }
    }

    private bool CheckSubscribed(JsonElement reply, NodeProcess node, bool first)
    {
        if (reply.GetProperty("op").GetString() != "subscribed" || reply.GetProperty("id").GetString() != SubscriptionId)
        {
            Fail($"expected subscribed from node {node.Name}, got {reply.GetRawText()}");
            return false;
        }

        var resume = reply.GetProperty("resume");
        var position = EventPosition.Parse(reply.GetProperty("position").GetString()!);
        if (first)
        {
            // The subscription starts here; before its first event, this is the resume point (docs/protocol.md, Resume).
            if (resume.ValueKind != JsonValueKind.Null)
            {
                Fail($"a first subscribe answered with resume {resume}: {reply.GetRawText()}");
            }

            Start = position;
            _epoch = position.Epoch;
            _lastSequence = position.Sequence;
            return true;
        }

        if (resume.ValueKind == JsonValueKind.String && resume.GetString() == "complete" && position == new EventPosition(_epoch, _lastSequence))
        {
            ResumesComplete++;
            return true;
        }

        Fail($"resumed after {_epoch}:{_lastSequence} on node {node.Name} with {reply.GetRawText()}, expected resume 'complete' at that position");
        return false;
    }

    /// <summary>
    /// The next message other than a heartbeat while waiting for a reply; null when the server closed. Nothing at all for
    /// the heartbeat rule's time (twice <c>heartbeatMs</c> plus a margin) means a dead connection: a <see cref="TimeoutException"/>.
    /// </summary>
    private async Task<JsonElement?> ReceiveAsync(ClientWebSocket socket, string waitingFor, CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await ReceiveOneAsync(socket, cancellationToken);
            if (message is { } m && waitingFor != "data" && m.GetProperty("op").GetString() == "heartbeat")
            {
                continue;
            }

            return message;
        }
    }

    private async Task<JsonElement?> ReceiveOneAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(_buffer.GetMemory(16 * 1024), cancellationToken).AsTask().WaitAsync(_deadAfter, cancellationToken);
            }
            catch (TimeoutException)
            {
                HeartbeatTimeouts++;
                socket.Abort();
                throw;
            }

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

    private Task SendAsync(ClientWebSocket socket, object message) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WithTimeout(_stepTimeout);

    private void NotifyLocked()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private void Fail(string what)
    {
        lock (_gate)
        {
            _failures.Add($"client {Index} ({string.Join(',', Topics)}): {what}");
            NotifyLocked();
        }
    }
}
