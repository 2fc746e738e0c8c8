using RealtimeEvents.LoadTest.Clients;
using RealtimeEvents.LoadTest.Orchestration;
using RealtimeEvents.LoadTest.Server;

// The load tool's three commands. `run` is the one people type; it starts the other two as child processes.
var command = args.Length > 0 ? args[0] : "help";
var rest = args.Length > 0 ? args[1..] : [];
return command switch
{
    "run" => await RunCommand.RunAsync(rest),
    "server" => await ServerCommand.RunAsync(rest),
    "clients" => await ClientsCommand.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine(RunCommand.Usage);
    return 2;
}
