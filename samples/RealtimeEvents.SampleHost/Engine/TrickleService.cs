using Microsoft.Extensions.Options;

namespace RealtimeEvents.SampleHost.Engine;

/// <summary>Starts an execution every <see cref="SimulatorOptions.TrickleInterval"/>, so the dashboard is alive the moment it opens.</summary>
public sealed class TrickleService(WorkflowEngine engine, IOptions<SimulatorOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Trickle)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            if (engine.Running < settings.MaxRunning)
            {
                engine.Start();
            }

            await Task.Delay(settings.TrickleInterval, time, stoppingToken).ConfigureAwait(false);
        }
    }
}
