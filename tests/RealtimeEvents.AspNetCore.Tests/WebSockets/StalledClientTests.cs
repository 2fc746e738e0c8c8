using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.WebSockets;

public sealed class StalledClientTests
{
    private const int Capacity = 128;
    private const int GoodClients = 50;
    private const int Chunk = 100;
    private const int Chunks = 20;

    [Fact]
    public async Task StalledClient_DoesNotHoldUpPublishingOrOthers_StaysBounded_AndIsToldWhatItMissed()
    {
        // Small socket buffers on both sides, so a client that stops reading backs up into its subscription queue quickly.
        await using var host = await TestHost.StartAsync(
            core: o => o.SubscriptionQueueCapacity = Capacity,
            configure: builder => builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
            {
                var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                socket.SendBufferSize = 8 * 1024;
                return socket;
            }));

        var good = new List<EventCollector>();
        for (var i = 0; i < GoodClients; i++)
        {
            var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
            await client.SubscribeAsync("s", topics: ["tasks/**"]);
            good.Add(EventCollector.Start(client, "s"));
        }

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4 * 1024, NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        await using var stalled = await ProtocolClient.ConnectAsync(host.WebSocketUri(), invoker: invoker);
        await stalled.SubscribeAsync("s", topics: ["tasks/**"]);
        // From here on the stalled client reads nothing.

        var payload = new string('x', 1000);
        for (var chunk = 0; chunk < Chunks; chunk++)
        {
            for (var i = 0; i < Chunk; i++)
            {
                var n = chunk * Chunk + i;
                // Publishing completes without waiting on any subscriber, the stalled one included.
                await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "tasks/t1")
                {
                    Data = EventData.From(new Dictionary<string, object> { ["i"] = n, ["pad"] = payload }),
                }).AsTask().WithTimeout();
            }

            await Task.WhenAll(good.Select(c => c.WaitForAsync((chunk + 1) * Chunk))).WithTimeout();
        }

        foreach (var collector in good)
        {
            Assert.Equal(Enumerable.Range(0, Chunk * Chunks), collector.Values);
            Assert.Equal(0, collector.Overflows);
        }

        var stalledConnection = host.Connections.Connections.Single(c => c.Id == stalled.Welcome.GetProperty("connectionId").GetString());
        var stalledSubscription = Assert.Single(stalledConnection.Subscriptions.Subscriptions);
        Assert.InRange(stalledSubscription.QueueDepth, 0, Capacity); // bounded: the oldest were dropped
        Assert.True(stalledSubscription.DroppedCount > 0);

        // Reading again, the stalled client gets what was still buffered, then the overflow notice, then the newest events.
        var overflow = await stalled.ReceiveOpAsync("overflow");
        Assert.Equal("s", overflow.GetProperty("sub").GetString());
        Assert.Equal("overflow", overflow.GetProperty("reason").GetString());
        Assert.True(overflow.GetProperty("dropped").GetInt64() > 0);
        Assert.True(overflow.GetProperty("recoverable").GetBoolean()); // history (10,000 events) still holds them

        foreach (var collector in good)
        {
            await collector.DisposeAsync();
        }
    }

    /// <summary>Reads one subscription's events in the background and lets a test await a count.</summary>
    private sealed class EventCollector : IAsyncDisposable
    {
        private readonly ProtocolClient _client;
        private readonly string _subscription;
        private readonly Lock _gate = new();
        private readonly List<int> _values = [];
        private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
        private Task _loop = Task.CompletedTask;

        private EventCollector(ProtocolClient client, string subscription)
        {
            _client = client;
            _subscription = subscription;
        }

        public IReadOnlyList<int> Values
        {
            get
            {
                lock (_gate)
                {
                    return [.. _values];
                }
            }
        }

        public int Overflows { get; private set; }

        public static EventCollector Start(ProtocolClient client, string subscription)
        {
            var collector = new EventCollector(client, subscription);
            collector._loop = Task.Run(collector.RunAsync);
            return collector;
        }

        public Task WaitForAsync(int count)
        {
            lock (_gate)
            {
                if (_values.Count >= count)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, done));
                return done.Task;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            await _loop.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        private async Task RunAsync()
        {
            while (true)
            {
                var (type, text) = await _client.ReceiveRawAsync(TimeSpan.FromMinutes(5));
                if (type != System.Net.WebSockets.WebSocketMessageType.Text)
                {
                    return;
                }

                using var message = JsonDocument.Parse(text);
                var root = message.RootElement;
                var op = root.GetProperty("op").GetString();
                if (op == "overflow")
                {
                    Overflows++;
                }

                if (op is not ("event" or "events") || root.GetProperty("sub").GetString() != _subscription)
                {
                    continue;
                }

                var events = op == "event" ? [root.GetProperty("event")] : root.GetProperty("events").EnumerateArray().ToArray();
                lock (_gate)
                {
                    _values.AddRange(events.Select(e => e.GetProperty("data").GetProperty("i").GetInt32()));
                    for (var i = _waiters.Count - 1; i >= 0; i--)
                    {
                        if (_values.Count >= _waiters[i].Count)
                        {
                            _waiters[i].Done.TrySetResult();
                            _waiters.RemoveAt(i);
                        }
                    }
                }
            }
        }
    }
}
