using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>
/// A SignalR client for tests: the JSON hub protocol over a raw <see cref="ClientWebSocket"/>, straight to the hub's URL
/// without negotiation (the .NET SignalR client package is not available here). It reads only when a test asks, so a test
/// that stops calling the receive methods is a stalled client whose socket buffers fill. Every wait has a timeout.
/// </summary>
/// <remarks>
/// The server's records are split on the record separator whatever the WebSocket framing: one message may hold several
/// records and one record may span several messages. Completions are matched by invocation id; hub messages that arrive
/// while a test waits for a completion are kept, in order, for the next receive. <see cref="Log"/> keeps everything
/// received (pings excepted), so a test can assert the order of a hub message and a completion.
/// </remarks>
public sealed class SignalRProtocolClient : IAsyncDisposable
{
    /// <summary>The byte that ends every record of the JSON hub protocol.</summary>
    public const byte RecordSeparator = 0x1E;

    private const int InvocationType = 1;
    private const int CompletionType = 3;
    private const int PingType = 6;
    private const int CloseType = 7;

    private static readonly JsonSerializerOptions ArgumentOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly List<SignalRMessage> _log = [];
    private readonly List<HubMessage> _pending = [];
    private readonly Dictionary<string, CompletionMessage> _completions = new(StringComparer.Ordinal);
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private int _nextInvocationId;
    private bool _socketEnded;

    private SignalRProtocolClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>Gets the <c>welcome</c> payload, when the connect read it.</summary>
    public JsonElement Welcome { get; private set; }

    /// <summary>Gets the connection id from <c>welcome</c>.</summary>
    public string ConnectionId => Welcome.GetProperty("connectionId").GetString()!;

    /// <summary>Gets the close message, once one arrived.</summary>
    public CloseMessage? Close { get; private set; }

