using System.Diagnostics;
using System.Threading.Channels;

namespace RealtimeEvents.LoadTest.Orchestration;

/// <summary>
/// A child process of this same tool (<c>server</c> or <c>clients</c>): its standard output read line by line, its
/// standard error copied to ours with a prefix, its standard input for commands. Disposing closes its input, which
/// the children take as the signal to exit, and kills it (this process only, by PID) if it has not exited in time.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _name;
    private readonly Task _stdout;
    private readonly Task _stderr;

    private ChildProcess(Process process, string name)
    {
        _process = process;
        _name = name;
        _stdout = Task.Run(PumpStdoutAsync);
        _stderr = Task.Run(PumpStderrAsync);
    }

    public int Id => _process.Id;

    public string Name => _name;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>&lt;tool&gt; command args...</c>.</summary>
    public static ChildProcess Start(string name, string command, IEnumerable<string> args)
    {
        var (fileName, prefix) = ToolCommandLine();
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var part in prefix.Append(command).Concat(args))
        {
            info.ArgumentList.Add(part);
        }

        // The children are measured, not the orchestrator: same GC settings as the tool's own runtimeconfig.
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{fileName}'.");
        return new ChildProcess(process, name);
    }

    /// <summary>
    /// How to start this tool again: its own apphost when that is what runs, else the <c>dotnet</c> host with the
    /// tool's assembly (under <c>dotnet RealtimeEvents.LoadTest.dll</c>, or inside a test host for the smoke test).
    /// </summary>
    private static (string FileName, string[] Prefix) ToolCommandLine()
    {
        var assembly = typeof(ChildProcess).Assembly.Location;
        var processPath = Environment.ProcessPath ?? "dotnet";
        var apphost = Path.ChangeExtension(assembly, null);
        if (string.Equals(processPath, apphost, StringComparison.Ordinal))
        {
            return (processPath, []);
        }

        var host = Path.GetFileNameWithoutExtension(processPath) == "dotnet"
            ? processPath
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
        return (host, [assembly]);
    }

    /// <summary>Reads the next line of standard output, or fails naming the child when it ends or the time runs out.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_name} (pid {Id}) wrote nothing for {timeout.TotalSeconds:0} s.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"{_name} (pid {Id}) exited{(_process.HasExited ? $" with code {_process.ExitCode}" : "")} before answering; see its standard error above.");
        }
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>The child's CPU time (user + system) so far.</summary>
    public TimeSpan CpuTime()
    {
        try
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
        catch (InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>The child's resident set, in bytes.</summary>
    public long ResidentBytes()
    {
        try
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
        catch (InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>The child's open-files limit from <c>/proc/PID/limits</c>, for reports of what limited a run.</summary>
    public string OpenFilesLimit()
    {
        try
        {
            var line = File.ReadLines($"/proc/{Id}/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts is { Length: >= 5 } ? $"{parts[3]} (soft) / {parts[4]} (hard)" : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }

        using var cts = new CancellationTokenSource(ExitTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"{_name} (pid {Id}) did not exit within {ExitTimeout.TotalSeconds:0} s of its input closing; killing it.").ConfigureAwait(false);
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await Task.WhenAll(_stdout, _stderr).ConfigureAwait(false);
        _process.Dispose();
    }

    private async Task PumpStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                _lines.Writer.TryWrite(line);
            }
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }

    private async Task PumpStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            await Console.Error.WriteLineAsync($"[{_name}] {line}").ConfigureAwait(false);
        }
    }
}
