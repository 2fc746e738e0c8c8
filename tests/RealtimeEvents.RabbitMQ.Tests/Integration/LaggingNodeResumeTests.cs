using RealtimeEvents.RabbitMQ.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Integration;

/// <summary>
/// A position one node returned is valid on every node, even on one whose tail has not read that far yet: a resume
/// from it there must wait for the tail (or read the stream), not call the position unknown.
/// </summary>
public sealed class LaggingNodeResumeTests : IAsyncLifetime
{
    private readonly string _stream = TestBroker.NewStreamName("lagging");

    [Fact]
    public async Task ResumeOnNodeB_FromThePositionPublishAsyncOnNodeAJustReturned_IsComplete_WithNothingRepeated()
    {
        await using var a = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream);
        await using var b = await RabbitMqNode.StartAsync(TestBroker.Uri, _stream);
        var request = (EventPosition after) => new SubscriptionRequest { Topics = ["tasks/**"], ResumeAfter = after };

        // Events B already holds, which a resume after a later position must not repeat.
        for (var i = 0; i < 5; i++)
        {
            await b.Broadcaster.PublishAsync(new EventDraft("test.step", "tasks/t1")).WithTimeout();
        }

        var failures = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            // A publisher on A hands the returned position to a consumer that resumes on B (another request, another node).
            var published = await a.Broadcaster.PublishAsync(new EventDraft("test.step", "tasks/t1")).WithTimeout();
            await using var subscription = await b.Broadcaster.SubscribeAsync(request(published.Position)).WithTimeout();
            if (subscription.Resume != ResumeStatus.Complete)
            {
                var head = subscription.Drain().Take(4).Select(item => item.ToString());
                failures.Add($"#{i} after {published.Position}: {subscription.Resume}, then [{string.Join("; ", head)}, ...]");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of 30 resumes on node B were not complete:\n{string.Join("\n", failures)}");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => TestBroker.DeleteStreamAsync(_stream);
}
