using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// A well-behaved SignalR client subscribed to <see cref="ControlGroup.Topic"/>: it must get <c>data.n</c> = 1, 2, 3, …
/// each once and in order, with no error and no close, while the fuzzer attacks the hub. It keeps only counters (not the
/// messages), so it does not weigh on the memory figures however long the run.
/// </summary>
internal sealed class SignalRControlSubscriber : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;
    private long _received;

    private SignalRControlSubscriber(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadAsync);
    }

    public long Received => Interlocked.Read(ref _received);

    public string? Failure { get; private set; }

    /// <summary>Connects to the hub, does the handshake and subscribes; completes once <c>subscribed</c> arrived.</summary>
    public static async Task<SignalRControlSubscriber> StartAsync(Uri hubUri)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(hubUri, CancellationToken.None).WithTimeout();
        await SendAsync(socket, "{\"protocol\":\"json\",\"version\":1}\u001e");
        var subscriber = new SignalRControlSubscriber(socket);
        await SendAsync(socket, "{\"type\":1,\"invocationId\":\"c1\",\"target\":\"Subscribe\",\"arguments\":[{\"id\":\"control\",\"topics\":[\"" + ControlGroup.Topic + "\"]}]}\u001e");
        await subscriber._subscribed.Task.WithTimeout();
        return subscriber;
    }

    /// <summary>Waits (bounded) until <paramref name="published"/> events arrived; fails with what went wrong otherwise.</summary>
    public async Task VerifyAsync(long published, TimeSpan timeout)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (Received < published && Failure is null)
            {
                await timer.WaitForNextTickAsync(cts.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Asserted below.
        }

        Assert.True(Failure is null, $"The well-behaved SignalR client: {Failure}");
        Assert.True(Received == published, $"The well-behaved SignalR client got {Received} of {published} control events.");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        try
        {
            await _reader.WithTimeout();
        }
        catch (Exception)
        {
            // Ends with the aborted socket.
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).WithTimeout();

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var pending = new MemoryStream();
        try
        {
            var handshake = true;
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Fail($"the server closed the connection ({result.CloseStatus} {result.CloseStatusDescription})");
                    return;
                }

                pending.Write(buffer, 0, result.Count);
                var data = pending.GetBuffer().AsSpan(0, (int)pending.Length);
                int separator;
                var consumed = 0;
                while ((separator = data[consumed..].IndexOf((byte)0x1E)) >= 0)
                {
                    var record = data.Slice(consumed, separator);
                    consumed += separator + 1;
                    if (handshake)
                    {
                        handshake = false; // {} : the handshake's answer
                        continue;
                    }

                    Handle(JsonDocument.Parse(record.ToArray()).RootElement);
                }

                var rest = data[consumed..].ToArray();
                pending.SetLength(0);
                pending.Write(rest);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            Fail($"the connection failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private void Handle(JsonElement record)
    {
        switch (record.GetProperty("type").GetInt32())
        {
            case 6:
                return; // ping
            case 3 when !record.TryGetProperty("error", out _):
                return; // the Subscribe completion
            case 1:
                break;
            default:
                Fail("unexpected record " + record.GetRawText());
                return;
        }

        var argument = record.GetProperty("arguments")[0];
        switch (record.GetProperty("target").GetString())
        {
            case "welcome":
                break;
            case "subscribed":
                _subscribed.TrySetResult();
                break;
            case "event":
                Check(argument.GetProperty("event"));
                break;
            case "events":
                foreach (var evt in argument.GetProperty("events").EnumerateArray())
                {
                    Check(evt);
                }

                break;
            default:
                Fail("unexpected hub message " + record.GetRawText());
                break;
        }
    }

    private void Check(JsonElement evt)
    {
        var n = evt.GetProperty("data").GetProperty("n").GetInt64();
        if (n != Received + 1)
        {
            Fail($"got n = {n} after {Received}: {(n <= Received ? "a repeat or reordering" : "a silent gap")}");
            return;
        }

        Interlocked.Exchange(ref _received, n);
    }

    private void Fail(string failure)
    {
        Failure ??= failure;
        _subscribed.TrySetResult();
    }
}
