using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace RealtimeEvents.Reliability.Tests.NodeLoss;

/// <summary>
/// One node as a process of its own: tests/RealtimeEvents.Reliability.TestNode (the build stamps its path into this
/// assembly) on a free port of 127.0.0.1, on the RabbitMQ log of the given broker and stream. <see cref="KillAsync"/> is
/// SIGKILL by PID: no shutdown, no flush, no close frames; the kernel just closes its sockets.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);
    private const int OutputLinesKept = 200;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private bool _killed;

    private NodeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>Gets the node's name in the test's output, for example <c>A#2</c> (node A, second process).</summary>
    public string Name { get; }

    public int ProcessId => _process.Id;

    /// <summary>Gets the node's address, for example <c>http://127.0.0.1:41235/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public Uri WebSocketUri => new UriBuilder(new Uri(BaseAddress, "realtime/ws")) { Scheme = "ws" }.Uri;

    /// <summary>Gets the last lines the node wrote, for failure messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    /// <summary>
    /// Gets a value indicating whether the test killed this node, or is about to: set before the signal, so whoever sees
    /// a connection to it fail can tell an expected loss from a fault.
    /// </summary>
    public bool Killed => Volatile.Read(ref _killed);

    /// <summary>Starts a node and returns once it listens (it may still be attaching to the stream: see its /health).</summary>
    public static async Task<NodeProcess> StartAsync(string name, string brokerUri, string stream)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true, // the node stops when this pipe closes, so it never outlives the test process
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[NodeDll(), $"--RealtimeEvents:RabbitMq:ConnectionString={brokerUri}",
                     $"--RealtimeEvents:RabbitMq:StreamName={stream}", $"--RealtimeEvents:RabbitMq:ConnectionName=node-loss {name}"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("ASPNETCORE_URLS");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new NodeProcess(name, process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                node.Record(line);
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    listening.TrySetResult(new Uri(line["READY ".Length..].Trim() + "/"));
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                node.Record(line);
            }
        };
        process.Exited += (_, _) => listening.TrySetException(
            new InvalidOperationException($"Node {name} exited with code {process.ExitCode} before it listened. Its output:{Environment.NewLine}{node.RecentOutput}"));

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            node.BaseAddress = await listening.Task.WaitAsync(StartTimeout);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL, by PID, to this process only; returns once it has exited.</summary>
    public async Task KillAsync()
    {
        Volatile.Write(ref _killed, true);
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync().WaitAsync(ExitTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
            }

            await _process.WaitForExitAsync().WaitAsync(ExitTimeout);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static string NodeDll()
    {
        var dll = typeof(NodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TestNodePath")?.Value;
        return string.IsNullOrEmpty(dll)
            ? throw new InvalidOperationException("The test node's path was not stamped into the test assembly (TestNodePath); rebuild the test project.")
            : File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the test node first: {dll} is missing.", dll);
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
}
