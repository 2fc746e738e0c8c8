using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.EventLog;

namespace RealtimeEvents.AspNetCore.Tests.WebSockets;

public sealed class SubscriptionLifecycleTests
{
    [Fact]
    public async Task Subscribed_CarriesTheStartPosition_ALosslessResumePoint()
    {
        await using var host = await TestHost.StartAsync();
        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "tasks/t1"));
        var before = host.Broadcaster.CurrentPosition;
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());

        var live = await client.SubscribeAsync("live", topics: ["tasks/**"]);
        var resumed = await client.SubscribeAsync("resumed", topics: ["tasks/**"], resumeAfter: $"{before.Epoch}:0");

        Assert.Equal(before.ToString(), live.GetProperty("position").GetString());
        Assert.Equal($"{before.Epoch}:0", resumed.GetProperty("position").GetString());
    }

    [Fact]
    public async Task ASubscriptionWhoseHistoryCannotBeRead_EndsAsFailed_AndTheConnectionLivesOn()
    {
        FailingReadLog? log = null;
        await using var host = await TestHost.StartAsync(
            core: o => o.ReplayPageSize = 2,
            configure: builder => builder.Services.AddRealtimeEvents().UseEventLog(sp =>
                log = new FailingReadLog(new InMemoryEventLog(sp.GetRequiredService<IOptions<RealtimeEventsOptions>>(), TimeProvider.System))));
        var start = host.Broadcaster.CurrentPosition;
        for (var i = 0; i < 6; i++)
        {
            await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "tasks/t1"));
        }

        log!.FailReadsAfter = start.Sequence + 2; // the second page of the replay fails
        await using var client = await ProtocolClient.ConnectAsync(host.WebSocketUri());
        await client.SubscribeAsync("s", topics: ["tasks/**"], resumeAfter: start.ToString());

        var others = new List<System.Text.Json.JsonElement>();
        var ended = await client.ReceiveOpAsync("unsubscribed", others);
        Assert.Equal("s", ended.GetProperty("id").GetString());
        Assert.Equal("failed", ended.GetProperty("reason").GetString());
        Assert.Equal(2, others.Sum(m => m.GetProperty("op").GetString() == "events" ? m.GetProperty("events").GetArrayLength() : 1));

        log.FailReadsAfter = null;
        await client.SendAsync(new { op = "ping" });
        Assert.Equal("pong", (await client.ReceiveAsync()).GetProperty("op").GetString());
        Assert.Equal("subscribed", (await client.SubscribeAsync("s", topics: ["tasks/**"])).GetProperty("op").GetString());
    }

    /// <summary>Delegates to a real log; reads after one chosen position throw, as a broker read that fails would.</summary>
    private sealed class FailingReadLog(IEventLog inner) : IEventLog
    {
        private long _failAfter = -1;

        public long? FailReadsAfter
        {
            get => Volatile.Read(ref _failAfter) is var value and >= 0 ? value : null;
            set => Volatile.Write(ref _failAfter, value ?? -1);
        }

        public EventPosition CurrentPosition => inner.CurrentPosition;

        public ValueTask<RealtimeEvent> AppendAsync(EventDraft draft, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(draft, cancellationToken);

        public bool TryAppend(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? appended) => inner.TryAppend(draft, out appended);

        public ValueTask<EventLogReadResult> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken = default) =>
            after.Sequence == FailReadsAfter && maxCount == 2
                ? throw new IOException("The event log is unreachable.")
                : inner.ReadAsync(after, maxCount, cancellationToken);

        public ValueTask WaitForEventsAsync(EventPosition after, CancellationToken cancellationToken) =>
            inner.WaitForEventsAsync(after, cancellationToken);

        public bool CanResumeFrom(EventPosition position) => inner.CanResumeFrom(position);
    }
}
