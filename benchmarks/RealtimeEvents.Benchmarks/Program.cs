using BenchmarkDotNet.Running;

namespace RealtimeEvents.Benchmarks;

public static class Program
{
    /// <summary>
    /// <c>latency ...</c> runs <see cref="LatencyRunner"/> (per-event percentiles at fixed rates); anything else goes to
    /// BenchmarkDotNet's switcher (<c>--filter</c>, <c>--list</c>, ...).
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args is ["latency", .. var rest])
        {
            return await LatencyRunner.RunAsync(rest);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
