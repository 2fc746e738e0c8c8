using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace RealtimeEvents.SampleHost;

/// <summary>
/// Pretends to run workflows: each execution has a few agents that work through steps with random durations, report
/// progress (conflated, so a lagging dashboard sees the latest value) and occasionally fail.
/// </summary>
public sealed class WorkflowSimulator(IEventPublisher publisher, IOptions<WorkflowSimulatorOptions> options, TimeProvider time,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    private static readonly string[] Roles = ["researcher", "planner", "writer", "reviewer"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Trickle)
        {
            return;
        }

        var running = new List<Task>();
        for (var n = 1; !stoppingToken.IsCancellationRequested && (settings.MaxExecutions == 0 || n <= settings.MaxExecutions); n++)
        {
            running.Add(RunExecutionAsync($"exec-{n}", stoppingToken));
            running.RemoveAll(t => t.IsCompleted);
            if (settings.MaxExecutions != 0 && n == settings.MaxExecutions)
            {
                break;
            }

            await Task.Delay(settings.Interval, time, stoppingToken);
        }

        await Task.WhenAll(running);
        if (settings.MaxExecutions != 0)
        {
            lifetime.StopApplication();
        }
    }

    private async Task RunExecutionAsync(string executionId, CancellationToken cancellationToken)
    {
        await publisher.PublishAsync(ExecutionEvents.Started(executionId, workflow: "research-report"), cancellationToken);
        var agents = Roles.Take(Random.Shared.Next(2, Roles.Length + 1)).ToArray();
        var results = await Task.WhenAll(agents.Select(role => RunAgentAsync(executionId, role, cancellationToken)));
        if (results.All(ok => ok))
        {
            await publisher.PublishAsync(ExecutionEvents.Completed(executionId, $"{agents.Length} agents finished"), cancellationToken);
        }
        else
        {
            await publisher.PublishAsync(ExecutionEvents.Failed(executionId, "an agent failed", "AgentFailure"), cancellationToken);
        }
    }

    private async Task<bool> RunAgentAsync(string executionId, string role, CancellationToken cancellationToken)
    {
        await publisher.PublishAsync(AgentEvents.Started(executionId, role, role), cancellationToken);
        const int Steps = 5;
        for (var step = 1; step <= Steps; step++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(200, 900)), time, cancellationToken);
            if (Random.Shared.Next(40) == 0)
            {
                await publisher.PublishAsync(AgentEvents.Failed(executionId, role, $"step {step} timed out", "Timeout"), cancellationToken);
                return false;
            }

            await publisher.PublishAsync(AgentEvents.Progress(executionId, role, step * 100.0 / Steps, $"step {step} of {Steps}"), cancellationToken);
        }

        await publisher.PublishAsync(AgentEvents.Completed(executionId, role), cancellationToken);
        return true;
    }
}
