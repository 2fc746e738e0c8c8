using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.Support;

/// <summary>One Server-Sent Events block: the fields of an event, or only comments (a heartbeat).</summary>
/// <param name="Id">The <c>id:</c> field, if the block had one.</param>
/// <param name="Event">The <c>event:</c> field; <c>message</c> when absent, as a browser reads it.</param>
/// <param name="Data">The <c>data:</c> lines joined with '\n'; <see langword="null"/> when the block had none.</param>
/// <param name="Retry">The <c>retry:</c> field in milliseconds, if any.</param>
/// <param name="Comments">The comment lines (after the ':' and one optional space).</param>
public sealed record SseFrame(string? Id, string Event, string? Data, int? Retry, IReadOnlyList<string> Comments)
{
    /// <summary>Gets the data parsed as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Data ?? throw new InvalidOperationException($"The frame has no data: {this}")).RootElement.Clone();

    /// <summary>Gets whether the block is an event a browser would dispatch (it has data).</summary>
    public bool IsEvent => Data is not null;
}

/// <summary>
/// Reads a real streaming <see cref="HttpClient"/> response (<see cref="HttpCompletionOption.ResponseHeadersRead"/>) and
/// parses it as Server-Sent Events, with a timeout on every read. Comments are kept (the parser in
/// System.Net.ServerSentEvents drops them), so heartbeats can be asserted on.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly Stream _body;
    private readonly StreamReader _reader;

    private SseClient(HttpClient http, HttpResponseMessage response, Stream body)
    {
        _http = http;
        Response = response;
        _body = body;
        _reader = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
    }

    public HttpResponseMessage Response { get; }

    /// <summary>Opens a stream and checks that it is one: status 200 and <c>text/event-stream</c>.</summary>
    /// <param name="uri">The SSE endpoint with its query string.</param>
    /// <param name="lastEventId">Sent as the <c>Last-Event-ID</c> header, as a browser does when it reconnects.</param>
    /// <param name="receiveBufferSize">The client socket's receive buffer; small values make a reader that stops reading back-pressure the server sooner.</param>
    public static async Task<SseClient> ConnectAsync(Uri uri, string? lastEventId = null, int? receiveBufferSize = null)
    {
        var http = CreateHttpClient(receiveBufferSize);
        HttpResponseMessage? response = null;
        try
        {
            response = await SendAsync(http, uri, lastEventId);
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                var body = await response.Content.ReadAsStringAsync().WithTimeout();
                Assert.Fail($"Expected 200 from {uri}, got {(int)response.StatusCode}: {body}");
            }

            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var stream = await response.Content.ReadAsStreamAsync().WithTimeout();
            return new SseClient(http, response, stream);
        }
        catch
        {
            response?.Dispose();
            http.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request to an SSE endpoint and returns the response as soon as its headers arrive, whatever its status.</summary>
    public static async Task<HttpResponseMessage> GetAsync(Uri uri, string? lastEventId = null)
    {
        using var http = CreateHttpClient(receiveBufferSize: null);
        var response = await SendAsync(http, uri, lastEventId);
        await response.Content.LoadIntoBufferAsync().WithTimeout(); // error bodies are small; the client goes away with this method
        return response;
    }

    /// <summary>Reads one line; <see langword="null"/> at the end of the stream.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TaskTimeoutExtensions.DefaultTimeout);
        try
        {
            return await _reader.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException("No line arrived on the event stream in time.");
        }
    }

    /// <summary>Reads the next block, comment-only blocks included; <see langword="null"/> at the end of the stream.</summary>
    public async Task<SseFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        string? id = null;
        string? eventType = null;
        StringBuilder? data = null;
        int? retry = null;
        var comments = new List<string>();
        var any = false;
        while (true)
        {
            var line = await ReadLineAsync(timeout);
            if (line is null)
            {
                return null; // a block cut off by the end of the stream is not dispatched
            }

            if (line.Length == 0)
            {
                if (any)
                {
                    return new SseFrame(id, eventType ?? "message", data?.ToString(), retry, comments);
                }

                continue;
            }

            any = true;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon == 0)
            {
                comments.Add(StripSpace(line[1..]));
                continue;
            }

            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : StripSpace(line[(colon + 1)..]);
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    eventType = value;
                    break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
                case "retry":
                    retry = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                default:
                    break; // unknown fields are ignored, as the specification says
            }
        }
    }

    /// <summary>Reads the next event block (one with data), skipping comment-only blocks such as heartbeats; fails at the end of the stream.</summary>
    public async Task<SseFrame> ReadEventAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(timeout) ?? throw new InvalidOperationException("The event stream ended.");
            if (frame.IsEvent)
            {
                return frame;
            }
        }
    }

    /// <summary>Reads event blocks until <paramref name="count"/> plain events (type <c>message</c>) arrived; other event types go to <paramref name="others"/>.</summary>
    public async Task<List<SseFrame>> ReadMessagesAsync(int count, List<SseFrame>? others = null)
    {
        var messages = new List<SseFrame>(count);
        while (messages.Count < count)
        {
            var frame = await ReadEventAsync();
            if (frame.Event == "message")
            {
                messages.Add(frame);
            }
            else
            {
                others?.Add(frame);
            }
        }

        return messages;
    }

    /// <summary>Reads every event block until the server ends the stream.</summary>
    public async Task<List<SseFrame>> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var frames = new List<SseFrame>();
        while (await ReadFrameAsync(timeout) is { } frame)
        {
            if (frame.IsEvent)
            {
                frames.Add(frame);
            }
        }

        return frames;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _body.Dispose();
        Response.Dispose();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private static HttpClient CreateHttpClient(int? receiveBufferSize)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero };
        if (receiveBufferSize is { } size)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = size };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, Uri uri, string? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithTimeout();
    }

    private static string StripSpace(string value) => value.StartsWith(' ') ? value[1..] : value;
}
