using Microsoft.Extensions.Logging.Abstractions;
using RealtimeEvents.Broadcasting;
using RealtimeEvents.Routing;
using RealtimeEvents.Testing;
using RealtimeEvents.Tests.Support;

namespace RealtimeEvents.Tests.Routing;

public sealed class SubscriptionRouterTests : IAsyncLifetime
{
    private readonly BroadcasterFixture _fixture = new();
    private readonly SubscriptionRouter _router = new();
    private long _sequence;
    private int _subscriptionCount;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public void ExactTopicSubscription_GetsOnlyThatTopic()
    {
        var subscription = Add(topics: ["executions/e1"]);

        Assert.Equal(1, _router.Route(Event("executions/e1")));
        Assert.Equal(0, _router.Route(Event("executions/e2")));
        Assert.Equal(0, _router.Route(Event("executions/e1/agents/a1")));
        Assert.Equal(0, _router.Route(Event("executions")));

        Assert.Equal(["executions/e1"], Topics(subscription));
    }

    [Fact]
    public void PatternSubscription_GetsEveryMatchingTopic_AtAnyDepth()
    {
        var subscription = Add(topics: ["executions/*/agents/**"]);

        _router.Route(Event("executions/e1/agents"));
        _router.Route(Event("executions/e1/agents/a1"));
        _router.Route(Event("executions/e2/agents/a1/tools/t1"));
        _router.Route(Event("executions/e1"));
        _router.Route(Event("executions/e1/tasks/t1"));
        _router.Route(Event("tasks/t1"));

        Assert.Equal(["executions/e1/agents", "executions/e1/agents/a1", "executions/e2/agents/a1/tools/t1"], Topics(subscription));
    }

    [Fact]
    public void TrailingDoubleWildcard_ReachesTheTopicEqualToItsPrefix()
    {
        var subscription = Add(topics: ["executions/e1/**"]);

        _router.Route(Event("executions/e1"));
        _router.Route(Event("executions/e1/agents/a1"));
        _router.Route(Event("executions/e10"));

        Assert.Equal(["executions/e1", "executions/e1/agents/a1"], Topics(subscription));
    }

    [Fact]
    public void PatternWithALeadingWildcard_IsReachedForEveryTopic()
    {
        var subscription = Add(topics: ["*/e1"]);

        _router.Route(Event("tasks/e1"));
        _router.Route(Event("executions/e1"));
        _router.Route(Event("executions/e2"));

        Assert.Equal(["tasks/e1", "executions/e1"], Topics(subscription));
    }

    [Fact]
    public void PatternSubscriptions_AreNotEvenConsidered_ForTopicsOutsideTheirPrefix()
    {
        var tasks = Add(topics: ["tasks/*"]);
        var deep = Add(topics: ["executions/e2/**"]);

        _router.Route(Event("executions/e1/agents/a1"));

        Assert.Null(tasks.LastRouted);
        Assert.Null(deep.LastRouted);
    }

    [Fact]
    public void TopicLessSubscription_GetsEveryTopic_SubjectToItsOtherFilters()
    {
        var all = Add();
        var failures = Add(types: ["*.failed"]);

        _router.Route(Event("executions/e1", EventTypes.Execution.Started));
        _router.Route(Event("tasks/t1", EventTypes.Task.Failed));
        _router.Route(Event("a", "custom.thing"));

        Assert.Equal(["executions/e1", "tasks/t1", "a"], Topics(all));
        Assert.Equal(["tasks/t1"], Topics(failures));
    }

    [Fact]
    public void DoubleWildcardAlone_GetsEveryTopic()
    {
        var subscription = Add(topics: ["**"]);

        _router.Route(Event("a"));
        _router.Route(Event("a/b/c"));

        Assert.Equal(["a", "a/b/c"], Topics(subscription));
    }

    [Fact]
    public void FilterChecks_StillApply_AfterTheIndexFindsACandidate()
    {
        var subscription = Add(topics: ["executions/e1"], types: ["execution.*"], minimumPriority: EventPriority.High);

        Assert.Equal(0, _router.Route(Event("executions/e1", EventTypes.Agent.Started, EventPriority.High)));
        Assert.Equal(0, _router.Route(Event("executions/e1", EventTypes.Execution.Started, EventPriority.Normal)));
        Assert.Equal(1, _router.Route(Event("executions/e1", EventTypes.Execution.Failed, EventPriority.High)));

        Assert.Single(subscription.Drain());
    }

    [Fact]
    public void SubscriptionReachedThroughExactTopicAndPattern_GetsTheEventOnce()
    {
        var subscription = Add(topics: ["executions/e1", "executions/*"]);

        Assert.Equal(1, _router.Route(Event("executions/e1")));
        Assert.Equal(1, _router.Route(Event("executions/e2")));

        Assert.Equal(["executions/e1", "executions/e2"], Topics(subscription));
    }

    [Fact]
    public void SubscriptionReachedThroughTwoPatternPrefixes_GetsTheEventOnce()
    {
        var subscription = Add(topics: ["executions/*", "executions/e1/**", "*/e1"]);

        Assert.Equal(1, _router.Route(Event("executions/e1")));

        Assert.Equal(["executions/e1"], Topics(subscription));
    }

    [Fact]
    public void OneEvent_ReachesEveryMatchingSubscription_OnceEach()
    {
        var exact = Add(topics: ["executions/e1"]);
        var pattern = Add(topics: ["executions/*"]);
        var both = Add(topics: ["executions/e1", "executions/**"]);
        var all = Add();
        var other = Add(topics: ["executions/e2"]);

        Assert.Equal(4, _router.Route(Event("executions/e1")));

        Assert.Single(exact.Drain());
        Assert.Single(pattern.Drain());
        Assert.Single(both.Drain());
        Assert.Single(all.Drain());
        Assert.Empty(other.Drain());
    }

