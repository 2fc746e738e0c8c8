// The host the JavaScript tests start (tests/RealtimeEvents.SignalR.JsTests and tests/RealtimeEvents.Client.JsTests):
// RealtimeEventsHub, the WebSocket and SSE endpoints (with the browser client) and the management endpoints on Kestrel at
// 127.0.0.1 on a free port, and test-only endpoints. Once it listens it prints one line to stdout,
// "READY http://127.0.0.1:<port>"; logs go to stderr. It stops on SIGTERM, and when its standard input is a pipe or
// a file, also when that closes, so it never outlives the test process that started it.
// REALTIME_QUEUE_CAPACITY sets the subscription queue capacity (64 by default: small, so overflow is easy to reach).
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using RealtimeEvents;
using RealtimeEvents.SignalR.TestServer;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
builder.Logging.ClearProviders();
builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

var capacity = int.TryParse(Environment.GetEnvironmentVariable("REALTIME_QUEUE_CAPACITY"), NumberStyles.None, CultureInfo.InvariantCulture,
    out var configured) ? configured : 64;
builder.Services.AddRealtimeEvents(options =>
    {
        options.SubscriptionQueueCapacity = capacity;
        options.History.MaxEvents = 100_000; // a burst must not outrun history: the tests count every event
    })
    .AddSubscriptionAuthorizer(SecretTopics.Authorize)
    .AddSignalR();
builder.Services.Configure<Microsoft.AspNetCore.SignalR.HubOptions>(hub => hub.EnableDetailedErrors = true);
builder.Services.AddSingleton<HubTransports>();

var app = builder.Build();
app.MapRealtimeEventsHub<TestHub>("/realtime/hub");
app.MapRealtimeEvents("/realtime"); // /realtime/ws, /realtime/sse, /realtime/client.js
app.MapRealtimeEventsManagement("/realtime/admin");
TestEndpoints.Map(app);

await app.StartAsync();

var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
Console.Out.WriteLine($"READY http://127.0.0.1:{address.Port.ToString(CultureInfo.InvariantCulture)}");
Console.Out.Flush();

if (Console.IsInputRedirected)
{
    _ = Task.Run(async () =>
    {
        using var input = Console.OpenStandardInput();
        var buffer = new byte[256];
        while (await input.ReadAsync(buffer) > 0)
        {
        }

        app.Lifetime.StopApplication();
    });
}

await app.WaitForShutdownAsync();