    /// <summary>Gets everything received so far except pings, in arrival order (<see cref="SignalRMessage.Sequence"/> is the index).</summary>
    public IReadOnlyList<SignalRMessage> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>Opens the WebSocket, does the handshake and, by default, reads <c>welcome</c>.</summary>
    /// <param name="uri">The hub's URL, <c>ws://127.0.0.1:port/realtime/hub</c>.</param>
    /// <param name="user">Sent as the <c>X-Test-User</c> header, read by <see cref="TestAuthenticationHandler"/>.</param>
    /// <param name="configure">Sets more socket options (headers, buffers).</param>
    /// <param name="invoker">Opens the connection, for example with a small socket receive buffer.</param>
    /// <param name="readWelcome">Whether to read and check the first hub message, <c>welcome</c>.</param>
    public static async Task<SignalRProtocolClient> ConnectAsync(Uri uri, string? user = null, Action<ClientWebSocketOptions>? configure = null,
        HttpMessageInvoker? invoker = null, bool readWelcome = true)
    {
        var socket = new ClientWebSocket();
        if (user is not null)
        {
            socket.Options.SetRequestHeader("X-Test-User", user);
        }

        configure?.Invoke(socket.Options);
        try
        {
            await socket.ConnectAsync(uri, invoker, CancellationToken.None).WithTimeout();
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new SignalRProtocolClient(socket);
        try
        {
            await client.HandshakeAsync();
            if (readWelcome)
            {
                var welcome = await client.ReceiveAsync();
                Assert.True(welcome.Target == "welcome", $"Expected 'welcome' as the first hub message, got {welcome}");
                client.Welcome = welcome.Argument;
            }
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }

        return client;
    }

    /// <summary>Tries to connect, expects the WebSocket upgrade to be refused, and returns the HTTP status of the refusal.</summary>
    public static async Task<HttpStatusCode> ConnectExpectingRefusalAsync(Uri uri, string? user = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (user is not null)
        {
            socket.Options.SetRequestHeader("X-Test-User", user);
        }

        var error = await Record.ExceptionAsync(() => socket.ConnectAsync(uri, CancellationToken.None).WithTimeout());
        Assert.True(error is WebSocketException, $"Expected the WebSocket upgrade to be refused, but {(error is null ? "it was accepted" : error.ToString())}");
        return socket.HttpStatusCode;
    }

    /// <summary>Sends text as it is, for example a record the server should refuse.</summary>
    public async Task SendRawAsync(string text)
    {
        await _sendLock.WaitAsync().WithTimeout();
        try
        {
            await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WithTimeout();
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends an invocation with an invocation id and returns the id, without waiting for its completion.</summary>
    /// <param name="target">The hub method.</param>
    /// <param name="arguments">The arguments, serialized with System.Text.Json (a <see cref="JsonElement"/> goes as it is).</param>
    public async Task<string> SendInvocationAsync(string target, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref _nextInvocationId).ToString(CultureInfo.InvariantCulture);
        await SendMessageAsync(new Dictionary<string, object?> { ["type"] = InvocationType, ["invocationId"] = id, ["target"] = target, ["arguments"] = arguments });
        return id;
    }

    /// <summary>Sends an invocation without an invocation id: the server sends no completion.</summary>
    public Task SendNonBlockingInvocationAsync(string target, params object?[] arguments) =>
        SendMessageAsync(new Dictionary<string, object?> { ["type"] = InvocationType, ["target"] = target, ["arguments"] = arguments });

    /// <summary>Invokes a hub method and returns its completion, error or not.</summary>
    public async Task<CompletionMessage> InvokeForCompletionAsync(string target, params object?[] arguments)
    {
        var id = await SendInvocationAsync(target, arguments);
        return await WaitForCompletionAsync(id);
    }

    /// <summary>Invokes a hub method and returns its result (<see cref="JsonValueKind.Undefined"/> when none).</summary>
    /// <exception cref="HubInvocationException">The completion carried an error.</exception>
    public async Task<JsonElement> InvokeAsync(string target, params object?[] arguments)
    {
        var completion = await InvokeForCompletionAsync(target, arguments);
        return completion.Error is null ? completion.Result : throw new HubInvocationException(target, completion.Error);
    }

    /// <summary>Reads until the completion of <paramref name="invocationId"/> arrives; hub messages read meanwhile wait for the next receive.</summary>
    public async Task<CompletionMessage> WaitForCompletionAsync(string invocationId, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TaskTimeoutExtensions.DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            if (_completions.Remove(invocationId, out var completion))
            {
                return completion;
            }

            switch (await ReadOrTimeOutAsync(cts, limit, $"the completion of invocation {invocationId}"))
            {
                case HubMessage hub:
                    _pending.Add(hub);
                    break;
                case CloseMessage close:
                    throw new InvalidOperationException($"Waiting for the completion of invocation {invocationId}, the server closed the connection: {close}");
                case null:
                    throw new InvalidOperationException($"Waiting for the completion of invocation {invocationId}, the connection ended ({Describe()}).");
                default:
                    break;
            }
        }
    }

    /// <summary>Returns the next hub message from the server; fails with a clear message when none arrives in time or the connection ends.</summary>
    public async Task<HubMessage> ReceiveAsync(TimeSpan? timeout = null)
    {
        if (_pending.Count > 0)
        {
            var first = _pending[0];
            _pending.RemoveAt(0);
            return first;
        }

        var limit = timeout ?? TaskTimeoutExtensions.DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            switch (await ReadOrTimeOutAsync(cts, limit, "a hub message"))
            {
                case HubMessage hub:
                    return hub;
                case CloseMessage close:
                    throw new InvalidOperationException($"Expected a hub message, but the server closed the connection: {close}");
                case null:
                    throw new InvalidOperationException($"Expected a hub message, but the connection ended ({Describe()}).");
                default:
                    break; // a completion: kept for WaitForCompletionAsync
            }
        }
    }

