using System.Text;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// The limits the fuzzer leans on, each at its exact boundary with the default options (docs/protocol.md, Limits): the
/// violation count and its two close statuses, the rate limit, the subscription limit, the size limit, the nesting limit.
/// </summary>
public sealed class WebSocketLimitsTests
{
    [Theory]
    [InlineData(false, 1008, "Too many invalid messages.")]
    [InlineData(true, 1003, "Binary frames are not supported.")]
    public async Task TheViolationOverTheLimit_IsAnswered_ThenClosesTheConnection(bool binaryLast, int status, string description)
    {
        await using var host = await TestHost.StartAsync();
        await using var connection = await ConnectAsync(host);
        for (var i = 0; i < 10; i++)
        {
            // Ten violations of several kinds: each answered, the connection stays.
            if (i % 3 == 0)
            {
                connection.Socket.AppendFrame(RawWebSocket.Binary, [1, 2, 3]);
            }
            else
            {
                connection.Socket.AppendFrame(RawWebSocket.Text, Encoding.UTF8.GetBytes(i % 3 == 1 ? "{\"op\":\"dance\",\"id\":\"d\"}" : "nope"));
            }
        }

        connection.Socket.AppendFrame(binaryLast ? RawWebSocket.Binary : RawWebSocket.Text, "{}"u8);
        await connection.Socket.FlushAsync();

        for (var i = 0; i < 10; i++)
        {
            var reply = (await ReadAsync(connection)).Reply!.Value;
            Assert.Equal(i % 3 == 0 ? "binary_not_supported" : i % 3 == 1 ? "unknown_op" : "malformed_message", reply.GetProperty("code").GetString());
        }

        var last = (await ReadAsync(connection)).Reply!.Value;
        Assert.Equal(binaryLast ? "binary_not_supported" : "missing_field", last.GetProperty("code").GetString());
        Assert.Equal(new ServerEnd(status, description), (await ReadAsync(connection)).End);
    }

    [Fact]
    public async Task MessagesPastTheBurst_AreRateLimited_AndCountAsViolations()
    {
        await using var host = await TestHost.StartAsync();
        var connecting = System.Diagnostics.Stopwatch.StartNew();
        await using var connection = await ConnectAsync(host);
        for (var i = 0; i < 60; i++)
        {
            connection.Socket.AppendFrame(RawWebSocket.Text, Encoding.UTF8.GetBytes($"{{\"op\":\"ping\",\"id\":\"{i}\"}}"));
        }

        await connection.Socket.FlushAsync();
        var pongs = 0;
        var limited = 0;
        ServerOutput output;
        while ((output = await ReadAsync(connection)).End is null)
        {
            var reply = output.Reply!.Value;
            if (reply.GetProperty("op").GetString() == "pong")
            {
                pongs++;
            }
            else
            {
                Assert.Equal("rate_limited", reply.GetProperty("code").GetString());
                Assert.False(reply.TryGetProperty("id", out _));
                limited++;
            }
        }

        // The burst (40), plus at most 20 a second of refill since the connection opened; the 11th refusal closes.
        Assert.InRange(pongs, 40, 40 + (int)(20 * connecting.Elapsed.TotalSeconds));
        Assert.Equal(11, limited);
        Assert.Equal(new ServerEnd(1008, "Too many invalid messages."), output.End);
    }

    [Fact]
    public async Task SubscribesPastTheLimit_GetTooManySubscriptions_UntilOneIsEnded()
    {
        await using var host = await TestHost.StartAsync(transport: o => WebSocketProtocolFuzzingTests.Generous(o));
        await using var connection = await ConnectAsync(host);
        for (var i = 0; i < 102; i++)
        {
            connection.Socket.AppendFrame(RawWebSocket.Text, Encoding.UTF8.GetBytes($"{{\"op\":\"subscribe\",\"id\":\"s{i}\",\"topics\":[\"fuzz/{i}\"]}}"));
        }

        connection.Socket.AppendFrame(RawWebSocket.Text, "{\"op\":\"unsubscribe\",\"id\":\"s0\"}"u8);
        connection.Socket.AppendFrame(RawWebSocket.Text, "{\"op\":\"subscribe\",\"id\":\"s100\",\"topics\":[\"fuzz/again\"]}"u8);
        await connection.Socket.FlushAsync();

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("subscribed", (await ReadAsync(connection)).Reply!.Value.GetProperty("op").GetString());
        }

