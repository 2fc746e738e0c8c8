using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.Broadcasting;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Tests.Support;

/// <summary>A broadcaster built through the real DI registration, with a fake clock.</summary>
internal sealed class BroadcasterFixture : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public BroadcasterFixture(Action<RealtimeEventsOptions>? configure = null, Action<IRealtimeEventsBuilder>? build = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(time ?? Time);
        var builder = services.AddRealtimeEvents(configure);
        build?.Invoke(builder);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Broadcaster = _services.GetRequiredService<IEventBroadcaster>();
        Log = _services.GetRequiredService<IEventLog>();
    }

    public FakeTimeProvider Time { get; } = new();

    public IEventBroadcaster Broadcaster { get; }

    public IEventLog Log { get; }

    internal EventBroadcaster Internal => (EventBroadcaster)Broadcaster;

    public IServiceProvider Services => _services;

    public static EventDraft Draft(int n, string topic = "executions/exec-1", string type = EventTypes.Task.Progress) =>
        new(type, topic) { Data = EventData.FromJson($$"""{"n":{{n}}}""") };

    public async Task PublishManyAsync(int count, string topic = "executions/exec-1")
    {
        for (var i = 1; i <= count; i++)
        {
            await Broadcaster.PublishAsync(Draft(i, topic));
        }
    }

    /// <summary>Waits until the dispatcher has routed everything published so far.</summary>
    public async Task WaitForDispatchAsync()
    {
        var target = Log.CurrentPosition.Sequence;
        using var cts = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        while (Internal.Dispatcher.Position.Sequence < target)
        {
            await Task.Yield();
            cts.Token.ThrowIfCancellationRequested();
        }
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
