using Microsoft.Extensions.DependencyInjection;

namespace RealtimeEvents;

/// <summary>Returned by <c>AddRealtimeEvents()</c>; adapter packages and snapshot providers extend it.</summary>
public interface IRealtimeEventsBuilder
{
    /// <summary>Gets the service collection RealtimeEvents was added to.</summary>
    IServiceCollection Services { get; }
}
