using System.Buffers;
using System.Diagnostics;
using System.Text.Json;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>
/// A Server-Sent Events client of RealtimeEvents' <c>/sse</c> endpoint: reads the response stream in chunks and scans
/// the complete lines of each, keeping a cut line for the next read. Connected once the <c>event: subscribed</c>
/// block has arrived (its blank line included).
/// </summary>
internal sealed class SseLoadClient : LoadClient
{
    private const int BufferBytes = 16 * 1024;
    private const int MaxErrorBodyBytes = 4096;
    private static readonly TimeSpan ErrorBodyTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _abort = new();
    private volatile HttpResponseMessage? _response;
    private bool _sawSubscribedEvent;

    public SseLoadClient(int index, ClientContext context)
        : base(index, context)
    {
    }

    private static ReadOnlySpan<byte> SubscribedEvent => "event: subscribed\n"u8;

    private static ReadOnlySpan<byte> BlankLine => "\n\n"u8;

    public override void Abort()
    {
        // Disposing the response closes its connection, which ends a read in progress; the token covers the request.
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _response?.Dispose();
    }

    protected override async Task<string> RunAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Context.Target);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await Context.Handlers.Client(Index).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _abort.Token);
        _response = response;
        if (_abort.IsCancellationRequested)
        {
            return "aborted";
        }

        if (!response.IsSuccessStatusCode)
        {
            return $"HTTP {(int)response.StatusCode} {await ReadErrorCodeAsync(response)}";
        }

        var stream = await response.Content.ReadAsStreamAsync(_abort.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        var tail = 0;
        try
        {
            while (true)
            {
                await WaitWhileStalledAsync();
                if (tail == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, tail).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(tail), CancellationToken.None);
                if (read == 0)
                {
                    return "the server ended the stream";
                }

                var now = Stopwatch.GetTimestamp();
                var filled = tail + read;
                var lastNewline = buffer.AsSpan(tail, read).LastIndexOf((byte)'\n');
                if (lastNewline < 0)
                {
                    tail = filled; // a line longer than this read: wait for its end
                    continue;
                }

                var end = tail + lastNewline + 1;
                var complete = buffer.AsSpan(0, end);
                if (!IsConnected)
                {
                    DetectSubscribed(complete);
                }

                Stats.Scan(complete, now, overflowNotices: true);
                tail = filled - end;
                buffer.AsSpan(end, tail).CopyTo(buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<string> ReadErrorCodeAsync(HttpResponseMessage response)
    {
        // The error body is {"status","code","message"}; the code says why (too_many_connections, shutting_down, ...).
        try
        {
            using var timeout = new CancellationTokenSource(ErrorBodyTimeout);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            using var document = JsonDocument.Parse(body.AsMemory(0, Math.Min(body.Length, MaxErrorBodyBytes)));
            return document.RootElement.TryGetProperty("code", out var code) ? code.ToString() : response.ReasonPhrase ?? string.Empty;
        }
        catch (Exception exception) when (exception is JsonException or HttpRequestException or OperationCanceledException)
        {
            return response.ReasonPhrase ?? string.Empty;
        }
    }

    /// <summary>Complete lines before the client is connected: the subscribed block ends at its blank line.</summary>
    private void DetectSubscribed(ReadOnlySpan<byte> complete)
    {
        var from = 0;
        if (!_sawSubscribedEvent)
        {
            var at = complete.IndexOf(SubscribedEvent);
            if (at < 0)
            {
                return;
            }

            _sawSubscribedEvent = true;
            from = at + SubscribedEvent.Length - 1;
        }
        else if (complete[0] == (byte)'\n')
        {
            // The previous chunk ended with the block's last line; this one starts with its blank line.
            MarkConnected();
            return;
        }

        if (complete[from..].IndexOf(BlankLine) >= 0)
        {
            MarkConnected();
        }
    }
}
