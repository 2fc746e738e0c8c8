using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Integration;

/// <summary>A node whose broker is unreachable still starts and serves clients, is unhealthy, and refuses publishes at once.</summary>
public sealed class BrokerDownTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Far below <see cref="PublishTimeout"/>: a publish to a broker known to be down must not wait for it.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task NodeWithNoBrokerListening_Starts_IsUnhealthy_RefusesPublishesAtOnce_AndServesWebSocketClients()
    {
        var port = PrivateBroker.FreePort(); // nothing listens on it
        var endpoint = $"127.0.0.1:{port}/";

        // The host starts although the broker cannot be reached.
        await using var node = await RabbitMqNode.StartAsync($"amqp://guest:guest@127.0.0.1:{port}/", TestBroker.NewStreamName("down"),
            waitUntilAttached: false, options: o =>
            {
                o.PublishTimeout = PublishTimeout;
                o.MinReconnectDelay = TimeSpan.FromMilliseconds(50);
                o.MaxReconnectDelay = TimeSpan.FromMilliseconds(200);
            });

        // Unhealthy from the start; once the first attempt failed, the report names the broker and why.
        var first = await node.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, first.Status);
        Assert.Contains(endpoint, first.Description, StringComparison.Ordinal);
        var entry = await node.WaitForHealthAsync(e => e.Description?.Contains("unreachable", StringComparison.Ordinal) == true,
            "unhealthy with the reason");
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("Not connected to stream '", entry.Description, StringComparison.Ordinal);
        Assert.Contains(endpoint, entry.Description, StringComparison.Ordinal);
        Assert.Equal(endpoint, entry.Data["endpoint"]);
        Assert.False((bool)entry.Data["connected"]);
        Assert.False(node.Log.IsConnected);

        // It keeps retrying.
        await node.WaitForHealthAsync(e => e.Data["failedAttempts"] is int n && n >= 3, "retried three times");

        // PublishAsync fails at once (the broker is known to be down), with a message naming the broker.
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<EventLogUnavailableException>(
            () => node.Broadcaster.PublishAsync(new EventDraft("test.step", "tasks/t1")).AsTask().WithTimeout());
        Assert.True(watch.Elapsed < Prompt, $"PublishAsync took {watch.Elapsed} to fail (PublishTimeout {PublishTimeout}).");
        Assert.Contains($"not connected to RabbitMQ at {endpoint}", error.Message, StringComparison.Ordinal);
        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);

        // TryPublish returns false, at once too.
        watch.Restart();
        Assert.False(node.Broadcaster.TryPublish(new EventDraft("test.step", "tasks/t1"), out var published));
        Assert.Null(published);
        Assert.True(watch.Elapsed < Prompt, $"TryPublish took {watch.Elapsed} to return.");

        // A WebSocket client connects and subscribes (live); the connection works.
        await using var client = await ProtocolClient.ConnectAsync(node.WebSocketUri);
        var subscribed = await client.SubscribeOkAsync("s", ["tasks/**"]);
        Assert.Equal(JsonValueKind.Null, subscribed.GetProperty("resume").ValueKind);
        Assert.Equal(node.Broadcaster.CurrentPosition.ToString(), subscribed.GetProperty("position").GetString());
        await client.SendAsync(new { op = "ping", id = "p1" });
        var pong = await client.ReceiveAsync();
        Assert.Equal("pong", pong.GetProperty("op").GetString());
        Assert.Equal("p1", pong.GetProperty("id").GetString());

        Assert.Equal(HealthStatus.Unhealthy, (await node.CheckHealthAsync()).Status);
    }

    /// <summary>
    /// A publish made while the node's first connect attempt is still in progress waits for that attempt (nothing to fail
    /// yet). When the attempt fails, the broker is known to be down, and the waiting publish should fail then, as a
    /// publish made a moment later does, instead of waiting out the whole <see cref="PublishTimeout"/>.
    /// </summary>
    [Fact]
    public async Task PublishWaitingForTheFirstConnectAttempt_FailsPromptly_OnceThatAttemptFails()
    {
        // A "broker" that accepts TCP connections and never answers, so the first attempt hangs in the AMQP handshake
        // until the test ends it.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            await using var node = await RabbitMqNode.StartAsync($"amqp://guest:guest@127.0.0.1:{port}/", TestBroker.NewStreamName("down"),
                waitUntilAttached: false, options: o =>
                {
                    o.PublishTimeout = PublishTimeout;
                    o.ReadTimeout = TimeSpan.FromSeconds(30); // also the connect timeout: the attempt hangs until the test ends it
                    o.MinReconnectDelay = TimeSpan.FromSeconds(5);
                    o.MaxReconnectDelay = TimeSpan.FromSeconds(5);
                });
            using var attempt = await listener.AcceptTcpClientAsync().WithTimeout();
            Assert.Equal(0, node.Log.FailedAttempts);

            var publish = node.Broadcaster.PublishAsync(new EventDraft("test.step", "tasks/t1")).AsTask();
            Assert.False(publish.IsCompleted); // waiting for the attempt in progress

            // The attempt fails: the connection closes before the broker said anything, and later attempts are refused.
            listener.Stop();
            attempt.Close();
            var watch = Stopwatch.StartNew();
            await node.WaitForHealthAsync(e => e.Data["failedAttempts"] is int n && n >= 1, "failed once");

            // Another publish now fails at once (the broker is known to be down) ...
            var later = Stopwatch.StartNew();
            await Assert.ThrowsAsync<EventLogUnavailableException>(
                () => node.Broadcaster.PublishAsync(new EventDraft("test.step", "tasks/t1")).AsTask().WithTimeout());
            Assert.True(later.Elapsed < Prompt, $"A publish after the failed attempt took {later.Elapsed}.");

            // ... and so should the one that was waiting.
            var error = await Assert.ThrowsAsync<EventLogUnavailableException>(() => publish.WithTimeout());
            Assert.True(watch.Elapsed < Prompt,
                $"The publish waiting for the first attempt failed {watch.Elapsed} after that attempt failed (PublishTimeout {PublishTimeout}): {error.Message}");
        }
        finally
        {
            listener.Stop();
        }
    }
}
