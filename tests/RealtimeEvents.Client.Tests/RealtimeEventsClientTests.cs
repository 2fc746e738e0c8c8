using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Client.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Client.Tests;

/// <summary>The client against a real Kestrel host on 127.0.0.1.</summary>
public sealed class RealtimeEventsClientTests
{
    private static RealtimeEventsClientOptions Options(Uri endpoint) => new()
    {
        Endpoint = endpoint,
        Reconnect = { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(100) },
    };

    [Fact]
    public async Task SubscribeAsync_ReceivesEventsInOrder()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = new RealtimeEventsClient(Options(host.HttpUri("/realtime")));

        var subscription = await client.SubscribeAsync(new SubscriptionRequest { Id = "tasks", Topics = ["tasks/*"] }).WithTimeout();
        Assert.Equal(ConnectionState.Open, client.State);
        Assert.NotNull(client.ConnectionId);
        for (var i = 1; i <= 50; i++)
        {
            await host.Publisher.PublishAsync(ItemReader.Draft(i));
        }

        await host.Publisher.PublishAsync(ItemReader.Draft(0, "other/x"));
        var items = await subscription.ReadEventsAsync(50);

        Assert.All(items, item => Assert.Equal(SubscriptionItemKind.Event, item.Kind));
        Assert.Equal(Enumerable.Range(1, 50).Select(n => "{\"n\":" + n + "}"), items.Select(i => System.Text.Encoding.UTF8.GetString(i.Event!.Data.Utf8Json.Span)));
        Assert.True(items.Zip(items.Skip(1)).All(p => p.First.Event!.Sequence < p.Second.Event!.Sequence));
        Assert.Equal(items[^1].Event!.Position, subscription.LastPosition);
        Assert.Equal(items[^1].Event!.Position, client.LastPosition);
    }

    [Fact]
    public async Task SubscribeAsync_RefusedSubscription_ThrowsWithTheProtocolCode()
    {
        await using var host = await TestHost.StartAsync(realtime: b => b.AddSubscriptionAuthorizer(_ => SubscriptionAuthorizationResult.Deny("No.")));
        await using var client = new RealtimeEventsClient(Options(host.HttpUri("/realtime")));

        var error = await Assert.ThrowsAsync<RealtimeEventsClientException>(() => client.SubscribeAsync(new SubscriptionRequest { Id = "x" }).WithTimeout());

        Assert.Equal("forbidden", error.Code);
        Assert.Equal("No.", error.Message);
    }

    [Fact]
    public async Task AdminDisconnect_MidStream_ResumesWithContiguousPositionsAndNoDuplicates()
    {
        var tokens = 0;
        var seenTokens = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var host = await TestHost.StartAsync(map: app =>
        {
            app.Use((context, next) =>
            {
                if (context.Request.Path.StartsWithSegments("/realtime/ws"))
                {
                    seenTokens.Enqueue(context.Request.Query["access_token"].ToString());
                }

                return next(context);
            });
            app.MapRealtimeEvents("/realtime");
            app.MapRealtimeEventsManagement("/realtime/admin");
        });
        var options = Options(host.HttpUri("/realtime"));
        options.AccessTokenProvider = _ => ValueTask.FromResult<string?>("token-" + Interlocked.Increment(ref tokens));
        await using var client = new RealtimeEventsClient(options);
        var states = new StateRecorder(client);
        var subscription = await client.SubscribeAsync(new SubscriptionRequest { Id = "tasks", Topics = ["tasks/t-1"] }).WithTimeout();
        var firstConnection = client.ConnectionId!;

        var publishing = Task.Run(async () =>
        {
            for (var i = 1; i <= 400; i++)
            {
                await host.Publisher.PublishAsync(ItemReader.Draft(i));
                if (i % 50 == 0)
                {
                    await Task.Yield();
                }
            }
        });
        var before = await subscription.ReadEventsAsync(20);
        using (var http = host.CreateHttpClient())
        {
            using var response = await http.DeleteAsync($"/realtime/admin/connections/{firstConnection}").WithTimeout();
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        await publishing.WithTimeout();
        var after = await subscription.ReadEventsAsync(380);
        var items = before.Concat(after).ToList();

        Assert.DoesNotContain(items, i => i.Kind == SubscriptionItemKind.Gap);
        var sequences = items.Select(i => i.Event!.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, 400).Select(n => (long)n), sequences);
        await states.WaitAsync(c => c.State == ConnectionState.Reconnecting);
        await states.WaitAsync(c => c.State == ConnectionState.Open && c.Previous == ConnectionState.Reconnecting);
        Assert.NotEqual(firstConnection, client.ConnectionId);
        Assert.True(tokens >= 2, $"the token provider was called {tokens} times");
        Assert.Equal(["token-1", "token-2"], seenTokens.Take(2));
    }

    [Fact]
    public async Task HostRestart_OnTheSamePort_TellsTheConsumerOfANotRecoverableEpochChange()
    {
        var port = FreePort.Next();
        void SamePort(WebApplicationBuilder builder) => builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port));
        var endpoint = new Uri($"http://127.0.0.1:{port}/realtime");
        var hostA = await TestHost.StartAsync(configure: SamePort);
        await using var client = new RealtimeEventsClient(Options(endpoint));
        var states = new StateRecorder(client);
        var subscription = await client.SubscribeAsync(new SubscriptionRequest { Topics = ["tasks/*"] }).WithTimeout();
        for (var i = 1; i <= 3; i++)
        {
            await hostA.Publisher.PublishAsync(ItemReader.Draft(i));
        }

        var first = await subscription.ReadEventsAsync(3);
        var oldEpoch = first[0].Event!.Epoch;
        var mark = states.Count;
        await hostA.DisposeAsync();
        await states.WaitAsync(c => c.State == ConnectionState.Reconnecting, mark);

        await using var hostB = await TestHost.StartAsync(configure: SamePort);
        await states.WaitAsync(c => c.State == ConnectionState.Open, mark);
        await hostB.Publisher.PublishAsync(ItemReader.Draft(4));

        var gap = await subscription.NextAsync();
        Assert.Equal(SubscriptionItemKind.Gap, gap.Kind);
        Assert.Equal(GapReason.EpochChanged, gap.Gap!.Reason);
        Assert.False(gap.Gap.Recoverable);
        var next = await subscription.NextAsync();
        Assert.Equal(SubscriptionItemKind.Event, next.Kind);
        Assert.NotEqual(oldEpoch, next.Event!.Epoch);
        Assert.Equal(1, next.Event.Sequence);
        Assert.Equal(ResumeStatus.EpochChanged, subscription.LastResume);
    }

    [Fact]
    public async Task SlowConsumer_DropOldest_GetsAGapWithTheRightCountBeforeTheNextEvent()
    {
        await using var host = await TestHost.StartAsync();
        var options = Options(host.HttpUri("/realtime"));
        options.QueueCapacity = 10;
        await using var client = new RealtimeEventsClient(options);
        var subscription = await client.SubscribeAsync(new SubscriptionRequest { Topics = ["tasks/*"] }).WithTimeout();

        RealtimeEvent? last = null;
        for (var i = 1; i <= 35; i++)
        {
            last = await host.Publisher.PublishAsync(ItemReader.Draft(i));
        }

        // A ping-free barrier: wait until the client received the last event.
        await WaitUntilAsync(() => client.LastPosition == last!.Position);
        Assert.True(subscription.Queue.Buffered <= 10);
        Assert.Equal(11, subscription.Reader.Count); // 10 events and one gap notice

        var gap = await subscription.NextAsync();
        Assert.Equal(SubscriptionItemKind.Gap, gap.Kind);
        Assert.Equal(GapReason.Overflow, gap.Gap!.Reason);
        Assert.Equal(25, gap.Gap.MissedCount);
        Assert.Equal(1, gap.Gap.FirstMissed!.Value.Sequence);
        Assert.Equal(25, gap.Gap.LastMissed!.Value.Sequence);
        Assert.True(gap.Gap.Recoverable);
        var rest = await subscription.ReadEventsAsync(10);
        Assert.Equal(Enumerable.Range(26, 10).Select(n => (long)n), rest.Select(i => i.Event!.Sequence));
        Assert.Equal(25, subscription.Queue.Dropped);
    }

    [Fact]
    public async Task UnsubscribeAsync_EndsTheSubscriptionWithAnEndItem()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = new RealtimeEventsClient(Options(host.HttpUri("/realtime")));
        var subscription = await client.SubscribeAsync(new SubscriptionRequest { Id = "a" }).WithTimeout();

        await subscription.UnsubscribeAsync().WithTimeout();

        var end = await subscription.NextAsync();
        Assert.Equal(SubscriptionItemKind.Ended, end.Kind);
        Assert.Equal(SubscriptionEndReason.Unsubscribed, end.EndReason);
        await subscription.Reader.Completion.WithTimeout();
        var again = await client.SubscribeAsync(new SubscriptionRequest { Id = "a" }).WithTimeout();
        Assert.Equal("a", again.Id);
    }

    [Fact]
    public async Task DisposeAsync_ClosesAndEndsEverySubscription()
    {
        await using var host = await TestHost.StartAsync();
        var client = new RealtimeEventsClient(Options(host.HttpUri("/realtime")));
        var states = new StateRecorder(client);
        var subscription = await client.SubscribeAsync(new SubscriptionRequest()).WithTimeout();

        await client.DisposeAsync().AsTask().WithTimeout();

        Assert.Equal(ConnectionState.Closed, client.State);
        var end = await subscription.NextAsync();
        Assert.Equal(SubscriptionItemKind.Ended, end.Kind);
        await states.WaitAsync(c => c.State == ConnectionState.Closed);
        Assert.DoesNotContain(states.All, c => c.State == ConnectionState.Reconnecting);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.SubscribeAsync(new SubscriptionRequest()));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        while (!condition())
        {
            await Task.Delay(5, cts.Token); // polls a condition with a deadline; not a fixed sleep
        }
    }
}