    [Fact]
    public void Events_ArriveInTheOrderTheyWereRouted()
    {
        var subscription = Add(topics: ["executions/e1", "executions/**"]);
        var events = Enumerable.Range(0, 50).Select(i => Event(i % 2 == 0 ? "executions/e1" : "executions/e2")).ToArray();

        foreach (var evt in events)
        {
            _router.Route(evt);
        }

        Assert.Equal(events.Select(e => e.Sequence), subscription.Drain().Select(i => i.Event!.Sequence));
    }

    [Fact]
    public void Remove_StopsDelivery_ForEveryIndexEntry()
    {
        var subscription = Add(topics: ["executions/e1", "executions/*", "tasks/t1"]);

        Assert.True(_router.Remove(subscription));

        Assert.Equal(0, _router.Route(Event("executions/e1")));
        Assert.Equal(0, _router.Route(Event("executions/e2")));
        Assert.Equal(0, _router.Route(Event("tasks/t1")));
        Assert.Empty(subscription.Drain());
        Assert.Equal(0, _router.Count);
        Assert.Empty(_router.Subscriptions);
    }

    [Fact]
    public void Remove_TopicLessSubscription_StopsDelivery()
    {
        var subscription = Add();

        _router.Remove(subscription);

        Assert.Equal(0, _router.Route(Event("anything")));
    }

    [Fact]
    public void Remove_LeavesOtherSubscriptionsUnderTheSameKeys()
    {
        var removed = Add(topics: ["executions/e1", "executions/*"]);
        var kept = Add(topics: ["executions/e1", "executions/*"]);

        _router.Remove(removed);

        Assert.Equal(1, _router.Route(Event("executions/e1")));
        Assert.Equal(1, _router.Route(Event("executions/e2")));
        Assert.Empty(removed.Drain());
        Assert.Equal(2, kept.Drain().Count);
    }

    [Fact]
    public void Remove_Twice_ReturnsFalseTheSecondTime()
    {
        var subscription = Add(topics: ["a/b"]);

        Assert.True(_router.Remove(subscription));
        Assert.False(_router.Remove(subscription));
        Assert.False(_router.Remove(NewSubscription(EventFilter.All)));
    }

    [Fact]
    public void Add_Twice_RegistersOnce()
    {
        var subscription = Add(topics: ["a/b"]);

        _router.Add(subscription);

        Assert.Equal(1, _router.Count);
        _router.Remove(subscription);
        Assert.Equal(0, _router.Route(Event("a/b")));
    }

    [Fact]
    public void Subscriptions_ListsEveryAddedSubscription()
    {
        var a = Add(topics: ["a/b"]);
        var b = Add(topics: ["c/*"]);
        var c = Add();

        Assert.Equal(3, _router.Count);
        Assert.Equal(new HashSet<Subscription> { a, b, c }, _router.Subscriptions.ToHashSet());
    }

    [Fact]
    public void Route_With10000NonMatchingExactSubscriptions_DeliversOnlyToTheMatch_WithoutTouchingTheOthers()
    {
        var others = Enumerable.Range(0, 10_000).Select(i => Add(topics: [$"executions/other-{i}"])).ToArray();
        var match = Add(topics: ["executions/target"]);

        Assert.Equal(1, _router.Route(Event("executions/target")));

        Assert.Single(match.Drain());
        Assert.All(others, s => Assert.Null(s.LastRouted));
        Assert.All(others, s => Assert.Equal(0, s.QueueDepth));
        Assert.Equal(10_001, _router.Count);
    }

    [Fact]
    public async Task ThroughTheDispatcher_ASubscriptionWithOverlappingTopics_GetsEachEventOnce()
    {
        await using var subscription = await _fixture.Broadcaster.SubscribeAsync(new SubscriptionRequest
        {
            Topics = ["executions/e1", "executions/*", "executions/e1/**"],
        }).WithTimeout();

        await _fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(1, "executions/e1")).WithTimeout();
        await _fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(2, "tasks/t1")).WithTimeout();
        await _fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(3, "executions/e2")).WithTimeout();
        await _fixture.Broadcaster.PublishAsync(BroadcasterFixture.Draft(4, "executions/e1/agents/a1")).WithTimeout();
        await _fixture.WaitForDispatchAsync().WithTimeout();

        var items = subscription.Drain();

        Assert.Equal(["executions/e1", "executions/e2", "executions/e1/agents/a1"], items.Select(i => i.Event!.Topic));
    }

    private Subscription Add(string[]? topics = null, string[]? types = null, EventPriority minimumPriority = EventPriority.Low)
    {
        var subscription = NewSubscription(EventFilter.Create(topics, types, minimumPriority));
        _router.Add(subscription);
        return subscription;
    }

    private Subscription NewSubscription(EventFilter filter) =>
        new(_fixture.Internal, "sub-" + ++_subscriptionCount, filter, new SubscriptionQueue(1024, LagPolicy.KeepDropping, 3),
            _fixture.Log, _fixture.Time, NullLogger.Instance, 256, [], _fixture.Log.CurrentPosition);

    private RealtimeEvent Event(string topic, string type = EventTypes.Execution.Progress, EventPriority priority = EventPriority.Normal) =>
        RealtimeEvent.Create(new EventDraft(type, topic) { Priority = priority }, "id", _fixture.Time.GetUtcNow(), new EventPosition("e1", ++_sequence));

    private static string[] Topics(Subscription subscription) => [.. subscription.Drain().Select(i => i.Event!.Topic)];
}
