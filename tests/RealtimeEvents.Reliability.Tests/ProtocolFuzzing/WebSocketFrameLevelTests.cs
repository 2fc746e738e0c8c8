using System.Text;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// The frame-level categories of the fuzzer, one exact case each, with a well-behaved bystander connection that must not
/// notice: frames that break RFC 6455, invalid UTF-8, ping floods, fragment counts and lengths that lie.
/// </summary>
public sealed class WebSocketFrameLevelTests
{
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("{\"op\":\"ping\",\"id\":\"p\"}");

    public static TheoryData<string> Garbage => new()
    {
        "reserved bit 1", "reserved bits 2 and 3", "opcode 3", "opcode 0xB", "unmasked frame", "ping of 126 bytes", "fragmented ping",
        "continuation without a start", "text inside a fragmented message", "64-bit length with the top bit set", "close of one byte",
        "close status 1005", "close status 999", "close reason not UTF-8",
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task FrameBreakingRfc6455_ClosesWith1002OrAborts_AndHarmsNoOtherConnection(string kind)
    {
        await using var host = await TestHost.StartAsync();
        await using var bystander = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await using var connection = await ConnectAsync(host);
        var socket = connection.Socket;
        switch (kind)
        {
            case "reserved bit 1": socket.AppendFrame(RawWebSocket.Text, Ping, rsv: 4); break;
            case "reserved bits 2 and 3": socket.AppendFrame(RawWebSocket.Text, Ping, rsv: 3); break;
            case "opcode 3": socket.AppendFrame(3, Ping); break;
            case "opcode 0xB": socket.AppendFrame(0xB, Ping); break;
            case "unmasked frame": socket.AppendFrame(RawWebSocket.Text, Ping, masked: false); break;
            case "ping of 126 bytes": socket.AppendFrame(RawWebSocket.Ping, new byte[126]); break;
            case "fragmented ping": socket.AppendFrame(RawWebSocket.Ping, "x"u8, fin: false); break;
            case "continuation without a start": socket.AppendFrame(RawWebSocket.Continuation, Ping); break;
            case "text inside a fragmented message":
                socket.AppendFrame(RawWebSocket.Text, Ping.AsSpan(0, 4), fin: false);
                socket.AppendFrame(RawWebSocket.Text, Ping);
                break;
            case "64-bit length with the top bit set": socket.AppendFrame(RawWebSocket.Text, Ping, claimedLength: long.MinValue + 22); break;
            case "close of one byte": socket.AppendFrame(RawWebSocket.Close, "x"u8); break;
            case "close status 1005": socket.AppendClose(1005); break;
            case "close status 999": socket.AppendClose(999); break;
            default: socket.AppendFrame(RawWebSocket.Close, new byte[] { 0x03, 0xE8, 0xC3, 0x28 }); break;
        }

        await AssertFailedByTheWebSocketLayerAsync(host, connection, 1002);
        await AssertStillServedAsync(bystander);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 }, 1)]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, 1)] // an encoded surrogate
    [InlineData(new byte[] { 0xE2, 0x82 }, 3)] // cut short, across fragments
    public async Task TextThatIsNotUtf8_ClosesWith1007OrAborts_WithoutAnErrorReply(byte[] bad, int fragments)
    {
        await using var host = await TestHost.StartAsync();
        await using var bystander = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await using var connection = await ConnectAsync(host);
        var payload = "{\"op\":\"ping\",\"id\":\"a"u8.ToArray().Concat(bad).Concat("z\"}"u8.ToArray()).ToArray();
        WebSocketFuzzInput.WriteFragments(connection.Socket, RawWebSocket.Text, payload, fragments);

        await AssertFailedByTheWebSocketLayerAsync(host, connection, 1007);
        await AssertStillServedAsync(bystander);
    }

    [Fact]
    public async Task PingFrameFlood_GetsOnePongFramePerPing_AndTheConnectionGoesOn()
    {
        await using var host = await TestHost.StartAsync();
        await using var connection = await ConnectAsync(host);
        for (var i = 0; i < 2_000; i++)
        {
            connection.Socket.AppendFrame(RawWebSocket.Ping, Encoding.ASCII.GetBytes($"ping {i}"));
        }

        connection.Socket.AppendFrame(RawWebSocket.Text, Ping);
        await connection.Socket.FlushAsync();
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        for (var i = 0; i < 2_000; i++)
        {
            var pong = await connection.ReadAsync(timeout.Token);
            Assert.Equal($"ping {i}", Encoding.ASCII.GetString(Assert.IsType<byte[]>(pong.PongFrame)));
        }

        var reply = await connection.ReadAsync(timeout.Token);
        Assert.Equal("pong", reply.Reply!.Value.GetProperty("op").GetString());
    }

    [Theory]
    [InlineData(64, 250)] // 16,000 bytes: regression, the receive buffer grew in steps and each step split a frame in two reads
    [InlineData(64, 1)]
    [InlineData(2, 8_000)]
    public async Task SixtyFourFragmentsOrFewer_AreHandledLikeTheWholeMessage(int fragments, int fragmentBytes)
    {
        await using var host = await TestHost.StartAsync();
        await using var connection = await ConnectAsync(host);
        var head = "{\"op\":\"ping\",\"id\":\"f\",\"pad\":\"";
        var json = head + new string('x', Math.Max(0, (fragments * fragmentBytes) - head.Length - 2)) + "\"}";
        WebSocketFuzzInput.WriteFragments(connection.Socket, RawWebSocket.Text, Encoding.UTF8.GetBytes(json), fragments);
        await connection.Socket.FlushAsync();

        var reply = await ReadAsync(connection);
        Assert.Equal("pong", reply.Reply!.Value.GetProperty("op").GetString());
        Assert.Equal("f", reply.Reply!.Value.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SixtyFiveFragments_GetMalformedMessage_ThenClose1008(bool binary)
    {
        await using var host = await TestHost.StartAsync();
        await using var connection = await ConnectAsync(host);
        WebSocketFuzzInput.WriteFragments(connection.Socket, binary ? RawWebSocket.Binary : RawWebSocket.Text, Ping, 65);
        await connection.Socket.FlushAsync();

        var error = await ReadAsync(connection);
        Assert.Equal("malformed_message", error.Reply!.Value.GetProperty("code").GetString());
        Assert.False(error.Reply!.Value.TryGetProperty("id", out _));
        var end = await ReadAsync(connection);
        Assert.Equal(new ServerEnd(1008, "Too many fragments."), end.End);
    }

    [Theory]
    [InlineData(1L << 50, 16_385)] // petabytes claimed, one byte over the limit sent: refused without waiting for the rest
    [InlineData(20_000, 20_000)]
    public async Task FrameLongerThanTheLimit_GetsMessageTooLarge_ThenClose1009_AsSoonAsTheLimitIsPassed(long claimed, int sent)
    {
        await using var host = await TestHost.StartAsync();
        await using var connection = await ConnectAsync(host);
        connection.Socket.AppendFrame(RawWebSocket.Text, new byte[sent], claimedLength: claimed);
        await connection.Socket.FlushAsync();

        var error = await ReadAsync(connection);
        Assert.Equal("message_too_large", error.Reply!.Value.GetProperty("code").GetString());
        var end = await ReadAsync(connection);
        Assert.Equal(new ServerEnd(1009, "Message too big."), end.End);
    }

    private static async Task<WebSocketFuzzConnection> ConnectAsync(TestHost host)
    {
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        return await WebSocketFuzzConnection.ConnectAsync(host, new Random(9), timeout.Token);
    }

    private static async Task<ServerOutput> ReadAsync(WebSocketFuzzConnection connection)
    {
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        return await connection.ReadAsync(timeout.Token);
    }

    /// <summary>
    /// The runtime's WebSocket fails the connection: a close frame with <paramref name="status"/> and no description, or
    /// none when the connection drops before it is flushed; no error reply; the server forgets the connection.
    /// </summary>
    private static async Task AssertFailedByTheWebSocketLayerAsync(TestHost host, WebSocketFuzzConnection connection, int status)
    {
        var removed = host.WhenConnectionRemoved(); // the bystander stays: the only connection that can go is this one
        await connection.Socket.FlushAsync();
        var output = await ReadAsync(connection);
        Assert.Null(output.Reply);
        Assert.True(output.End == new ServerEnd(status, string.Empty) || output.End == new ServerEnd(null, null), $"got {output}");
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        Assert.True(await connection.FinishCloseAsync(timeout.Token), "the server kept the TCP connection open");
        await removed.WithTimeout();
    }

    private static async Task AssertStillServedAsync(ProtocolClient bystander)
    {
        await bystander.SendAsync("{\"op\":\"ping\",\"id\":\"still\"}");
        var pong = await bystander.ReceiveOpAsync("pong");
        Assert.Equal("still", pong.GetProperty("id").GetString());
    }
}
