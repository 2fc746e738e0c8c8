using System.Diagnostics;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Client.Tests;

/// <summary>The tail sample end to end: a real host, the sample as a process, its exit code and output.</summary>
public sealed class TailSampleTests
{
    /// <summary>The sample's own build output (its deps.json resolves its packages there), built with the solution.</summary>
    private static readonly string TailDll = FindTail();

    [Fact]
    public async Task Until_PrintsTheEventsAsTheyArrive_AndExits0OnTheFirstMatch()
    {
        await using var host = await TestHost.StartAsync();
        using var tail = StartTail(host, "--topic", "executions/**", "--until", "execution.completed");
        await tail.WaitForErrorLineAsync("tailing").WithTimeout();

        await host.Publisher.PublishAsync(ExecutionEvents.Started("exec-7", "nightly")).WithTimeout();
        await host.Publisher.PublishAsync(TaskEvents.Started("t-1")).WithTimeout(); // another topic: not printed
        await host.Publisher.PublishAsync(ExecutionEvents.Completed("exec-7")).WithTimeout();
        await host.Publisher.PublishAsync(ExecutionEvents.Started("exec-8")).WithTimeout(); // after the match: not printed
        var exit = await tail.WaitForExitAsync().WithTimeout();

        Assert.True(exit == 0, $"exit {exit}; stderr: {tail.Errors}");
        var lines = tail.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("execution.started", lines[0], StringComparison.Ordinal);
        Assert.Contains("executions/exec-7", lines[0], StringComparison.Ordinal);
        Assert.Contains("execution.completed", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_PrintsEachEventsJsonOnOneLine()
    {
        await using var host = await TestHost.StartAsync();
        using var tail = StartTail(host, "--json", "--type", "execution.*", "--until", "execution.failed");
        await tail.WaitForErrorLineAsync("tailing").WithTimeout();

        await host.Publisher.PublishAsync(ExecutionEvents.Failed("exec-9", "boom")).WithTimeout();
        var exit = await tail.WaitForExitAsync().WithTimeout();

        Assert.True(exit == 0, $"exit {exit}; stderr: {tail.Errors}");
        using var json = System.Text.Json.JsonDocument.Parse(tail.Output.Trim());
        Assert.Equal("execution.failed", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("executions/exec-9", json.RootElement.GetProperty("topic").GetString());
    }

    [Fact]
    public async Task ARefusedToken_Exits3_WithoutRetrying()
    {
        await using var host = await TestHost.StartRequiringAuthorizationAsync();
        using var tail = StartTail(host);

        var exit = await tail.WaitForExitAsync().WithTimeout();

        Assert.Equal(3, exit);
        Assert.Contains("401", tail.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadArguments_Exit2_WithTheUsage()
    {
        using var tail = TailProcess.Start(TailDll, ["--url", "not a url"]);

        var exit = await tail.WaitForExitAsync().WithTimeout();

        Assert.Equal(2, exit);
        Assert.Contains("--url must be an absolute", tail.Errors, StringComparison.Ordinal);
        Assert.Contains("Usage:", tail.Errors, StringComparison.Ordinal);
    }

    private static string FindTail()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RealtimeEvents.sln")))
            {
                var dll = Path.Combine(directory.FullName, "samples", "RealtimeEvents.Tail", "bin", configuration, "net10.0", "RealtimeEvents.Tail.dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the tail sample first ({configuration}): {dll} is missing.", dll);
            }
        }

        throw new DirectoryNotFoundException("The repository (RealtimeEvents.sln) was not found above " + AppContext.BaseDirectory);
    }

    private static TailProcess StartTail(TestHost host, params string[] args) =>
        TailProcess.Start(TailDll, ["--url", host.HttpUri("/realtime").ToString(), .. args]);

    /// <summary>The tail sample as a process: its output collected, stopped (by its PID) when disposed.</summary>
    private sealed class TailProcess : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output = new();
        private readonly System.Text.StringBuilder _errors = new();
        private readonly Lock _gate = new();
        private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

        private TailProcess(Process process) => _process = process;

        public string Output
        {
            get
            {
                lock (_gate)
                {
                    return _output.ToString();
                }
            }
        }

        public string Errors
        {
            get
            {
                lock (_gate)
                {
                    return _errors.ToString();
                }
            }
        }

        public static TailProcess Start(string dll, string[] args)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(dll);
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            var tail = new TailProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
            tail._process.OutputDataReceived += (_, e) => tail.Append(tail._output, e.Data);
            tail._process.ErrorDataReceived += (_, e) => tail.Append(tail._errors, e.Data);
            tail._process.Start();
            tail._process.BeginOutputReadLine();
            tail._process.BeginErrorReadLine();
            return tail;
        }

        public Task WaitForErrorLineAsync(string text)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (_errors.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return Task.CompletedTask;
                }

                _waiters.Add((text, seen));
            }

            return seen.Task;
        }

        public async Task<int> WaitForExitAsync()
        {
            await _process.WaitForExitAsync();
            _process.WaitForExit(); // drains the redirected output
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private void Append(System.Text.StringBuilder to, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_gate)
            {
                to.Append(line).Append('\n');
                foreach (var waiter in _waiters.Where(w => _errors.ToString().Contains(w.Text, StringComparison.Ordinal)).ToList())
                {
                    _waiters.Remove(waiter);
                    waiter.Seen.TrySetResult();
                }
            }
        }
    }
}
