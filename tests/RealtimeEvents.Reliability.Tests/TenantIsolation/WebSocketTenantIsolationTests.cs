using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;
using Xunit.Abstractions;

namespace RealtimeEvents.Reliability.Tests.TenantIsolation;

/// <summary>
/// Issue 9, tenant isolation over WebSockets: three authenticated tenants make thousands of seeded subscribes, every
/// reply is checked against an independent oracle, then events go to every tenant's topics and each subscription must
/// receive exactly the events of its own tenant that match it.
/// </summary>
public sealed class WebSocketTenantIsolationTests(ITestOutputHelper output)
{
    private const int ClientsPerTenant = 3;

    [Fact]
    public async Task RandomSubscriptions_AreForbiddenOutsideTheTenant_AndDeliverOnlyTheTenantsEvents()
    {
        var seed = TenantIsolationHost.Seed;
        var requestsPerClient = TenantIsolationHost.LongMode ? 2_500 : 240;
        var eventsPerTopic = TenantIsolationHost.LongMode ? 40 : 8;
        output.WriteLine($"seed {seed}, {requestsPerClient} subscribes per client, {eventsPerTopic} events per topic");
        var random = new Random(seed);
        var generator = new TenantSubscriptionGenerator(random);
        var clients = new List<TenantClient>();
        var failures = new ConcurrentQueue<string>();
        await using var host = await TenantIsolationHost.StartAsync();
        try
        {
            foreach (var tenant in TenantWorld.Tenants)
            {
                for (var i = 0; i < ClientsPerTenant; i++)
                {
                    var socket = await ProtocolClient.ConnectAsync(host.WebSocketUri(), o => o.SetRequestHeader("X-Test-User", tenant));
                    var generated = Enumerable.Range(0, requestsPerClient).Select(_ => generator.Next(tenant)).ToList();
                    clients.Add(new TenantClient(tenant, socket, generated));
                }
            }

            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(c => SubscribeAllAsync(c, failures)));
            var requests = clients.SelectMany(c => c.Requests).ToList();
            var allowed = requests.Where(r => r.Allowed).ToList();
            output.WriteLine($"{requests.Count} subscribes ({allowed.Count} allowed, {requests.Count - allowed.Count} forbidden) in {stopwatch.ElapsedMilliseconds} ms");
            foreach (var kind in requests.GroupBy(r => r.Kind).OrderBy(g => g.Key))
            {
                output.WriteLine($"  {kind.Key}: {kind.Count()} ({kind.Count(r => r.Allowed)} allowed)");
            }

            // The generator must have produced enough of both outcomes for the run to mean anything.
            Assert.True(requests.Count >= 2_000, $"seed {seed}: only {requests.Count} subscribes");
            Assert.True(allowed.Count >= requests.Count / 5 && allowed.Count <= requests.Count * 4 / 5, $"seed {seed}: {allowed.Count} of {requests.Count} allowed");

            // Recorded rather than asserted, so a broken authorizer still shows what it lets through below.
            var serverIds = host.Broadcaster.Subscriptions.Select(s => s.Id).ToHashSet();
            if (!serverIds.SetEquals(allowed.Select(r => r.Id)))
            {
                failures.Enqueue($"the server holds {serverIds.Count} subscriptions, the allowed subscribes were {allowed.Count}");
            }

            stopwatch.Restart();
            var published = await TenantIsolationHost.PublishWorldAsync(host, random, eventsPerTopic);
            foreach (var client in clients)
            {
                foreach (var request in client.Requests.Where(r => r.Allowed))
                {
                    client.Expected[request.Id] = published.Where(e => TenantWorld.Matches(request, e.Topic, e.Type, e.Meta)).Select(e => e.Id).ToHashSet();
                    client.Received[request.Id] = [];
                }
            }

            var expectedDeliveries = clients.Sum(c => c.Expected.Values.Sum(s => s.Count));
            foreach (var tenant in TenantWorld.Tenants)
            {
                Assert.True(clients.Where(c => c.Tenant == tenant).Sum(c => c.Expected.Values.Sum(s => s.Count)) > 0,
                    $"seed {seed}: no event was expected for {tenant}, the run would prove nothing");
            }

            await Task.WhenAll(clients.Select(c => ReceiveExpectedAsync(c, failures)));
            var serverFailures = new List<string>();
            TenantIsolationHost.CheckServerCounts(host, clients.SelectMany(c => c.Expected).ToDictionary(kv => kv.Key, kv => kv.Value.Count), serverFailures);
            foreach (var failure in serverFailures)
            {
                failures.Enqueue(failure);
            }

            await Task.WhenAll(clients.Select(c => ExpectNothingMoreAsync(c, failures)));
            output.WriteLine($"{published.Count} events published, {expectedDeliveries} deliveries checked in {stopwatch.ElapsedMilliseconds} ms");

            var crossTenant = failures.Count(f => f.Contains("cross-tenant", StringComparison.Ordinal));
            output.WriteLine($"cross-tenant deliveries: {crossTenant}");
            Assert.True(failures.IsEmpty,
                $"seed {seed}: {failures.Count} failures ({crossTenant} cross-tenant deliveries), set REALTIME_RELIABILITY_SEED={seed} to replay:\n"
                + string.Join("\n", failures.Take(30)));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.Socket.DisposeAsync();
            }
        }
    }

    private static async Task SubscribeAllAsync(TenantClient client, ConcurrentQueue<string> failures)
    {
        foreach (var request in client.Requests)
        {
            await client.Socket.SendAsync(request.ToMessage());
            var reply = await client.Socket.ReceiveAsync();
            var op = reply.GetProperty("op").GetString();
            var id = reply.TryGetProperty("id", out var idElement) ? idElement.GetString() : null;
            if (request.Allowed)
            {
                if (op != "subscribed" || id != request.Id)
                {
                    failures.Enqueue($"allowed {request} got {reply}");
                }
            }
            else if (op != "error" || id != request.Id || reply.GetProperty("code").GetString() != ProtocolErrorCodes.Forbidden
                || reply.GetProperty("message").GetString() != TenantIsolationHost.DenyReason)
            {
                failures.Enqueue($"forbidden {request} got {reply}");
            }
        }
    }

    /// <summary>Reads until every subscription of the client has each of its expected events; checks every event read.</summary>
    private static async Task ReceiveExpectedAsync(TenantClient client, ConcurrentQueue<string> failures)
    {
        // One deadline for the whole wait: heartbeats would otherwise keep each single receive inside its timeout forever.
        var elapsed = Stopwatch.StartNew();
        var remaining = client.Expected.Sum(kv => kv.Value.Count);
        while (remaining > 0)
        {
            JsonElement message;
            try
            {
                var left = TaskTimeoutExtensions.DefaultTimeout - elapsed.Elapsed;
                message = left > TimeSpan.Zero ? await client.Socket.ReceiveAsync(left) : throw new TimeoutException();
            }
            catch (TimeoutException)
            {
                var missing = client.Expected.Where(kv => kv.Value.Except(client.Received[kv.Key]).Any())
                    .Select(kv => $"{kv.Key} missing {kv.Value.Except(client.Received[kv.Key]).Count()} of {kv.Value.Count}");
                failures.Enqueue($"{client.Tenant}: timed out with {remaining} expected events missing: {string.Join("; ", missing.Take(10))}");
                client.TimedOut = true;
                return;
            }

            remaining -= Check(client, message, failures);
        }
    }

    /// <summary>A ping's pong is a reply, sent before queued data; anything read before it is still checked.</summary>
    private static async Task ExpectNothingMoreAsync(TenantClient client, ConcurrentQueue<string> failures)
    {
        if (client.TimedOut)
        {
            return; // its socket still has the receive that timed out pending, and the failure is recorded already
        }

        await client.Socket.SendAsync(new { op = "ping", id = "done" });
        while (true)
        {
            var message = await client.Socket.ReceiveAsync();
            if (message.GetProperty("op").GetString() == "pong")
            {
                return;
            }

            Check(client, message, failures);
        }
    }

    /// <summary>Checks one server message; returns how many expected events, not seen before, it carried.</summary>
    private static int Check(TenantClient client, JsonElement message, ConcurrentQueue<string> failures)
    {
        var op = message.GetProperty("op").GetString();
        if (op is not ("event" or "events"))
        {
            if (op != "heartbeat")
            {
                failures.Enqueue($"{client.Tenant}: unexpected message {message}");
            }

            return 0;
        }

        var sub = message.GetProperty("sub").GetString()!;
        var events = op == "event" ? [message.GetProperty("event")] : message.GetProperty("events").EnumerateArray().ToList();
        var fresh = 0;
        foreach (var evt in events)
        {
            var topic = evt.GetProperty("topic").GetString()!;
            var eventId = evt.GetProperty("id").GetString()!;
            if (!TenantWorld.IsTenantTopic(topic, client.Tenant))
            {
                failures.Enqueue($"cross-tenant: {client.Tenant} subscription {sub} received {evt}");
            }

            if (!client.Expected.TryGetValue(sub, out var expected) || !expected.Contains(eventId))
            {
                failures.Enqueue($"{client.Tenant} subscription {sub} received an event it does not match: {evt}");
            }
            else if (!client.Received[sub].Add(eventId))
            {
                failures.Enqueue($"{client.Tenant} subscription {sub} received {eventId} twice");
            }
            else
            {
                fresh++;
            }
        }

        return fresh;
    }

    private sealed class TenantClient(string tenant, ProtocolClient socket, List<TenantSubscribeRequest> requests)
    {
        public string Tenant { get; } = tenant;

        public ProtocolClient Socket { get; } = socket;

        public List<TenantSubscribeRequest> Requests { get; } = requests;

        public Dictionary<string, HashSet<string>> Expected { get; } = [];

        public Dictionary<string, HashSet<string>> Received { get; } = [];

        public bool TimedOut { get; set; }
    }
}
