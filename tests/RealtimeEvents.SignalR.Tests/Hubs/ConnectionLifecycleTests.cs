using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RealtimeEvents.SignalR.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Hubs;

/// <summary>Disconnects, the management endpoints and graceful shutdown, for SignalR connections.</summary>
public sealed class ConnectionLifecycleTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WhenTheClientGoes_TheConnectionAndItsSubscriptionsAreCleanedUp(bool closeHandshake)
    {
        await using var host = await SignalRTestHost.StartAsync();
        var client = await host.ConnectAsync();
        await client.SubscribeAsync("a", topics: ["tasks/a"]);
        await client.SubscribeAsync("b", topics: ["tasks/b"]);
        Assert.True(host.Connections.TryGet(client.ConnectionId, out var connection));
        var subscriptions = connection.Subscriptions.Subscriptions.ToList();
        Assert.Equal(2, subscriptions.Count);
        Assert.Equal(2, host.Broadcaster.Subscriptions.Count);
        var removed = host.WhenConnectionRemoved(client.ConnectionId);

        if (closeHandshake)
        {
            await client.CloseAsync();
        }
        else
        {
            client.Socket.Abort(); // the network went away: no close frame
        }

        await removed.WithTimeout();
        await client.DisposeAsync();

        Assert.Empty(host.Broadcaster.Subscriptions);
        Assert.All(subscriptions, s => Assert.NotNull(s.EndReason));
        using var http = host.CreateHttpClient();
        var listed = await http.GetFromJsonAsync<JsonElement>(new Uri("/realtime/admin/connections", UriKind.Relative)).WithTimeout();
        Assert.Equal(0, listed.GetArrayLength());
    }

    [Fact]
    public async Task Management_ListsTheSignalRConnection_WithItsSubscriptions()
    {
        await using var host = await SignalRTestHost.StartAsync(requireAuthorization: true);
        await using var client = await host.ConnectAsync(user: "alice");
        await client.SubscribeAsync("s", topics: ["tasks/a"]);
        using var http = host.CreateHttpClient();

        var listed = await http.GetFromJsonAsync<JsonElement>(new Uri("/realtime/admin/connections", UriKind.Relative)).WithTimeout();
        var one = await http.GetFromJsonAsync<JsonElement>(new Uri($"/realtime/admin/connections/{client.ConnectionId}", UriKind.Relative)).WithTimeout();

        var connection = Assert.Single(listed.EnumerateArray());
        Assert.Equal(client.ConnectionId, connection.GetProperty("id").GetString());
        Assert.Equal("signalr", connection.GetProperty("transport").GetString());
        Assert.Equal("alice", connection.GetProperty("user").GetString());
        Assert.Equal("127.0.0.1", connection.GetProperty("remoteAddress").GetString());
        var subscription = Assert.Single(connection.GetProperty("subscriptions").EnumerateArray());
        Assert.Equal("s", subscription.GetProperty("id").GetString());
        Assert.Equal(client.ConnectionId, one.GetProperty("id").GetString());
        Assert.Equal("signalr", one.GetProperty("transport").GetString());
    }

    [Fact]
    public async Task AnAdministratorsDisconnect_ClosesWithoutReconnect_AndCleansUp()
    {
        await using var host = await SignalRTestHost.StartAsync();
        await using var client = await host.ConnectAsync();
        await client.SubscribeAsync("s", topics: ["tasks/**"]);
        var removed = host.WhenConnectionRemoved(client.ConnectionId);
        using var http = host.CreateHttpClient();

        using var response = await http.DeleteAsync(new Uri($"/realtime/admin/connections/{client.ConnectionId}", UriKind.Relative)).WithTimeout();
        var end = await client.ReceiveUntilClosedAsync();
        await removed.WithTimeout();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.True(end.Close is not null, $"No SignalR close message arrived (WebSocket close {end.Status} '{end.Description}').");
        Assert.NotEqual(true, end.Close.AllowReconnect); // SignalR clients must not reconnect
        Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, client.Socket.State);
        Assert.Empty(host.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task GracefulShutdown_SendsEveryPublishedEvent_ThenClosesWithReconnectAllowed()
    {
        const int Count = 500;
        var host = await SignalRTestHost.StartAsync(transport: o => o.ShutdownFlushTimeout = TimeSpan.FromSeconds(10),
            configure: SmallSocketBuffers.OnServer);
        try
        {
            using var invoker = SmallSocketBuffers.ClientInvoker();
            await using var client = await host.ConnectAsync(invoker: invoker);
            await client.SubscribeAsync("s", topics: ["tasks/**"]);
            var pad = new string('x', 2000); // 1 MB in all: much of it is still queued on the server when the shutdown begins
            for (var i = 0; i < Count; i++)
            {
                await host.Publisher.PublishAsync(Drafts.Numbered(i, pad: pad)).WithTimeout();
            }

            await host.Broadcaster.WaitForDispatchAsync(host.Broadcaster.CurrentPosition).WithTimeout();
            Assert.True(host.Connections.TryGet(client.ConnectionId, out var connection));
            Assert.True(connection.Subscriptions.Subscriptions.Single().QueueDepth > 0, "Nothing was left to flush: the test shows nothing.");
            // The host runs its stopping callbacks on the thread that stops it, and the flush waits in one: stop from another thread.
            var reading = client.ReceiveUntilClosedAsync();
            var stopping = Task.Run(host.StopAsync);
            var end = await reading;
            await stopping.WithTimeout();

            var events = end.Messages.Where(m => m.GetString("sub") == "s").SelectMany(m => m.Target switch
            {
                "event" => [m.Argument.GetProperty("event")],
                "events" => m.Argument.GetProperty("events").EnumerateArray().ToArray(),
                _ => throw new Xunit.Sdk.XunitException($"Unexpected message before the close: {m}"),
            });
            Assert.Equal(Enumerable.Range(0, Count), events.Select(Drafts.NumberOf));
            Assert.True(end.Close is not null, $"No SignalR close message arrived (WebSocket close {end.Status} '{end.Description}').");
            Assert.True(end.Close.AllowReconnect == true, $"Expected a close with reconnect allowed, got {end.Close}");
            Assert.Null(end.Close.Error);
            Assert.True(end.Close.Sequence > client.Log.OfType<HubMessage>().Last().Sequence, "The close must come after the last event.");
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Shutdown_WithAClientThatDoesNotRead_EndsInBoundedTime()
    {
        var host = await SignalRTestHost.StartAsync(
            transport: o =>
            {
                o.ShutdownFlushTimeout = TimeSpan.FromSeconds(1);
                o.CloseTimeout = TimeSpan.FromSeconds(1);
            },
            configure: SmallSocketBuffers.OnServer);
        try
        {
            using var invoker = SmallSocketBuffers.ClientInvoker();
            await using var client = await host.ConnectAsync(invoker: invoker);
            await client.SubscribeAsync("s", topics: ["tasks/**"]);
            var removed = host.WhenConnectionRemoved(client.ConnectionId);
            var pad = new string('x', 2000);
            for (var i = 0; i < 500; i++)
            {
                await host.Publisher.PublishAsync(Drafts.Numbered(i, pad: pad)).WithTimeout();
            }

            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            await Task.Run(host.StopAsync).WithTimeout(TimeSpan.FromSeconds(15));
            await removed.WithTimeout(TimeSpan.FromSeconds(5));
            stopwatch.Stop();

            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"Stopping took {stopwatch.Elapsed} with a client that does not read.");
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
