using Microsoft.AspNetCore.SignalR;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>The plain SignalR baseline: one awaited <c>Clients.All.SendAsync</c> per event, what a SignalR user writes.</summary>
internal sealed class PlainSignalRLoadPublisher(IHubContext<PlainHub> hub, string pad) : ILoadPublisher
{
    private LoadEventMessage? _last;

    public bool Pipelined => false;

    public int LastEventJsonBytes => _last is { } last ? LoadEvents.MessageBytes(last) : 0;

    public async ValueTask PublishAsync(long n, long dueTimestamp, CancellationToken cancellationToken)
    {
        var message = LoadEvents.Message(n, dueTimestamp, pad);
        await hub.Clients.All.SendAsync(Scenarios.PlainSignalRMethod, message, cancellationToken).ConfigureAwait(false);
        _last = message;
    }
}
