namespace RealtimeEvents.LoadTest.Shared;

/// <summary>The server variants the load tool compares, each hosted alone in its own server process.</summary>
internal enum Scenario
{
    /// <summary>RealtimeEvents' WebSocket endpoint (<c>MapRealtimeEvents</c>, <c>/realtime/ws</c>).</summary>
    RealtimeWebSocket,

    /// <summary>RealtimeEvents' Server-Sent Events endpoint (<c>/realtime/sse</c>).</summary>
    RealtimeSse,

    /// <summary>RealtimeEvents' SignalR hub (<c>MapRealtimeEventsHub</c>, <c>/realtime/hub</c>).</summary>
    RealtimeSignalR,

    /// <summary>Baseline: a plain SignalR hub, the publisher calls <c>Clients.All.SendAsync("event", payload)</c>.</summary>
    PlainSignalR,

    /// <summary>
    /// Baseline: the hand-rolled pattern: a concurrent dictionary of sockets and a sequential <c>SendAsync</c> loop that
    /// serializes the event for each socket.
    /// </summary>
    HandRolled,
}

/// <summary>Names, paths and facts of each <see cref="Scenario"/>, shared by the three commands.</summary>
internal static class Scenarios
{
    /// <summary>The topic every load event is published on and every client subscribes to.</summary>
    public const string Topic = "load/events";

    /// <summary>The type of every load event.</summary>
    public const string EventType = "load.tick";

    /// <summary>The SignalR client method (target) of the plain SignalR baseline.</summary>
    public const string PlainSignalRMethod = "event";

    /// <summary>All scenarios, in the order a run measures them (the plain SignalR baseline first: its max rate sets the latency rates).</summary>
    public static readonly Scenario[] All =
        [Scenario.PlainSignalR, Scenario.HandRolled, Scenario.RealtimeWebSocket, Scenario.RealtimeSse, Scenario.RealtimeSignalR];

    /// <summary>The short name used on the command line, in files and tables.</summary>
    public static string Name(this Scenario scenario) => scenario switch
    {
        Scenario.RealtimeWebSocket => "re-ws",
        Scenario.RealtimeSse => "re-sse",
        Scenario.RealtimeSignalR => "re-signalr",
        Scenario.PlainSignalR => "signalr",
        Scenario.HandRolled => "handrolled",
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null),
    };

    /// <summary>A one-line description for tables and the report.</summary>
    public static string Description(this Scenario scenario) => scenario switch
    {
        Scenario.RealtimeWebSocket => "RealtimeEvents WebSocket endpoint",
        Scenario.RealtimeSse => "RealtimeEvents SSE endpoint",
        Scenario.RealtimeSignalR => "RealtimeEvents SignalR hub",
        Scenario.PlainSignalR => "baseline: plain SignalR hub (Clients.All.SendAsync)",
        Scenario.HandRolled => "baseline: hand-rolled WebSocket broadcast",
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null),
    };

    /// <summary>Whether the scenario is one of RealtimeEvents' own (not a baseline).</summary>
    public static bool IsRealtimeEvents(this Scenario scenario) =>
        scenario is Scenario.RealtimeWebSocket or Scenario.RealtimeSse or Scenario.RealtimeSignalR;

    /// <summary>The path clients connect to, relative to the server's base address.</summary>
    public static string Path(this Scenario scenario) => scenario switch
    {
        Scenario.RealtimeWebSocket => "/realtime/ws",
        Scenario.RealtimeSse => "/realtime/sse?topic=" + Uri.EscapeDataString(Topic),
        Scenario.RealtimeSignalR => "/realtime/hub",
        Scenario.PlainSignalR => "/plain/hub",
        Scenario.HandRolled => "/handrolled/ws",
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null),
    };

    /// <summary>Parses a short name (<see cref="Name"/>), failing with the list of valid names.</summary>
    public static Scenario Parse(string name)
    {
        foreach (var scenario in Enum.GetValues<Scenario>())
        {
            if (string.Equals(scenario.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                return scenario;
            }
        }

        throw new ArgumentException(
            $"Unknown scenario '{name}'. Valid scenarios: {string.Join(", ", Enum.GetValues<Scenario>().Select(s => s.Name()))}.", nameof(name));
    }
}
