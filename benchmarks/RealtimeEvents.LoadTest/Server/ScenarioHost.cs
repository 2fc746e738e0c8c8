using Microsoft.AspNetCore.SignalR;
using RealtimeEvents.AspNetCore;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>Registers and maps the one scenario a server hosts, nothing of the others, and creates its publisher.</summary>
internal static class ScenarioHost
{
    /// <summary>The path the scenario's clients connect under, without the query (what <see cref="ConnectionCounter"/> counts).</summary>
    public static PathString ConnectionPath(Scenario scenario)
    {
        var path = scenario.Path();
        var query = path.IndexOf('?', StringComparison.Ordinal);
        return new PathString(query < 0 ? path : path[..query]);
    }

    public static void AddServices(IServiceCollection services, ServerArguments arguments, RabbitMqStream? stream)
    {
        switch (arguments.Scenario)
        {
            case Scenario.RealtimeWebSocket or Scenario.RealtimeSse or Scenario.RealtimeSignalR:
                var realtime = services.AddRealtimeEvents(options =>
                {
                    if (arguments.QueueCapacity is { } capacity)
                    {
                        options.SubscriptionQueueCapacity = capacity;
                    }
                });
                services.Configure<RealtimeEventsTransportOptions>(options => options.MaxConnections = arguments.MaxConnections);
                if (arguments.Scenario == Scenario.RealtimeSignalR)
                {
                    realtime.AddSignalR();
                }

                if (stream is not null)
                {
                    realtime.AddRabbitMq(options =>
                    {
                        options.ConnectionString = stream.Uri;
                        options.StreamName = stream.Name;
                    });
                }

                break;
            case Scenario.PlainSignalR:
                services.AddSignalR();
                break;
            case Scenario.HandRolled:
                services.AddSingleton<HandRolledSockets>();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(arguments), arguments.Scenario, null);
        }
    }

    public static void Map(WebApplication app, Scenario scenario)
    {
        switch (scenario)
        {
            case Scenario.RealtimeWebSocket or Scenario.RealtimeSse:
                app.MapRealtimeEvents("/realtime");
                break;
            case Scenario.RealtimeSignalR:
                app.MapRealtimeEventsHub("/realtime/hub");
                break;
            case Scenario.PlainSignalR:
                app.MapHub<PlainHub>("/plain/hub");
                break;
            case Scenario.HandRolled:
                app.UseWebSockets();
                app.Map("/handrolled/ws", app.Services.GetRequiredService<HandRolledSockets>().HandleAsync);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null);
        }
    }

    public static ILoadPublisher CreatePublisher(IServiceProvider services, Scenario scenario, string pad) => scenario switch
    {
        Scenario.RealtimeWebSocket or Scenario.RealtimeSse or Scenario.RealtimeSignalR =>
            new RealtimeEventsLoadPublisher(services.GetRequiredService<IEventPublisher>(), pad),
        Scenario.PlainSignalR => new PlainSignalRLoadPublisher(services.GetRequiredService<IHubContext<PlainHub>>(), pad),
        Scenario.HandRolled => new HandRolledLoadPublisher(services.GetRequiredService<HandRolledSockets>(), pad),
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null),
    };
}
