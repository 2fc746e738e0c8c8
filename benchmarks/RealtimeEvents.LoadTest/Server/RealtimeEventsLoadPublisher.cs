using System.Text.Json;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>Publishes through <see cref="IEventPublisher.PublishAsync"/>, as an application using RealtimeEvents does.</summary>
internal sealed class RealtimeEventsLoadPublisher(IEventPublisher publisher, string pad) : ILoadPublisher
{
    private int _lastEventJsonBytes;

    public bool Pipelined => true;

    public int LastEventJsonBytes => Volatile.Read(ref _lastEventJsonBytes);

    public ValueTask PublishAsync(long n, long dueTimestamp, CancellationToken cancellationToken)
    {
        var data = JsonSerializer.SerializeToUtf8Bytes(new LoadData(n, dueTimestamp, pad), ControlJson.Options);
        var draft = new EventDraft(Scenarios.EventType, Scenarios.Topic) { Data = EventData.FromUtf8Json(data) };
        var publishing = publisher.PublishAsync(draft, cancellationToken);
        if (publishing.IsCompletedSuccessfully)
        {
            // The in-memory log: done at once, nothing allocated for the wait.
            Volatile.Write(ref _lastEventJsonBytes, publishing.Result.Utf8Json.Length);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(CompleteAsync(publishing));
    }

    private async Task CompleteAsync(ValueTask<RealtimeEvent> publishing)
    {
        var published = await publishing.ConfigureAwait(false);
        Volatile.Write(ref _lastEventJsonBytes, published.Utf8Json.Length);
    }
}
