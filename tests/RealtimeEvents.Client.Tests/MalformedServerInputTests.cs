using RealtimeEvents.Client.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Client.Tests;

/// <summary>Bad frames from a server are logged and skipped; a server of another protocol version is a clear error.</summary>
public sealed class MalformedServerInputTests
{
    [Fact]
    public async Task BadFrames_AreLoggedAndSkipped_AndTheConsumerKeepsReceiving()
    {
        await using var server = await RawWebSocketServer.StartAsync(async socket =>
        {
            await socket.SendAsync(RawSocket.Welcome);
            await socket.SendAsync("this is not JSON");
            await socket.SendAsync("""{"op":"mystery","id":"x"}""");
            await socket.SendAsync("[1,2,3]");
            var subscribe = await socket.ReceiveAsync();
            Assert.Contains("\"op\":\"subscribe\"", subscribe, StringComparison.Ordinal);
            await socket.SendAsync("""{"op":"subscribed"}"""); // missing id
            await socket.SendAsync("""{"op":"subscribed","id":"s","resume":null,"position":"e1:0"}""");
            await socket.SendAsync(RawSocket.Event("s", 1));
            await socket.SendAsync("""{"op":"event","sub":"s","event":{"id":"bad","type":"NOT A TYPE","topic":"tasks/t-1","priority":"normal","time":"2026-01-01T00:00:00+00:00","epoch":"e1","seq":2}}""");
            await socket.SendBinaryAsync([1, 2, 3]);
            await socket.SendAsync("""{"op":"event","sub":"s"}"""); // missing event
            await socket.SendAsync(RawSocket.Event("s", 3));
            await socket.WaitForCloseAsync();
        });
        var logger = new CollectingLogger<RealtimeEventsClient>();
        await using var client = new RealtimeEventsClient(new RealtimeEventsClientOptions { Endpoint = server.Endpoint }, logger);

        var subscription = await client.SubscribeAsync(new SubscriptionRequest { Id = "s" }).WithTimeout();
        var first = await subscription.NextAsync();
        var second = await subscription.NextAsync();

        Assert.Equal(1, first.Event!.Sequence);
        Assert.Equal(3, second.Event!.Sequence);
        Assert.Equal(ConnectionState.Open, client.State);
        var skipped = logger.Entries.Where(e => e.Id.Id == 305).Select(e => e.Message).ToList();
        Assert.Equal(6, skipped.Count);
        Assert.Contains(skipped, m => m.Contains("not JSON", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("unknown op 'mystery'", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("'id' is missing", StringComparison.Ordinal));
        Assert.Single(logger.Entries, e => e.Id.Id == 306);
    }

    [Fact]
    public async Task WelcomeOfProtocolVersion2_FailsSubscribeWithAClearErrorAndGoesOffline()
    {
        await using var server = await RawWebSocketServer.StartAsync(async socket =>
        {
            await socket.SendAsync(RawSocket.Welcome.Replace("\"protocol\":1", "\"protocol\":2", StringComparison.Ordinal));
            await socket.WaitForCloseAsync();
        });
        var logger = new CollectingLogger<RealtimeEventsClient>();
        await using var client = new RealtimeEventsClient(new RealtimeEventsClientOptions { Endpoint = server.Endpoint }, logger);
        var states = new StateRecorder(client);

        var error = await Assert.ThrowsAsync<RealtimeEventsClientException>(() => client.SubscribeAsync(new SubscriptionRequest()).WithTimeout());

        Assert.Equal("unsupported_protocol", error.Code);
        Assert.Contains("protocol version 2", error.Message, StringComparison.Ordinal);
        var offline = await states.WaitAsync(c => c.State == ConnectionState.Offline);
        Assert.Contains("version 2", offline.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(states.All, c => c.State == ConnectionState.Reconnecting);
        Assert.Contains(logger.Entries, e => e.Id.Id == 314);
    }
}
