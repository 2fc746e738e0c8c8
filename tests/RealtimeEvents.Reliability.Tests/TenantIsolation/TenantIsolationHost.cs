using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.TenantIsolation;

/// <summary>
/// The host for the tenant isolation suite: the test authentication handler (the <c>X-Test-User</c> header names the
/// user and its <c>tenant</c> claim), connections that require a user, and the tenant authorizer exactly as documented.
/// </summary>
internal static class TenantIsolationHost
{
    public const string DenyReason = "Subscribe to topics under tenants/{your tenant} only.";

    /// <summary>The run mode (<see cref="ReliabilityRun.IsLong"/>): long for the report's run, otherwise CI.</summary>
    public static bool LongMode => ReliabilityRun.IsLong;

    /// <summary>The seed (<see cref="ReliabilityRun.Seed"/>): a replayed one or a new random one.</summary>
    public static int Seed => ReliabilityRun.Seed;

    public static Task<TestHost> StartAsync() => TestHost.StartAsync(
        transport: options =>
        {
            // The suite checks authorization, not the per-connection limits: every allowed subscription stays open
            // so its deliveries can be checked (well over 100 per connection), and thousands of subscribes from a few
            // connections would otherwise spend most of the time budget waiting on the rate limiter (20/s).
            options.MaxSubscriptionsPerConnection = 100_000;
            options.MessagesPerSecond = 1_000_000;
            options.MessageBurst = 1_000_000;
        },
        configure: builder =>
        {
            builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
            builder.Services.AddAuthorization();
            builder.Services.AddRealtimeEvents().AddSubscriptionAuthorizer(context =>
                context.User.FindFirst("tenant")?.Value is { } tenant && context.Filter.IsConfinedTo("tenants/" + tenant)
                    ? SubscriptionAuthorizationResult.Allow
                    : SubscriptionAuthorizationResult.Deny(DenyReason));
        },
        map: app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapRealtimeEvents("/realtime").RequireAuthorization();
        });

    /// <summary>Publishes <paramref name="perTopic"/> events to every topic of the world, in a seeded order, with seeded types and meta.</summary>
    public static async Task<List<RealtimeEvent>> PublishWorldAsync(TestHost host, Random random, int perTopic)
    {
        var drafts = new List<EventDraft>();
        foreach (var topic in TenantWorld.AllTopics())
        {
            for (var i = 0; i < perTopic; i++)
            {
                var meta = new Dictionary<string, string>();
                if (random.Next(2) == 0)
                {
                    meta["region"] = random.Next(2) == 0 ? "eu" : "us";
                }

                if (random.Next(2) == 0)
                {
                    // A meta "tenant" says nothing about who may see the event: only the topic does.
                    meta["tenant"] = TenantWorld.Tenants[random.Next(TenantWorld.Tenants.Length)];
                }

                var type = TenantWorld.EventTypes[random.Next(TenantWorld.EventTypes.Length)];
                drafts.Add(new EventDraft(type, topic) { Meta = meta.Count == 0 ? null : meta });
            }
        }

        var published = new List<RealtimeEvent>(drafts.Count);
        foreach (var draft in drafts.OrderBy(_ => random.Next()))
        {
            published.Add(await host.Publisher.PublishAsync(draft).WithTimeout());
        }

        await host.Broadcaster.WaitForDispatchAsync(published[^1].Position).WithTimeout();
        return published;
    }

    /// <summary>
    /// Checks on the server that each subscription took exactly the events expected: the ones still queued plus the ones
    /// handed to the transport. An event routed across tenants but not yet sent is caught here.
    /// </summary>
    public static void CheckServerCounts(TestHost host, IReadOnlyDictionary<string, int> expected, List<string> failures)
    {
        foreach (var subscription in host.Broadcaster.Subscriptions)
        {
            // Called once the clients have every expected event, so a correct subscription has nothing queued. Queued is read
            // first: an event moving from the queue to the transport in between is counted at least once, never missed.
            var queued = subscription.QueueDepth;
            var taken = queued + subscription.DeliveredCount + subscription.DroppedCount + subscription.ConflatedCount;
            if (!expected.TryGetValue(subscription.Id, out var count))
            {
                failures.Add($"server has a subscription '{subscription.Id}' that should not exist ({subscription.Filter})");
            }
            else if (taken != count)
            {
                failures.Add($"server subscription '{subscription.Id}' took {taken} events (queued {queued}), expected {count} ({subscription.Filter})");
            }
        }
    }
}
