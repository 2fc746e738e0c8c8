using Microsoft.Extensions.DependencyInjection;

namespace RealtimeEvents.DependencyInjection;

internal sealed class RealtimeEventsBuilder(IServiceCollection services) : IRealtimeEventsBuilder
{
    public IServiceCollection Services { get; } = services;
}
