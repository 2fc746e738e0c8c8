using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// A client that announces a large message and then sends almost none of it pins no more than what it sent, whatever
/// <c>MaxMessageBytes</c> allows: the receive buffer grows with the bytes that arrive.
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public sealed class WebSocketStalledSenderTests(ITestOutputHelper output)
{
    private const int Connections = 100;
    private const int MaxMessageBytes = 256 * 1024;

    [Fact]
    public async Task StalledSender_PinnedAWholeMessageBufferPerConnection()
    {
        await using var host = await TestHost.StartAsync(transport: o =>
        {
            o.MaxMessageBytes = MaxMessageBytes;
            o.HeartbeatInterval = TimeSpan.FromMinutes(5);
            o.HeartbeatTimeout = TimeSpan.FromMinutes(10);
        });
        var random = new Random(20_261_122);
        await using var bystander = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        var sockets = new List<RawWebSocket>(Connections);
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                sockets.Add(await RawWebSocket.ConnectAsync(host.BaseAddress, random).WithTimeout());
            }

            // Measured with every connection (and the clients' own buffers) already open, so the difference is what the
            // server holds for the messages announced.
            await RoundTripAsync(bystander, "before");
            var before = ProcessProbe.Read();
            foreach (var socket in sockets)
            {
                socket.AppendFrame(RawWebSocket.Text, "{"u8, claimedLength: MaxMessageBytes);
                await socket.FlushAsync().WithTimeout();
            }

            // Each frame header and first byte went out before this ping; the pong shows the server at the latest input,
            // so the reads that announced the messages have almost certainly been taken (if not, this under-measures).
            await RoundTripAsync(bystander, "during");
            var during = ProcessProbe.Read();

            var perConnection = (during.ManagedBytes - before.ManagedBytes) / Connections;
            output.WriteLine($"figure: stalled_sender_before={before}");
            output.WriteLine($"figure: stalled_sender_during={during}");
            output.WriteLine($"figure: stalled_sender_managed_per_connection_bytes={perConnection}");

            // The buffer starts at 4 KiB and grows with what arrives; renting one for the whole allowance up front cost
            // MaxMessageBytes + 1 rounded up to a power of two, 512 KiB here, per connection.
            Assert.True(perConnection < 64 * 1024,
                $"{Connections} connections that announced a {MaxMessageBytes}-byte message and sent one byte hold {perConnection} bytes each.");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    private static async Task RoundTripAsync(ProtocolClient client, string id)
    {
        await client.SendAsync($$"""{"op":"ping","id":"{{id}}"}""");
        Assert.Equal(id, (await client.ReceiveOpAsync("pong")).GetProperty("id").GetString());
    }
}
