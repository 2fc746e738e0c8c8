using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>
/// The sample host as a separate process, started from the built RealtimeEvents.SampleHost.dll next to the test assembly
/// on a free port of 127.0.0.1, with the repository's sample folder as content root (appsettings.json, wwwroot) and a
/// quick, deterministic simulator. Stopped by killing its process tree.
/// </summary>
public sealed partial class SampleHostFixture : IAsyncLifetime
{
    /// <summary>
    /// The simulator for tests: nothing starts on its own, nothing fails, and steps are short. Twenty steps per agent
    /// make an execution last about four seconds, long enough to open a second page or reconnect while it runs.
    /// </summary>
    public static readonly IReadOnlyList<string> SimulatorArguments =
    [
        "--Simulator:Trickle=false",
        "--Simulator:FailureRate=0",
        "--Simulator:MinStepDuration=00:00:00.100",
        "--Simulator:MaxStepDuration=00:00:00.300",
        "--Simulator:Steps=20",
    ];

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private const int OutputLinesKept = 400;

    private readonly ConcurrentQueue<string> _output = new();
    private readonly string _environment;
    private readonly IReadOnlyList<string> _arguments;
    private Process? _process;
    private Uri? _baseAddress;

    /// <summary>The sample as the tests' collection fixture: environment Production, the quick simulator.</summary>
    public SampleHostFixture()
        : this("Production", SimulatorArguments)
    {
    }

    /// <summary>The sample in another environment (for example NodeA, which reads appsettings.NodeA.json) with other arguments.</summary>
    internal SampleHostFixture(string environment, IReadOnlyList<string> arguments)
    {
        _environment = environment;
        _arguments = arguments;
    }

    /// <summary>Gets the host's address, for example <c>http://127.0.0.1:41235/</c>.</summary>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("The sample host has not started.");

    /// <summary>Gets the last lines the host wrote to stdout and stderr, for failure messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    /// <summary>Creates a client for the host's HTTP API; the caller disposes it.</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "RealtimeEvents.SampleHost.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"'{dll}' is missing: the test project references the sample, so a build puts it there.");
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.SampleHostDirectory,
        };
        foreach (var argument in (string[])[dll, "--urls", "http://127.0.0.1:0", "--contentRoot", Repository.SampleHostDirectory, .. _arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = _environment;
        start.Environment.Remove("DOTNET_ENVIRONMENT");

        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Record(line);
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups["address"].Value.TrimEnd('/') + "/"));
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Record(line);
            }
        };
        process.Exited += (_, _) => listening.TrySetException(
            new InvalidOperationException($"The sample host exited with code {process.ExitCode} before it listened. Its output:{Environment.NewLine}{RecentOutput}"));

        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            _baseAddress = await listening.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"The sample host did not log \"Now listening on: http://...\" within {StartTimeout.TotalSeconds:0} s. Its output:{Environment.NewLine}{RecentOutput}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(StopTimeout);
        }
        finally
        {
            process.Dispose();
        }
    }

    private static string DotnetHost()
    {
        // The dotnet CLI tells child processes where its muxer is; the test host itself usually runs in it too.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        return Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
    }

    private void Record(string line)
    {
        _output.Enqueue(line);
        while (_output.Count > OutputLinesKept && _output.TryDequeue(out _))
        {
        }
    }

    [GeneratedRegex(@"Now listening on: (?<address>https?://\S+)")]
    private static partial Regex ListeningLine();
}
