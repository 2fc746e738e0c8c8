using System.Net.WebSockets;
using System.Text;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.WebSockets;

/// <summary>Every kind of bad input gets its documented code or close status, and well-behaved connections never notice.</summary>
public sealed class BadInputTests
{
    public static TheoryData<string, string, string?> Messages => new()
    {
        { "not json at all", ProtocolErrorCodes.MalformedMessage, null },
        { "", ProtocolErrorCodes.MalformedMessage, null }, // an empty frame: whole after the zero-byte read that waits for it
        { "{\"op\":\"subscribe\"", ProtocolErrorCodes.MalformedMessage, null },
        { "[1,2,3]", ProtocolErrorCodes.MalformedMessage, null },
        { "\"subscribe\"", ProtocolErrorCodes.MalformedMessage, null },
        { "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}}", ProtocolErrorCodes.MalformedMessage, null },
        { "{}", ProtocolErrorCodes.MissingField, null },
        { "{\"op\":42}", ProtocolErrorCodes.InvalidField, null },
        { "{\"op\":\"dance\",\"id\":\"x\"}", ProtocolErrorCodes.UnknownOp, "x" },
        { "{\"op\":\"subscribe\"}", ProtocolErrorCodes.MissingField, null },
        { "{\"op\":\"subscribe\",\"id\":7}", ProtocolErrorCodes.InvalidField, null },
        { "{\"op\":\"subscribe\",\"id\":\"\"}", ProtocolErrorCodes.InvalidField, null },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"topics\":\"executions/*\"}", ProtocolErrorCodes.InvalidField, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"topics\":[1]}", ProtocolErrorCodes.InvalidField, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"types\":{}}", ProtocolErrorCodes.InvalidField, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"minPriority\":\"urgent\"}", ProtocolErrorCodes.InvalidField, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"minPriority\":3}", ProtocolErrorCodes.InvalidField, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"meta\":{\"tenant\":1}}", ProtocolErrorCodes.InvalidField, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"resumeAfter\":\"yesterday\"}", ProtocolErrorCodes.InvalidField, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"snapshot\":\"yes\"}", ProtocolErrorCodes.InvalidField, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"topics\":[\"Bad Topic!\"]}", ProtocolErrorCodes.InvalidSubscription, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"topics\":[\"a/**/b\"]}", ProtocolErrorCodes.InvalidSubscription, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"types\":[\"NOT A TYPE\"]}", ProtocolErrorCodes.InvalidSubscription, "s" },
        { "{\"op\":\"subscribe\",\"id\":\"s\",\"snapshot\":true,\"topics\":[\"executions/e1\"]}", ProtocolErrorCodes.SnapshotUnavailable, "s" },
        { "{\"op\":\"unsubscribe\"}", ProtocolErrorCodes.MissingField, null },
        { "{\"op\":\"unsubscribe\",\"id\":\"nobody\"}", ProtocolErrorCodes.UnknownSubscription, "nobody" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public async Task BadMessage_GetsAnErrorWithTheStableCode_AndTheConnectionKeepsWorking(string message, string code, string? id)
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        await client.SendAsync(message);
        var error = await client.ReceiveAsync();

        Assert.Equal("error", error.GetProperty("op").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(id, error.TryGetProperty("id", out var echoed) ? echoed.GetString() : null);

        var subscribed = await client.SubscribeAsync("ok", topics: ["tasks/**"]);
        Assert.Equal("subscribed", subscribed.GetProperty("op").GetString());
    }

    [Fact]
    public async Task DuplicateSubscriptionId_IsRejected()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s1", topics: ["tasks/**"]);

        var error = await client.SubscribeAsync("s1", topics: ["executions/**"]);

        Assert.Equal(ProtocolErrorCodes.DuplicateSubscription, error.GetProperty("code").GetString());
        Assert.Equal("s1", error.GetProperty("id").GetString());
    }

    [Fact]
    public async Task TooManySubscriptions_IsRejected()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxSubscriptionsPerConnection = 2);
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("a");
        await client.SubscribeAsync("b");

        var error = await client.SubscribeAsync("c");

        Assert.Equal(ProtocolErrorCodes.TooManySubscriptions, error.GetProperty("code").GetString());
        await client.SendAsync(new { op = "unsubscribe", id = "a" });
        Assert.Equal("unsubscribed", (await client.ReceiveAsync()).GetProperty("op").GetString());
        Assert.Equal("subscribed", (await client.SubscribeAsync("c")).GetProperty("op").GetString());
    }

    [Fact]
    public async Task MessagesOverTheRate_AreIgnoredWithRateLimited()
    {
        await using var host = await TestHost.StartAsync(o =>
        {
            o.MessagesPerSecond = 1;
            o.MessageBurst = 3;
            o.MaxProtocolViolations = 100;
        });
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        for (var i = 0; i < 10; i++)
        {
            await client.SendAsync(new { op = "ping", id = $"p{i}" });
        }

        var replies = new List<string?>();
        for (var i = 0; i < 10; i++)
        {
            var reply = await client.ReceiveAsync();
            replies.Add(reply.GetProperty("op").GetString() == "pong" ? "pong" : reply.GetProperty("code").GetString());
        }

        Assert.True(replies.Count(r => r == "pong") is >= 3 and < 10, string.Join(",", replies));
        Assert.Contains(ProtocolErrorCodes.RateLimited, replies);
    }

    [Fact]
    public async Task RateLimit_RefillsAsTimePasses()
    {
        await using var host = await TestHost.StartAsync(o =>
        {
            o.MessagesPerSecond = 5;
            o.MessageBurst = 5;
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(1200);
            o.HeartbeatTimeout = TimeSpan.FromSeconds(30);
        });
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        async Task<List<string?>> PingAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await client.SendAsync(new { op = "ping" });
            }

            var replies = new List<string?>();
            while (replies.Count < count)
            {
                var reply = await client.ReceiveAsync();
                var op = reply.GetProperty("op").GetString();
                if (op != "heartbeat")
                {
                    replies.Add(op == "pong" ? "pong" : reply.GetProperty("code").GetString());
                }
            }

            return replies;
        }

        Assert.All(await PingAsync(5), r => Assert.Equal("pong", r)); // the whole burst
        Assert.Equal([ProtocolErrorCodes.RateLimited], await PingAsync(1)); // the bucket is empty

        // A heartbeat comes only after 1.2 s of quiet: by then a second's worth of tokens is back.
        Assert.Equal("heartbeat", (await client.ReceiveAsync()).GetProperty("op").GetString());
        Assert.All(await PingAsync(5), r => Assert.Equal("pong", r));
    }

    [Fact]
    public async Task BinaryFrame_GetsAnError_AndRepeatedBinaryFramesClose1003()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxProtocolViolations = 2);
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        await client.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None).WithTimeout();
        var error = await client.ReceiveAsync();
        Assert.Equal(ProtocolErrorCodes.BinaryNotSupported, error.GetProperty("code").GetString());

        await client.Socket.SendAsync(new byte[] { 1 }, WebSocketMessageType.Binary, true, CancellationToken.None).WithTimeout();
        await client.Socket.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, true, CancellationToken.None).WithTimeout(); // empty: whole at the zero-byte read
        var (status, _, messages) = await client.ReceiveUntilClosedAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, status);
        Assert.All(messages, m => Assert.Equal(ProtocolErrorCodes.BinaryNotSupported, m.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task RepeatedBadMessages_Close1008()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxProtocolViolations = 3);
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        for (var i = 0; i < 4; i++)
        {
            await client.SendAsync("garbage");
        }

        var (status, _, messages) = await client.ReceiveUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal(4, messages.Count(m => m.GetProperty("code").GetString() == ProtocolErrorCodes.MalformedMessage));
    }

    [Fact]
    public async Task OversizedMessage_GetsMessageTooLarge_AndClose1009()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxMessageBytes = 1024);
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        var big = "{\"op\":\"ping\",\"id\":\"" + new string('x', 4000) + "\"}";
        await client.Socket.SendAsync(Encoding.UTF8.GetBytes(big), WebSocketMessageType.Text, true, CancellationToken.None).WithTimeout();
        var (status, _, messages) = await client.ReceiveUntilClosedAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Equal(ProtocolErrorCodes.MessageTooLarge, Assert.Single(messages).GetProperty("code").GetString());
    }

    [Fact]
    public async Task SixtyFourFragmentsOfALargeMessage_AreHandledLikeTheWholeMessage_NotCountedAsMoreFragments()
    {
        // Regression: the receive buffer grew from 4 KiB in steps, and each step split the frame being read into two reads,
        // each counted as a fragment, so 64 fragments of 250 bytes counted 66 and closed the connection 1008.
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        var head = "{\"op\":\"ping\",\"id\":\"f\",\"pad\":\"";
        var message = Encoding.UTF8.GetBytes(head + new string('x', 16_000 - head.Length - 2) + "\"}");

        for (var i = 0; i < 64; i++)
        {
            await client.Socket.SendAsync(message.AsMemory(i * 250, 250), WebSocketMessageType.Text, endOfMessage: i == 63, CancellationToken.None).WithTimeout();
        }

        var pong = await client.ReceiveAsync();
        Assert.Equal("pong", pong.GetProperty("op").GetString());
        Assert.Equal("f", pong.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("{\"op\":\"ping\",\"id\":\"\\ud800\"}")]
    [InlineData("{\"op\":\"subscribe\",\"id\":\"s\",\"topics\":[\"tasks/\\udfff\"]}")]
    [InlineData("{\"op\":\"subscribe\",\"id\":\"s\",\"meta\":{\"\\udc00\":\"v\"}}")]
    public async Task LoneSurrogateEscape_GetsMalformedMessage_InsteadOfEndingTheConnection(string message)
    {
        // Regression: System.Text.Json refuses to read a string escaping a lone surrogate; the exception escaped the receive
        // loop, the connection ended with 1000 "Closing." and the host logged an unhandled error.
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        await client.SendAsync(message);
        var error = await client.ReceiveAsync();

        Assert.Equal(ProtocolErrorCodes.MalformedMessage, error.GetProperty("code").GetString());
        Assert.False(error.TryGetProperty("id", out _));
        var subscribed = await client.SubscribeAsync("ok", topics: ["tasks/**"]);
        Assert.Equal("subscribed", subscribed.GetProperty("op").GetString());
    }

    [Fact]
    public async Task FragmentFlood_IsClosed1008()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        for (var i = 0; i < 100; i++)
        {
            await client.Socket.SendAsync(Encoding.UTF8.GetBytes(" "), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None).WithTimeout();
        }

        var (status, _, _) = await client.ReceiveUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
    }

    [Fact]
    public async Task Abuse_OnOneConnection_DoesNotDisturbOthers()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxProtocolViolations = 5);
        await using var good = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await good.SubscribeAsync("s", topics: ["tasks/**"]);
        await using var bad = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        var abuse = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await bad.SendAsync("{{{{");
            }

            return await bad.ReceiveUntilClosedAsync();
        });
        for (var i = 0; i < 200; i++)
        {
            await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "tasks/t1") { Data = EventData.From(new Dictionary<string, int> { ["i"] = i }) });
        }

        var events = await good.ReceiveEventsAsync("s", 200);
        Assert.Equal(Enumerable.Range(0, 200), events.Select(e => e.GetProperty("data").GetProperty("i").GetInt32()));
        var (status, _, _) = await abuse.WithTimeout();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
    }
}
