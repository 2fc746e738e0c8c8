using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace RealtimeEvents.Benchmarks.Support;

/// <summary>
/// One launch, 3 warmup and 8 measured iterations, run inside the host process. In-process because the default
/// toolchain generates and builds a project that references this one, which would rebuild <c>src/</c> into its own
/// <c>obj/</c> and <c>bin/</c> folders instead of the <c>--artifacts-path</c> the host was built with; it also keeps a
/// full run short on a 2-core machine.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Assembly)]
public sealed class ShortInProcessJobAttribute : JobConfigBaseAttribute
{
    public ShortInProcessJobAttribute()
        : base(Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(8)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("ShortInProcess"))
    {
    }
}
