// The sample host: a simulated workflow engine publishes execution, agent and progress events, and a console
// dashboard subscribes to them. The ASP.NET Core endpoints and the live web dashboard arrive with the transport package.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RealtimeEvents.SampleHost;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddRealtimeEvents(options => options.SubscriptionQueueCapacity = 256);
builder.Services.Configure<WorkflowSimulatorOptions>(builder.Configuration.GetSection("Simulator"));
builder.Services.AddHostedService<WorkflowSimulator>();
builder.Services.AddHostedService<ConsoleDashboard>();

await builder.Build().RunAsync();
