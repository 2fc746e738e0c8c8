using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Support;

/// <summary>
/// A RabbitMQ broker of one test's own, run by <c>tests/rabbitmq/test-broker.sh</c> in a temporary state directory
/// (127.0.0.1, its own ports, epmd and data), so a test can stop and start it without touching the shared broker.
/// <see cref="StartAsync()"/> after <see cref="StopAsync"/> keeps the URI and the data. Destroyed on dispose.
/// </summary>
internal sealed class PrivateBroker : IAsyncDisposable
{
    public const string ScriptVariable = "REALTIME_RABBITMQ_BROKER_SCRIPT";

    /// <summary>Where private brokers keep their state; tests/run.sh sets it and destroys every broker under it on exit.</summary>
    public const string ParentVariable = "REALTIME_RABBITMQ_PRIVATE_BROKERS";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(150); // the script's own start deadline is 90 s
    private readonly string _script;
    private readonly string _stateDirectory;
    private int _destroyed;

    private PrivateBroker(string script, string stateDirectory)
    {
        _script = script;
        _stateDirectory = stateDirectory;
    }

    /// <summary>Gets the broker's AMQP URI (the same after a restart).</summary>
    public string Uri { get; private set; } = string.Empty;

    /// <summary>Gets the AMQP port of <see cref="Uri"/>.</summary>
    public int Port => new Uri(Uri).Port;

    /// <summary>Starts a new broker in a new temporary directory; destroys it again if the start fails.</summary>
    public static async Task<PrivateBroker> StartNewAsync()
    {
        // Under tests/run.sh's own directory when it gives one, so its exit trap destroys brokers a killed test left behind.
        var parent = Environment.GetEnvironmentVariable(ParentVariable) is { Length: > 0 } given ? given : Path.GetTempPath();
        var directory = Path.Combine(parent, "rt-broker-" + Guid.NewGuid().ToString("N")[..12]);
        var broker = new PrivateBroker(FindScript(), directory);
        try
        {
            await broker.StartAsync();
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the broker (again), waiting until it accepts AMQP connections.</summary>
    public async Task StartAsync()
    {
        var output = await RunScriptAsync("start");
        Uri = output.Trim();
        Assert.StartsWith("amqp://", Uri, StringComparison.Ordinal);
    }

    /// <summary>Stops the broker gracefully, keeping its data and ports.</summary>
    public Task StopAsync() => RunScriptAsync("stop");

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _destroyed, 1) == 0)
        {
            await RunScriptAsync("destroy");
        }
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago; nothing listens on it.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindScript()
    {
        if (Environment.GetEnvironmentVariable(ScriptVariable) is { Length: > 0 } configured)
        {
            Assert.True(File.Exists(configured), $"{ScriptVariable} is '{configured}', which does not exist.");
            return configured;
        }

        // Run outside tests/run.sh: find the script in the repository this assembly was built from.
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "rabbitmq", "test-broker.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"{ScriptVariable} is not set and tests/rabbitmq/test-broker.sh was not found above {AppContext.BaseDirectory}. Run the tests with 'bash tests/run.sh'.");
    }

    private async Task<string> RunScriptAsync(string command)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(_script);
        start.ArgumentList.Add(command);
        start.ArgumentList.Add(_stateDirectory);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WithTimeout(ScriptTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(); // the script only (started just above); destroy ends the broker by the PIDs the script recorded
            throw new TimeoutException($"test-broker.sh {command} {_stateDirectory} did not finish within {ScriptTimeout}: {await stderr}");
        }

        var output = await stdout.WithTimeout();
        var errors = await stderr.WithTimeout();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"test-broker.sh {command} {_stateDirectory} failed with exit code {process.ExitCode}: {errors}");
        }

        return output;
    }
}