        foreach (var id in new[] { "s100", "s101" })
        {
            var refused = (await ReadAsync(connection)).Reply!.Value;
            Assert.Equal("too_many_subscriptions", refused.GetProperty("code").GetString());
            Assert.Equal(id, refused.GetProperty("id").GetString());
        }

        Assert.Equal("unsubscribed", (await ReadAsync(connection)).Reply!.Value.GetProperty("op").GetString());
        Assert.Equal("subscribed", (await ReadAsync(connection)).Reply!.Value.GetProperty("op").GetString());
    }

    [Theory]
    [InlineData(16_384, true)]
    [InlineData(16_385, false)]
    public async Task MessageSize_IsCountedInBytes_UpToMaxMessageBytes(int bytes, bool handled)
    {
        await using var host = await TestHost.StartAsync();
        await using var connection = await ConnectAsync(host);
        var head = "{\"op\":\"ping\",\"id\":\"big\",\"pad\":\"";
        var room = bytes - Encoding.UTF8.GetByteCount(head) - 2;
        var pad = new string('\u4e2d', room / 3) + new string('a', room % 3); // 3-byte characters: fewer characters than bytes
        var json = Encoding.UTF8.GetBytes(head + pad + "\"}");
        Assert.Equal(bytes, json.Length);
        connection.Socket.AppendFrame(RawWebSocket.Text, json);
        await connection.Socket.FlushAsync();

        var reply = (await ReadAsync(connection)).Reply!.Value;
        Assert.Equal(handled ? "pong" : "error", reply.GetProperty("op").GetString());
        if (!handled)
        {
            Assert.Equal("message_too_large", reply.GetProperty("code").GetString());
            Assert.Equal(new ServerEnd(1009, "Message too big."), (await ReadAsync(connection)).End);
        }
    }

    [Theory]
    [InlineData(8, "pong")]
    [InlineData(9, "malformed_message")]
    public async Task Nesting_IsAllowedUpToEightLevels(int levels, string answer)
    {
        await using var host = await TestHost.StartAsync();
        await using var connection = await ConnectAsync(host);
        var value = "0";
        for (var level = 2; level <= levels; level++)
        {
            value = level % 2 == 0 ? "[" + value + "]" : "{\"n\":" + value + "}";
        }

        connection.Socket.AppendFrame(RawWebSocket.Text, Encoding.UTF8.GetBytes("{\"op\":\"ping\",\"id\":\"n\",\"x\":" + value + "}"));
        await connection.Socket.FlushAsync();

        var reply = (await ReadAsync(connection)).Reply!.Value;
        Assert.Equal(answer, reply.TryGetProperty("code", out var code) ? code.GetString() : reply.GetProperty("op").GetString());
    }

    [Theory]
    [InlineData("{\"op\":\"ping\",\"id\":\"\\ud800\"}")]
    [InlineData("{\"op\":\"\\udfff\"}")]
    [InlineData("{\"op\":\"subscribe\",\"id\":\"s\",\"topics\":[\"fuzz/\\ud83d\"]}")]
    [InlineData("{\"op\":\"ping\",\"\\udc00\":1}")]
    public async Task LoneSurrogateEscape_GetsMalformedMessage_AndTheConnectionGoesOn(string json)
    {
        await using var host = await TestHost.StartAsync();
        await using var connection = await ConnectAsync(host);
        connection.Socket.AppendFrame(RawWebSocket.Text, Encoding.UTF8.GetBytes(json));
        connection.Socket.AppendFrame(RawWebSocket.Text, "{\"op\":\"ping\",\"id\":\"\\ud83d\\ude00\"}"u8); // a surrogate pair is fine
        await connection.Socket.FlushAsync();

        var error = (await ReadAsync(connection)).Reply!.Value;
        Assert.Equal("malformed_message", error.GetProperty("code").GetString());
        Assert.False(error.TryGetProperty("id", out _));
        var pong = (await ReadAsync(connection)).Reply!.Value;
        Assert.Equal("\U0001F600", pong.GetProperty("id").GetString());
    }

    private static async Task<WebSocketFuzzConnection> ConnectAsync(TestHost host)
    {
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        return await WebSocketFuzzConnection.ConnectAsync(host, new Random(7), timeout.Token);
    }

    private static async Task<ServerOutput> ReadAsync(WebSocketFuzzConnection connection)
    {
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        return await connection.ReadAsync(timeout.Token);
    }
}
