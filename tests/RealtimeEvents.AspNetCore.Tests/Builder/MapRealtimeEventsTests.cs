using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.Builder;

public sealed class MapRealtimeEventsTests
{
    [Fact]
    public async Task WithoutAddRealtimeEvents_MappingSaysWhatToCall()
    {
        var builder = WebApplication.CreateSlimBuilder();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapRealtimeEvents("/realtime"));
        Assert.Contains("AddRealtimeEvents()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidTransportOption_FailsWhenMapped_NamingTheOption()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddRealtimeEvents();
        builder.Services.Configure<RealtimeEventsTransportOptions>(o => o.MaxMessageBytes = 10);
        await using var app = builder.Build();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => app.MapRealtimeEvents("/realtime"));
        Assert.Contains("RealtimeEventsTransportOptions.MaxMessageBytes must be at least 256 bytes; it is 10.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransportOptions_AreBoundFromConfiguration_AndCodeWins()
    {
        await using var host = await TestHost.StartAsync(
            transport: o => o.MaxSubscriptionsPerConnection = 3,
            configure: builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["RealtimeEvents:Transport:MaxSubscriptionsPerConnection"] = "9",
                ["RealtimeEvents:Transport:MessagesPerSecond"] = "7",
                ["RealtimeEvents:Transport:MessageBurst"] = "8",
                ["RealtimeEvents:Transport:HeartbeatInterval"] = "00:00:20",
                ["RealtimeEvents:Transport:AllowedOrigins:0"] = "https://app.example.com",
            }));

        var options = host.Connections.Options;
        Assert.Equal(3, options.MaxSubscriptionsPerConnection);
        Assert.Equal(7, options.MessagesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(20), options.HeartbeatInterval);
        Assert.Equal(["https://app.example.com"], options.AllowedOrigins);
    }

    [Fact]
    public async Task AllowedOrigins_RefuseWebSocketsFromOtherPages()
    {
        await using var host = await TestHost.StartAsync(o => o.AllowedOrigins.Add("https://app.example.com"));

        using var foreign = new ClientWebSocket();
        foreign.Options.SetRequestHeader("Origin", "https://evil.example.net");
        foreign.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(host.WebSocketUri(), CancellationToken.None).WithTimeout());
        Assert.Equal(HttpStatusCode.Forbidden, foreign.HttpStatusCode);

        await using var own = await ProtocolClient.ConnectAsync(host.WebSocketUri(), o => o.SetRequestHeader("Origin", "https://app.example.com"));
        Assert.Equal("welcome", own.Welcome.GetProperty("op").GetString());
    }

    [Fact]
    public async Task TheWebSocketEndpoint_RefusesPlainHttpRequests_WithUnsupportedProtocol()
    {
        await using var host = await TestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await http.GetAsync(new Uri("/realtime/ws", UriKind.Relative)).WithTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"code\":\"unsupported_protocol\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
