using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>The test client against a plain SignalR hub, so its failures are told apart from the server's.</summary>
public sealed class SignalRProtocolClientTests
{
    [Fact]
    public async Task Invoke_ReturnsTheCompletionsResult()
    {
        await using var app = await EchoApp.StartAsync();
        await using var client = await SignalRProtocolClient.ConnectAsync(app.HubUri, readWelcome: false);

        var result = await client.InvokeAsync("Echo", new { a = 1, b = new[] { "x", "y" } });

        Assert.Equal("""{"a":1,"b":["x","y"]}""", result.GetRawText());
    }

    [Fact]
    public async Task HubMessagesBeforeACompletion_AreKeptInOrder_AndLogged()
    {
        await using var app = await EchoApp.StartAsync();
        await using var client = await SignalRProtocolClient.ConnectAsync(app.HubUri, readWelcome: false);

        // Small records share WebSocket messages; 100 KB records span several.
        var small = await client.InvokeForCompletionAsync("Burst", 500, 10);
        var large = await client.InvokeForCompletionAsync("Burst", 5, 100_000);

        Assert.Equal(500, small.Result.GetInt32());
        Assert.Equal(5, large.Result.GetInt32());
        var received = new List<HubMessage>();
        for (var i = 0; i < 505; i++)
        {
            received.Add(await client.ReceiveAsync());
        }

        Assert.Equal([.. Enumerable.Range(0, 500), .. Enumerable.Range(0, 5)], received.Select(m => m.Argument.GetProperty("n").GetInt32()));
        Assert.All(received.Skip(500), m => Assert.Equal(100_000, m.Argument.GetProperty("pad").GetString()!.Length));
        Assert.True(received[499].Sequence < small.Sequence && small.Sequence < received[500].Sequence && received[504].Sequence < large.Sequence);
        Assert.Equal(small, client.Log[small.Sequence]);
    }

    [Fact]
    public async Task AnErrorCompletion_Throws_WithTheServersMessage()
    {
        await using var app = await EchoApp.StartAsync();
        await using var client = await SignalRProtocolClient.ConnectAsync(app.HubUri, readWelcome: false);

        var error = await Assert.ThrowsAsync<HubInvocationException>(() => client.InvokeAsync("Fail"));

        Assert.Contains("nope", error.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_TimesOut_WithAClearMessage()
    {
        await using var app = await EchoApp.StartAsync();
        await using var client = await SignalRProtocolClient.ConnectAsync(app.HubUri, readWelcome: false);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.ReceiveAsync(TimeSpan.FromMilliseconds(200)));

        Assert.Contains("a hub message", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerAbort_EndsTheConnection_WithACloseMessage()
    {
        await using var app = await EchoApp.StartAsync();
        await using var client = await SignalRProtocolClient.ConnectAsync(app.HubUri, readWelcome: false);

        await client.SendNonBlockingInvocationAsync("Abort");
        var end = await client.ReceiveUntilClosedAsync();

        Assert.NotNull(end.Close);
        Assert.NotEqual(true, end.Close.AllowReconnect);
    }

    [Fact]
    public async Task AServerCloseRequest_EndsTheConnection_WithACloseMessageThatAllowsReconnect()
    {
        await using var app = await EchoApp.StartAsync();
        await using var client = await SignalRProtocolClient.ConnectAsync(app.HubUri, readWelcome: false);

        await client.SendNonBlockingInvocationAsync("RequestClose");
        var end = await client.ReceiveUntilClosedAsync();

        Assert.NotNull(end.Close);
        Assert.True(end.Close.AllowReconnect);
        Assert.Null(end.Close.Error);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, end.Status);
    }

    [Fact]
    public async Task ClientClose_IsAnsweredByTheServer()
    {
        await using var app = await EchoApp.StartAsync();
        await using var client = await SignalRProtocolClient.ConnectAsync(app.HubUri, readWelcome: false);

        var end = await client.CloseAsync();

        Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, client.Socket.State);
        Assert.Null(end.Close);
    }

    private sealed class EchoHub : Hub
    {
        public JsonElement Echo(JsonElement value) => value;

        public async Task<int> Burst(int count, int size)
        {
            var pad = new string('p', size);
            for (var n = 0; n < count; n++)
            {
                await Clients.Caller.SendAsync("burst", new { n, pad });
            }

            return count;
        }

        public void Fail() => throw new HubException("nope");

        public void Abort() => Context.Abort();

        public void RequestClose() => Context.Features.Get<IConnectionLifetimeNotificationFeature>()!.RequestClose();
    }

    private sealed class EchoApp : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private EchoApp(WebApplication app, Uri hubUri)
        {
            _app = app;
            HubUri = hubUri;
        }

        public Uri HubUri { get; }

        public static async Task<EchoApp> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = null);
            var app = builder.Build();
            app.MapHub<EchoHub>("/echo");
            await app.StartAsync().WithTimeout();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new EchoApp(app, new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/echo"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync().WithTimeout();
            await _app.DisposeAsync();
        }
    }
}
