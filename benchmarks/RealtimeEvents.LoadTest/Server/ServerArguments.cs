using System.Globalization;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>The command line of <c>server</c>.</summary>
/// <param name="Scenario">The one scenario this process hosts.</param>
/// <param name="Log">The event log of the RealtimeEvents scenarios.</param>
/// <param name="EventBytes">The target size of one event's JSON, in bytes.</param>
/// <param name="MaxConnections">RealtimeEventsTransportOptions.MaxConnections of the RealtimeEvents scenarios.</param>
/// <param name="QueueCapacity">RealtimeEventsOptions.SubscriptionQueueCapacity, or <see langword="null"/> for the library's default.</param>
internal sealed record ServerArguments(Scenario Scenario, ServerLog Log, int EventBytes, int MaxConnections, int? QueueCapacity)
{
    public const string Usage =
        "usage: server --scenario re-ws|re-sse|re-signalr|signalr|handrolled [--log memory|rabbitmq] [--event-bytes 200] " +
        "[--max-connections 30000] [--queue-capacity N]";

    /// <summary>Parses the arguments after <c>server</c>.</summary>
    /// <exception cref="ArgumentException">An argument is unknown, missing its value or out of range; the message says which.</exception>
    public static ServerArguments Parse(string[] args)
    {
        Scenario? scenario = null;
        var log = ServerLog.Memory;
        var eventBytes = 200;
        var maxConnections = 30_000;
        int? queueCapacity = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"'{name}' needs a value.");
            }

            var value = args[++i];
            switch (name)
            {
                case "--scenario":
                    scenario = Scenarios.Parse(value);
                    break;
                case "--log":
                    log = value.ToUpperInvariant() switch
                    {
                        "MEMORY" => ServerLog.Memory,
                        "RABBITMQ" => ServerLog.RabbitMq,
                        _ => throw new ArgumentException($"Unknown log '{value}': use memory or rabbitmq."),
                    };
                    break;
                case "--event-bytes":
                    eventBytes = ParseInt(name, value, min: 1);
                    break;
                case "--max-connections":
                    maxConnections = ParseInt(name, value, min: 1);
                    break;
                case "--queue-capacity":
                    queueCapacity = ParseInt(name, value, min: 1);
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        if (scenario is not { } chosen)
        {
            throw new ArgumentException("--scenario is required.");
        }

        if (log == ServerLog.RabbitMq && !chosen.IsRealtimeEvents())
        {
            throw new ArgumentException($"--log rabbitmq applies to the RealtimeEvents scenarios only, not to '{chosen.Name()}'.");
        }

        return new ServerArguments(chosen, log, eventBytes, maxConnections, queueCapacity);
    }

    private static int ParseInt(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed >= min
            ? parsed
            : throw new ArgumentException($"{name} must be a whole number of at least {min}; it is '{value}'.");
}
