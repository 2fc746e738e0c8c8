using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Support;

/// <summary>One node: a real Kestrel <see cref="TestHost"/> on 127.0.0.1 whose event log is a RabbitMQ stream.</summary>
internal sealed class RabbitMqNode : IAsyncDisposable
{
    private RabbitMqNode(TestHost host) => Host = host;

    public TestHost Host { get; }

    public IEventBroadcaster Broadcaster => Host.Broadcaster;

    public RabbitMqEventLog Log => Host.Services.GetRequiredService<RabbitMqEventLog>();

    /// <summary>
    /// Starts a host on <paramref name="uri"/> and <paramref name="stream"/> (<c>AddRabbitMq</c>, which also registers the
    /// health check); with <paramref name="waitUntilAttached"/>, returns once the node is attached to the stream.
    /// </summary>
    public static async Task<RabbitMqNode> StartAsync(string uri, string stream, bool waitUntilAttached = true,
        Action<RabbitMqEventLogOptions>? options = null, Action<RealtimeEventsOptions>? core = null)
    {
        var host = await TestHost.StartAsync(
            core: core,
            realtime: b => b.AddRabbitMq(o =>
            {
                o.ConnectionString = uri;
                o.StreamName = stream;
                options?.Invoke(o);
            })).WithTimeout();
        var node = new RabbitMqNode(host);
        if (waitUntilAttached)
        {
            try
            {
                await node.Log.WaitUntilAttachedAsync(CancellationToken.None).WithTimeout();
            }
            catch
            {
                await node.DisposeAsync();
                throw;
            }
        }

        return node;
    }

    public Uri WebSocketUri => Host.WebSocketUri();

    /// <summary>Runs the <c>realtime_events_rabbitmq</c> health check once.</summary>
    public async Task<HealthReportEntry> CheckHealthAsync()
    {
        var report = await Host.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(r => r.Name == RabbitMqRealtimeEventsBuilderExtensions.HealthCheckName).WithTimeout();
        return report.Entries[RabbitMqRealtimeEventsBuilderExtensions.HealthCheckName];
    }

    /// <summary>Checks the health check at every change of the log's state until <paramref name="until"/> holds; fails after <paramref name="timeout"/>.</summary>
    public async Task<HealthReportEntry> WaitForHealthAsync(Func<HealthReportEntry, bool> until, string what, TimeSpan? timeout = null)
    {
        HealthReportEntry? last = null;
        try
        {
            await Eventually.TrueAsync(Log, async () => until((last = await CheckHealthAsync()).Value), "the health check became " + what, timeout);
        }
        catch (Xunit.Sdk.FailException ex)
        {
            throw new TimeoutException($"{ex.Message} Last: {last?.Status} '{last?.Description}'.", ex);
        }

        return last!.Value;
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
