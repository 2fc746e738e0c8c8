using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RealtimeEvents.Protocol;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.TenantIsolation;

/// <summary>
/// Issue 9, tenant isolation over Server-Sent Events: a forbidden query gets HTTP 403 <c>forbidden</c> before any stream,
/// and an allowed stream carries exactly its tenant's matching events.
/// </summary>
public sealed class SseTenantIsolationTests
{
    [Theory]
    [InlineData("acme", "topic=tenants/globex/**")]
    [InlineData("acme", "topic=tenants/**")]
    [InlineData("acme", "topic=tenants/*/runs/**")]
    [InlineData("acme", "topic=**")]
    [InlineData("acme", "type=task.*")]
    [InlineData("acme", "")]
    [InlineData("acme", "topic=tenants/acmecorp/x")]
    [InlineData("acme", "topic=*/acme/**")]
    [InlineData("globex", "topic=tenants/globex/**&topic=tenants/initech/x")]
    [InlineData("initech", "topic=tenants/acme/runs/r1&meta=tenant:initech")]
    public async Task ForbiddenQueries_Get403Forbidden_BeforeAnyStream(string tenant, string query)
    {
        await using var host = await TenantIsolationHost.StartAsync();
        using var http = host.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/realtime/sse?" + query, UriKind.Relative));
        request.Headers.Add("X-Test-User", tenant);

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithTimeout();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WithTimeout()).RootElement;
        Assert.Equal(ProtocolErrorCodes.Forbidden, body.GetProperty("code").GetString());
        Assert.Equal(TenantIsolationHost.DenyReason, body.GetProperty("message").GetString());
        Assert.Empty(host.Broadcaster.Subscriptions);
    }

    [Fact]
    public async Task AllowedStreams_CarryExactlyTheirTenantsMatchingEvents()
    {
        var seed = TenantIsolationHost.Seed;
        var random = new Random(seed);
        TenantSubscribeRequest[] cases =
        [
            new("sse-acme", "acme", "own-pattern", ["tenants/acme/**"], null, null),
            new("sse-globex", "globex", "own-pattern", ["tenants/globex/runs/*", "tenants/globex/x"], ["task.*"], null),
            new("sse-initech", "initech", "own-exact", ["tenants/initech/x", "tenants/initech/*/*/steps/*"], null, new Dictionary<string, string> { ["region"] = "eu" }),
        ];
        await using var host = await TenantIsolationHost.StartAsync();
        using var http = host.CreateHttpClient();
        var streams = new List<SseStream>();
        try
        {
            foreach (var c in cases)
            {
                streams.Add(await SseStream.OpenAsync(http, c));
            }

            var published = await TenantIsolationHost.PublishWorldAsync(host, random, perTopic: 6);
            var expected = cases.ToDictionary(c => c.Id, c => published.Where(e => TenantWorld.Matches(c, e.Topic, e.Type, e.Meta)).Select(e => e.Id).ToList());
            Assert.All(expected, kv => Assert.True(kv.Value.Count > 0, $"seed {seed}: nothing expected for {kv.Key}"));

            foreach (var stream in streams)
            {
                var received = new List<JsonElement>();
                while (received.Count < expected[stream.Request.Id].Count)
                {
                    received.Add(await stream.ReadEventAsync());
                }

                Assert.All(received, e => Assert.True(TenantWorld.IsTenantTopic(e.GetProperty("topic").GetString()!, stream.Request.Tenant),
                    $"seed {seed}: cross-tenant: {stream.Request} received {e}"));
                Assert.True(expected[stream.Request.Id].SequenceEqual(received.Select(e => e.GetProperty("id").GetString()!)),
                    $"seed {seed}: {stream.Request} received [{string.Join(", ", received.Select(e => e.GetProperty("topic").GetString()))}]");
            }

            var failures = new List<string>();
            TenantIsolationHost.CheckServerCounts(host, expected.ToDictionary(kv => kv.Key, kv => kv.Value.Count), failures);
            Assert.True(failures.Count == 0, $"seed {seed}: " + string.Join("\n", failures));
        }
        finally
        {
            foreach (var stream in streams)
            {
                stream.Dispose();
            }
        }
    }

    /// <summary>An open SSE response, read one line at a time with a timeout on each read.</summary>
    private sealed class SseStream(TenantSubscribeRequest request, HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public TenantSubscribeRequest Request { get; } = request;

        public static async Task<SseStream> OpenAsync(HttpClient http, TenantSubscribeRequest request)
        {
            var query = new List<string> { "id=" + request.Id };
            query.AddRange(request.Topics!.Select(t => "topic=" + Uri.EscapeDataString(t)));
            query.AddRange((request.Types ?? []).Select(t => "type=" + Uri.EscapeDataString(t)));
            query.AddRange((request.Meta ?? new Dictionary<string, string>()).Select(kv => "meta=" + Uri.EscapeDataString(kv.Key + ":" + kv.Value)));
            using var message = new HttpRequestMessage(HttpMethod.Get, new Uri("/realtime/sse?" + string.Join("&", query), UriKind.Relative));
            message.Headers.Add("X-Test-User", request.Tenant);
            var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead).WithTimeout();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stream = new SseStream(request, response, new StreamReader(await response.Content.ReadAsStreamAsync().WithTimeout()));
            var (type, data) = await stream.ReadAsync();
            Assert.Equal("subscribed", type);
            Assert.Equal(request.Id, data.GetProperty("id").GetString());
            return stream;
        }

        /// <summary>Reads the next event of the default type; any other SSE event (overflow, unsubscribed) fails.</summary>
        public async Task<JsonElement> ReadEventAsync()
        {
            var (type, data) = await ReadAsync();
            Assert.True(type == "message", $"{Request}: expected an event, got '{type}': {data}");
            return data;
        }

        private async Task<(string Type, JsonElement Data)> ReadAsync()
        {
            // One deadline for the whole event: heartbeat comments would otherwise keep each line read inside its timeout forever.
            var elapsed = Stopwatch.StartNew();
            string? type = null;
            string? data = null;
            while (true)
            {
                var left = TaskTimeoutExtensions.DefaultTimeout - elapsed.Elapsed;
                var line = (left > TimeSpan.Zero ? await reader.ReadLineAsync().WithTimeout(left) : throw new TimeoutException($"{Request}: no event in time."))
                    ?? throw new InvalidOperationException($"{Request}: the stream ended.");
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        return (type ?? "message", JsonDocument.Parse(data).RootElement.Clone());
                    }
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line["data: ".Length..];
                }
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }
}