    /// <summary>Receives hub messages until one named <paramref name="op"/> arrives; the ones before it go to <paramref name="skipped"/>.</summary>
    public async Task<HubMessage> ReceiveOpAsync(string op, List<HubMessage>? skipped = null, TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await ReceiveAsync(timeout);
            if (message.Target == op)
            {
                return message;
            }

            skipped?.Add(message);
        }
    }

    /// <summary>Collects the events of one subscription from <c>event</c> and <c>events</c> messages until <paramref name="count"/> arrived.</summary>
    public async Task<List<JsonElement>> ReceiveEventsAsync(string subscriptionId, int count, List<HubMessage>? others = null, TimeSpan? timeout = null)
    {
        var events = new List<JsonElement>(count);
        while (events.Count < count)
        {
            var message = await ReceiveAsync(timeout);
            if (message.Target == "event" && message.GetString("sub") == subscriptionId)
            {
                events.Add(message.Argument.GetProperty("event"));
            }
            else if (message.Target == "events" && message.GetString("sub") == subscriptionId)
            {
                events.AddRange(message.Argument.GetProperty("events").EnumerateArray());
            }
            else
            {
                others?.Add(message);
            }
        }

        Assert.True(events.Count == count, $"Expected {count} events of '{subscriptionId}', got {events.Count}: the last batch went past the count.");
        return events;
    }

    /// <summary>
    /// Invokes <c>Subscribe</c> with the request object of the contract and returns the reply (<c>subscribed</c> or <c>error</c>).
    /// Checks that the same reply also arrived as a hub message before the completion, and consumes that message.
    /// </summary>
    public async Task<JsonElement> SubscribeAsync(string id, string[]? topics = null, string[]? types = null, string? minPriority = null,
        string? resumeAfter = null, bool? snapshot = null, IReadOnlyDictionary<string, string>? meta = null)
    {
        var reply = await InvokeAsync("Subscribe", new { id, topics, types, minPriority, meta, resumeAfter, snapshot });
        TakeReplyMessage(reply);
        return reply;
    }

    /// <summary>Invokes <c>Subscribe</c> with a request given as JSON text (any JSON value), and checks and consumes the reply's hub message.</summary>
    public async Task<JsonElement> SubscribeRawAsync(string requestJson)
    {
        using var request = JsonDocument.Parse(requestJson);
        var reply = await InvokeAsync("Subscribe", request.RootElement.Clone());
        TakeReplyMessage(reply);
        return reply;
    }

    /// <summary>Invokes <c>Unsubscribe</c> and returns the reply; checks and consumes its hub message as <see cref="SubscribeAsync"/> does.</summary>
    public async Task<JsonElement> UnsubscribeAsync(object? id)
    {
        var reply = await InvokeAsync("Unsubscribe", id);
        TakeReplyMessage(reply);
        return reply;
    }

    /// <summary>
    /// Reads until the connection ends: returns the close message (if any), the WebSocket close status, and the hub messages
    /// not read yet. The close handshake is completed when the server started it.
    /// </summary>
    public async Task<ConnectionEnd> ReceiveUntilClosedAsync(TimeSpan? timeout = null)
    {
        var messages = new List<HubMessage>(_pending);
        _pending.Clear();
        var limit = timeout ?? TaskTimeoutExtensions.DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        while (await ReadOrTimeOutAsync(cts, limit, "the end of the connection") is { } message)
        {
            if (message is HubMessage hub)
            {
                messages.Add(hub);
            }
        }

        return new ConnectionEnd(Close, Socket.CloseStatus, Socket.CloseStatusDescription, messages);
    }

    /// <summary>Closes from the client side (as a client's <c>stop()</c> does) and reads until the server's close frame.</summary>
    public async Task<ConnectionEnd> CloseAsync(TimeSpan? timeout = null)
    {
        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "Client closed.", CancellationToken.None).WithTimeout();
        }

        return await ReceiveUntilClosedAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WithTimeout(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
            {
            }
        }

        Socket.Dispose();
        _sendLock.Dispose();
    }

    private async Task HandshakeAsync()
    {
        await SendRawAsync("{\"protocol\":\"json\",\"version\":1}\u001e");
        var limit = TaskTimeoutExtensions.DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        JsonElement? response;
        try
        {
            response = await ReadRecordAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"No handshake response within {limit.TotalSeconds} s.");
        }

        if (response is not { } json)
        {
            throw new InvalidOperationException($"The connection ended before the handshake response ({Describe()}).");
        }

        if (json.ValueKind != JsonValueKind.Object || json.TryGetProperty("error", out _) || json.TryGetProperty("type", out _))
        {
            throw new InvalidOperationException($"The server refused the handshake: {json.GetRawText()}");
        }
    }

    private async Task SendMessageAsync(Dictionary<string, object?> message) =>
        await SendRawAsync(JsonSerializer.Serialize(message, ArgumentOptions) + "\u001e");

    private void TakeReplyMessage(JsonElement reply)
    {
        var op = reply.GetProperty("op").GetString();
        var index = _pending.FindIndex(m => m.Target == op && JsonElement.DeepEquals(m.Argument, reply));
        Assert.True(index >= 0,
            $"The reply {reply.GetRawText()} was not also sent as a '{op}' hub message before the invocation completed. Received: {DescribeLog(20)}");
        _pending.RemoveAt(index);
    }

    private async Task<SignalRMessage?> ReadOrTimeOutAsync(CancellationTokenSource cts, TimeSpan limit, string waitingFor)
    {
        try
        {
            return await ReadMessageAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"Waited {limit.TotalSeconds} s for {waitingFor}; nothing came. The last messages received: {DescribeLog(10)}");
        }
    }

    /// <summary>Reads the next message other than a ping; <see langword="null"/> once the connection has ended.</summary>
    private async Task<SignalRMessage?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await ReadRecordAsync(cancellationToken) is not { } json)
            {
                return null;
            }

            var type = json.GetProperty("type").GetInt32();
            if (type == PingType)
            {
                continue;
            }

            SignalRMessage message;
            lock (_log)
            {
                var sequence = _log.Count;
                message = type switch
                {
                    InvocationType => new HubMessage(sequence, json, json.GetProperty("target").GetString()!,
                        json.TryGetProperty("arguments", out var arguments) && arguments.GetArrayLength() > 0 ? arguments[0] : default),
                    CompletionType => new CompletionMessage(sequence, json, json.GetProperty("invocationId").GetString()!,
                        json.TryGetProperty("result", out var result) ? result : default,
                        json.TryGetProperty("error", out var error) ? error.GetString() : null),
                    CloseType => new CloseMessage(sequence, json,
                        json.TryGetProperty("error", out var closeError) && closeError.ValueKind == JsonValueKind.String ? closeError.GetString() : null,
                        json.TryGetProperty("allowReconnect", out var reconnect) ? reconnect.GetBoolean() : null),
                    _ => throw new InvalidDataException($"Unexpected SignalR message type {type}: {json.GetRawText()}"),
                };
                _log.Add(message);
            }

            switch (message)
            {
                case CompletionMessage completion:
                    _completions[completion.InvocationId] = completion;
                    break;
                case CloseMessage close:
                    Close = close;
                    break;
                default:
                    break;
            }

            return message;
        }
    }

    /// <summary>Reads the next record, whatever the WebSocket framing; <see langword="null"/> once the socket has ended.</summary>
    private async Task<JsonElement?> ReadRecordAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var separator = Array.IndexOf(_buffer, RecordSeparator, _start, _end - _start);
            if (separator >= 0)
            {
                using var document = JsonDocument.Parse(_buffer.AsMemory(_start, separator - _start));
                _start = separator + 1;
                return document.RootElement.Clone();
            }

            if (_socketEnded)
            {
                Assert.True(_start == _end, $"The connection ended inside a record: {Encoding.UTF8.GetString(_buffer, _start, _end - _start)}");
                return null;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            ValueWebSocketReceiveResult received;
            try
            {
                received = await Socket.ReceiveAsync(_buffer.AsMemory(_end), cancellationToken);
            }
            catch (WebSocketException)
            {
                _socketEnded = true; // aborted without a close frame
                continue;
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                _socketEnded = true;
                await CompleteCloseHandshakeAsync();
                continue;
            }

            Assert.True(received.MessageType == WebSocketMessageType.Text, "The JSON hub protocol sends text frames only.");
            _end += received.Count;
        }
    }

    private async Task CompleteCloseHandshakeAsync()
    {
        if (Socket.State == WebSocketState.CloseReceived)
        {
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WithTimeout(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is WebSocketException or TimeoutException)
            {
            }
        }
    }

    private string Describe() => $"WebSocket {Socket.State}, close status {Socket.CloseStatus?.ToString() ?? "none"} '{Socket.CloseStatusDescription}'";

    private string DescribeLog(int last)
    {
        var log = Log;
        var shown = log.Skip(Math.Max(0, log.Count - last)).Select(m => Shorten(m.ToString()));
        return log.Count == 0 ? "(none)" : string.Join(" | ", shown);
    }

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "...";
}
