using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RealtimeEvents.Client.Tests.Support;

/// <summary>A tiny Kestrel WebSocket server at <c>/realtime/ws</c> whose script decides every frame, to test bad server input.</summary>
internal sealed class RawWebSocketServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RawWebSocketServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>Gets the prefix to give the client (it connects to <c>{prefix}/ws</c>).</summary>
    public Uri Endpoint { get; }

    public static async Task<RawWebSocketServer> StartAsync(Func<RawSocket, Task> script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/realtime/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync("realtime-events.v1.json");
            try
            {
                await script(new RawSocket(socket));
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // The client went away; the script is over.
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RawWebSocketServer(app, new Uri(new Uri(address), "/realtime"));
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}

internal sealed class RawSocket(WebSocket socket)
{
    public const string Welcome = """{"op":"welcome","protocol":1,"connectionId":"c-raw000000000","position":"e1:0","heartbeatMs":15000,"limits":{"maxMessageBytes":16384,"maxSubscriptions":100,"messagesPerSecond":20,"messageBurst":40}}""";

    public static string Event(string sub, long seq) =>
        "{\"op\":\"event\",\"sub\":\"" + sub + "\",\"event\":{\"id\":\"ev-" + seq
        + "\",\"type\":\"task.progress\",\"topic\":\"tasks/t-1\",\"priority\":\"normal\",\"time\":\"2026-01-01T00:00:00+00:00\",\"epoch\":\"e1\",\"seq\":"
        + seq + ",\"data\":{\"n\":" + seq + "}}}";

    public Task SendAsync(string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] bytes) => socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Reads the next client message as text; null when the client closed.</summary>
    public async Task<string?> ReceiveAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(buffer, 0, length);
            }
        }
    }

    /// <summary>Waits until the client closes (or 30 seconds pass), answering its close.</summary>
    public async Task WaitForCloseAsync()
    {
        while (await ReceiveAsync() is not null)
        {
        }

        if (socket.State == WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None);
        }
    }
}
