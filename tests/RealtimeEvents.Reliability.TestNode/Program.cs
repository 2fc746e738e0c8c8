// A RealtimeEvents node for the node-loss tests (tests/RealtimeEvents.Reliability.Tests/NodeLoss): the WebSocket and SSE
// endpoints, the management endpoints and /health on Kestrel at 127.0.0.1 on a free port, with the RabbitMQ event log
// configured from the command line (--RealtimeEvents:RabbitMq:ConnectionString=... --RealtimeEvents:RabbitMq:StreamName=...).
// Once it listens it prints one line to stdout, "READY http://127.0.0.1:<port>"; logs go to stderr. The tests end it with
// SIGKILL, so nothing graceful runs. It also stops when its standard input is a pipe or a file and that closes, so it
// never outlives the test process that started it.
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using RealtimeEvents.AspNetCore;

var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

builder.Services.AddRealtimeEvents(options =>
    {
        // The tests check every event once: no subscriber may overflow, and a resume must reach back to the run's start.
        options.SubscriptionQueueCapacity = 100_000;
        options.History.MaxEvents = 1_000_000;
        options.History.MaxBytes = 1L << 30;
    })
    .AddRabbitMq();
builder.Services.Configure<RealtimeEventsTransportOptions>(transport =>
{
    // Short, so a client whose node stopped answering without closing notices within seconds (twice the interval plus a
    // margin); the timeout leaves room for a test process starved of CPU on a busy machine to answer pings.
    transport.HeartbeatInterval = TimeSpan.FromSeconds(1);
    transport.HeartbeatTimeout = TimeSpan.FromSeconds(5);
});
builder.Services.AddHealthChecks().AddRealtimeEvents();

var app = builder.Build();
app.MapRealtimeEvents("/realtime"); // /realtime/ws, /realtime/sse
app.MapRealtimeEventsManagement("/realtime/admin"); // POST /realtime/admin/events publishes
app.MapHealthChecks("/health"); // realtime_events and realtime_events_rabbitmq

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
