using RealtimeEvents.SignalR.Tests.Support;

namespace RealtimeEvents.SignalR.Tests.Hubs;

/// <summary>The hub reads the request itself (a raw JSON value), with the WebSocket protocol's checks and error codes.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("""{"id":"x","topics":"tasks/a"}""", "invalid_field", "x")]
    [InlineData("""{"id":"x","types":[1]}""", "invalid_field", "x")]
    [InlineData("""{"id":"x","minPriority":"urgent"}""", "invalid_field", "x")]
    [InlineData("""{"id":"x","resumeAfter":"not a position"}""", "invalid_field", "x")]
    [InlineData("""{"id":"x","snapshot":"yes"}""", "invalid_field", "x")]
    [InlineData("""{"id":"x","topics":["executions/exec-*"]}""", "invalid_subscription", "x")]
    [InlineData("""{"id":5}""", "invalid_field", null)]
    [InlineData("""{"id":""}""", "invalid_field", null)]
    [InlineData("""{"topics":["tasks/a"]}""", "missing_field", null)]
    [InlineData("\"tasks/a\"", "malformed_message", null)]
    [InlineData("42", "malformed_message", null)]
    [InlineData("""["x"]""", "malformed_message", null)]
    [InlineData("null", "malformed_message", null)]
    public async Task Subscribe_WithABadRequest_ReturnsTheErrorCode_AndTheConnectionGoesOn(string request, string code, string? id)
    {
        await using var host = await SignalRTestHost.StartAsync();
        await using var client = await host.ConnectAsync();

        var reply = await client.SubscribeRawAsync(request);

        Assert.Equal("error", reply.GetProperty("op").GetString());
        Assert.Equal(code, reply.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(reply.GetProperty("message").GetString()));
        Assert.Equal(id, reply.TryGetProperty("id", out var replyId) ? replyId.GetString() : null);
        Assert.Empty(host.Broadcaster.Subscriptions);
        Assert.Equal("subscribed", (await client.SubscribeAsync("ok", topics: ["tasks/a"])).GetProperty("op").GetString());
    }

    [Theory]
    [InlineData(5)]
    [InlineData("")]
    [InlineData(null)]
    public async Task Unsubscribe_WithAnIdThatIsNotAString_IsInvalidField(object? id)
    {
        await using var host = await SignalRTestHost.StartAsync();
        await using var client = await host.ConnectAsync();

        var reply = await client.UnsubscribeAsync(id);

        Assert.Equal("error", reply.GetProperty("op").GetString());
        Assert.Equal("invalid_field", reply.GetProperty("code").GetString());
    }
}
