using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.WebSockets;

/// <summary>Closes under load: shutdown, an administrator's disconnect and a stalled client all end in bounded time.</summary>
public sealed class ClosingTests
{
    private static EventDraft Progress(int i, string pad = "") =>
        new(EventTypes.Task.Progress, "tasks/t1") { Data = EventData.From(new Dictionary<string, object> { ["i"] = i, ["pad"] = pad }) };

    [Fact]
    public async Task Shutdown_OfABusyConnection_StillClosesWith1001()
    {
        var host = await TestHost.StartAsync(o =>
        {
            o.ShutdownFlushTimeout = TimeSpan.FromSeconds(1);
            o.CloseTimeout = TimeSpan.FromSeconds(5);
        });
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s", topics: ["tasks/**"]);
        await using var publisher = BusyPublisher.Start(host.Broadcaster);
        await publisher.WhenPublishedAsync(2000); // the connection is busy before the shutdown begins

        var reading = SlowReadUntilClosedAsync(client);
        var stopping = host.DisposeAsync().AsTask();
        var (status, description) = await reading.WithTimeout();
        await publisher.DisposeAsync();
        await stopping.WithTimeout();

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.True(EventPosition.TryParse(description, out _), $"'{description}' is not a position to resume from");
    }

    [Fact]
    public async Task AdminDisconnect_OfABusyConnection_Closes1008()
    {
        await using var host = await TestHost.StartAsync(o => o.CloseTimeout = TimeSpan.FromSeconds(5));
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s", topics: ["tasks/**"]);
        await using var publisher = BusyPublisher.Start(host.Broadcaster);
        await publisher.WhenPublishedAsync(2000);

        var reading = SlowReadUntilClosedAsync(client);
        using var http = host.CreateHttpClient();
        using var response = await http.DeleteAsync(new Uri($"/realtime/admin/connections/{client.Welcome.GetProperty("connectionId").GetString()}", UriKind.Relative)).WithTimeout();
        var (status, description) = await reading.WithTimeout();

        Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("Disconnected by an administrator.", description);
    }

    [Fact]
    public async Task Shutdown_RightAfterALaggingEnd_TellsTheClientBeforeClaimingAFullFlush()
    {
        for (var iteration = 0; iteration < 10; iteration++)
        {
            var host = await TestHost.StartAsync(core: o =>
            {
                o.SubscriptionQueueCapacity = 4;
                o.LagPolicy = LagPolicy.EndSubscription;
                o.MaxConsecutiveOverflows = 1;
            });
            await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
            await client.SubscribeAsync("s", topics: ["tasks/**"]);
            for (var i = 0; i < 12; i++)
            {
                host.Broadcaster.TryPublish(Progress(i), out _);
            }

            var stopping = host.DisposeAsync().AsTask();
            var (status, _, messages) = await client.ReceiveUntilClosedAsync();
            await stopping.WithTimeout();

            // Every event arrived, or the client was told it lost some: never a silent gap.
            var ops = messages.Select(m => m.GetProperty("op").GetString()).ToList();
            var delivered = messages.Sum(m => m.GetProperty("op").GetString() switch
            {
                "event" => 1,
                "events" => m.GetProperty("events").GetArrayLength(),
                _ => 0,
            });
            Assert.True(delivered == 12 || ops.Contains("unsubscribed") || ops.Contains("overflow"),
                $"iteration {iteration}: {delivered} of 12 events and no notice: {string.Join(",", ops)}");
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        }
    }

    [Fact]
    public async Task Shutdown_WithAStalledClient_EndsWithinTheFlushAndCloseTimeouts()
    {
        var host = await TestHost.StartAsync(
            transport: o =>
            {
                o.ShutdownFlushTimeout = TimeSpan.FromMilliseconds(500);
                o.CloseTimeout = TimeSpan.FromMilliseconds(500);
            },
            configure: builder => builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
            {
                var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                socket.SendBufferSize = 8 * 1024;
                return socket;
            }));
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4 * 1024 };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        await using var stalled = await ProtocolClient.ConnectAsync(host.WebSocketUri(), invoker: invoker);
        await stalled.SubscribeAsync("s", topics: ["tasks/**"]);
        var pad = new string('x', 1000);
        for (var i = 0; i < 2000; i++)
        {
            host.Broadcaster.TryPublish(Progress(i, pad), out _); // far more than the socket buffers hold; the client reads nothing
        }

        var removed = host.WhenConnectionRemoved();
        var stopping = host.DisposeAsync().AsTask();

        await removed.WithTimeout(TimeSpan.FromSeconds(10)); // aborted once flush and close time are up
        await stopping.WithTimeout(TimeSpan.FromSeconds(10));
    }

    private static async Task<(WebSocketCloseStatus? Status, string? Description)> SlowReadUntilClosedAsync(ProtocolClient client)
    {
        while (true)
        {
            var (type, _) = await client.ReceiveRawAsync();
            if (type == WebSocketMessageType.Close)
            {
                if (client.Socket.State == WebSocketState.CloseReceived)
                {
                    await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WithTimeout();
                }

                return (client.Socket.CloseStatus, client.Socket.CloseStatusDescription);
            }

            await Task.Delay(5); // a slow reader, not a synchronization: the server has more than it can send
        }
    }

    /// <summary>Publishes as fast as the publisher allows until disposed (at most a million events).</summary>
    private sealed class BusyPublisher : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new(); // not disposed: it has no timer, and DisposeAsync may run twice
        private readonly TaskCompletionSource _milestone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _loop = Task.CompletedTask;
        private int _target = int.MaxValue;

        public static BusyPublisher Start(IEventPublisher publisher)
        {
            var busy = new BusyPublisher();
            busy._loop = Task.Run(async () =>
            {
                var pad = new string('x', 500);
                for (var i = 0; i < 1_000_000 && !busy._stop.IsCancellationRequested; i++)
                {
                    publisher.TryPublish(Progress(i, pad), out _);
                    if (i + 1 >= Volatile.Read(ref busy._target))
                    {
                        busy._milestone.TrySetResult();
                    }

                    if (i % 100 == 0)
                    {
                        await Task.Yield();
                    }
                }
            });
            return busy;
        }

        public Task WhenPublishedAsync(int count)
        {
            Volatile.Write(ref _target, count);
            return _milestone.Task.WithTimeout();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await _stop.CancelAsync();
            }

            await _loop.WithTimeout();
        }
    }
}
