// The sample host: a simulated workflow engine publishes execution, agent and task events; the RealtimeEvents endpoints
// (WebSocket, Server-Sent Events, SignalR) carry them to the live dashboard at "/", which uses the browser client the
// package serves at /realtime/client.js. Run it with `dotnet run --project samples/RealtimeEvents.SampleHost`.
using RealtimeEvents;
using RealtimeEvents.SampleHost.Api;
using RealtimeEvents.SampleHost.Engine;

var builder = WebApplication.CreateBuilder(args);
var realtime = builder.Services.AddRealtimeEvents()                   // options: the "RealtimeEvents" section of appsettings.json
    .AddSignalR()
    .AddSnapshotProvider<ExecutionSnapshots>("executions/**");         // a new dashboard gets the current state, then deltas
if (!string.IsNullOrEmpty(builder.Configuration["RealtimeEvents:RabbitMq:ConnectionString"]))
{
    realtime.AddRabbitMq(); // several nodes share one RabbitMQ stream: see "Run two nodes" in the README
}

builder.Services.AddHealthChecks().AddRealtimeEvents();
builder.Services.AddOptions<SimulatorOptions>().BindConfiguration(SimulatorOptions.SectionName)
    .Validate(o => SimulatorOptions.IsValidIdPrefix(o.IdPrefix), "Simulator:IdPrefix must be letters, digits, '-', '_', '.', ':' or '@'.")
    .ValidateOnStart();
builder.Services.AddSingleton<WorkflowEngine>();
// Every execution in the event log, built from its events (on every node, whichever node runs them): the snapshot's
// source. A hosted service, started before the server, so it follows the log before the first dashboard opens.
builder.Services.AddSingleton<ExecutionProjection>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ExecutionProjection>());
builder.Services.AddHostedService<TrickleService>();

var app = builder.Build();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAdminGuard("/realtime/admin", app.Configuration["Sample:AdminKey"]);

app.MapRealtimeEvents("/realtime");                 // /realtime/ws, /realtime/sse, /realtime/client.js
app.MapRealtimeEventsHub("/realtime/hub");          // SignalR
app.MapRealtimeEventsManagement("/realtime/admin"); // guarded by UseAdminGuard above
app.MapHealthChecks("/health");                      // the dispatcher, and with RabbitMQ the broker connection
ExecutionsApi.Map(app);

app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var address in app.Urls)
    {
        app.Logger.LogInformation("Dashboard: {Address}/", address.TrimEnd('/'));
    }
});

app.Run();

/// <summary>The sample's entry point; public for the tests' WebApplicationFactory-free hosting.</summary>
public partial class Program;
