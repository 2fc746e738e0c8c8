using Microsoft.Extensions.Hosting;
using RealtimeEvents.Broadcasting;

namespace RealtimeEvents.DependencyInjection;

/// <summary>Starts the dispatcher with the host, and on shutdown routes what was published and ends every subscription.</summary>
internal sealed class RealtimeEventsHostedService(EventBroadcaster broadcaster) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        broadcaster.Dispatcher.EnsureStarted();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => broadcaster.StopAsync(cancellationToken);
}
