using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NSubstitute;
using RealtimeEvents.AspNetCore.HealthChecks;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.HealthChecks;

public sealed class RealtimeEventsHealthCheckTests
{
    private const string Epoch = "e1";

    private static readonly Action<WebApplication> MapHealth = app => app.MapHealthChecks("/health");

    [Fact]
    public async Task RunningHost_IsHealthy_OverTheEndpoint_WithTheDispatcherData()
    {
        await using var host = await TestHost.StartAsync(
            configure: builder => builder.Services.AddHealthChecks().AddRealtimeEvents(),
            map: MapHealth);
        using var http = host.CreateHttpClient();

        using var response = await http.GetAsync("/health").WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync().WithTimeout());
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WithTimeout();
        var entry = report.Entries["realtime_events"];
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(true, entry.Data["running"]);
        Assert.Equal(0L, entry.Data["lag"]);
        Assert.Equal(0, entry.Data["consecutiveFailures"]);
        Assert.Equal(host.Broadcaster.CurrentPosition.ToString(), entry.Data["position"]);
    }

    [Fact]
    public async Task EventLogThatKeepsFailing_MakesTheNodeUnhealthy_AfterThreeFailuresInARow()
    {
        var time = new FakeTimeProvider();
        var log = new FailingEventLog();
        await using var host = await TestHost.StartAsync(
            configure: builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(time); // registered after AddRealtimeEvents' TryAdd: the last registration wins
                builder.Services.AddRealtimeEvents().UseEventLog(_ => log);
                builder.Services.AddHealthChecks().AddRealtimeEvents();
            },
            map: MapHealth);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        using var http = host.CreateHttpClient();

        for (var failures = 1; failures <= 3; failures++)
        {
            Assert.Equal(failures, await log.Reads.Reader.ReadAsync().AsTask().WithTimeout());
            await WhenRetryIsWaitingAsync(host.Broadcaster, time, failures);

            var entry = (await health.CheckHealthAsync().WithTimeout()).Entries["realtime_events"];
            Assert.Equal(failures < 3 ? HealthStatus.Healthy : HealthStatus.Unhealthy, entry.Status);
            Assert.Equal(failures, entry.Data["consecutiveFailures"]);
            if (failures < 3)
            {
                time.Advance(TimeSpan.FromSeconds(10)); // past the retry backoff
            }
            else
            {
                Assert.Contains("failed 3 times in a row", entry.Description, StringComparison.Ordinal);
            }
        }

        using var response = await http.GetAsync("/health").WithTimeout();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", await response.Content.ReadAsStringAsync().WithTimeout());

        // The log answers again: the node is healthy at once, even though no event arrives to prove it.
        log.Recover();
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(4, await log.Reads.Reader.ReadAsync().AsTask().WithTimeout());
        using (var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout))
        {
            while (host.Broadcaster.DispatcherStatus.ConsecutiveFailures != 0)
            {
                await Task.Yield(); // the reset follows the read the log just reported, on the dispatcher's thread
                timeout.Token.ThrowIfCancellationRequested();
            }
        }

        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync().WithTimeout()).Entries["realtime_events"].Status);
    }

    [Theory]
    [InlineData(0, HealthStatus.Healthy)]
    [InlineData(100, HealthStatus.Healthy)]
    [InlineData(101, HealthStatus.Degraded)]
    [InlineData(5000, HealthStatus.Degraded)]
    public async Task Lag_AboveDegradedLag_IsDegraded(long lag, HealthStatus expected)
    {
        var check = new RealtimeEventsHealthCheck(Broadcaster(new DispatcherStatus(true, At(1000), At(1000 + lag), 0)), degradedLag: 100);

        var result = await check.CheckHealthAsync(Context(check)).WithTimeout();

        Assert.Equal(expected, result.Status);
        Assert.Equal(lag, result.Data["lag"]);
        if (expected == HealthStatus.Degraded)
        {
            Assert.Contains($"trails the log by {lag} events", result.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DispatcherBehindANewEpoch_IsDegraded()
    {
        var check = new RealtimeEventsHealthCheck(
            Broadcaster(new DispatcherStatus(true, At(1000), new EventPosition("e2", 3), 0)), degradedLag: 100);

        var result = await check.CheckHealthAsync(Context(check)).WithTimeout();

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal(-1L, result.Data["lag"]);
        Assert.Contains("epoch", result.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 3)]
    [InlineData(true, 10)]
    public async Task StoppedOrFailingDispatcher_ReportsTheRegistrationsFailureStatus(bool running, int failures)
    {
        var check = new RealtimeEventsHealthCheck(Broadcaster(new DispatcherStatus(running, At(10), At(10), failures)), degradedLag: 100);

        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(Context(check)).WithTimeout()).Status);
        Assert.Equal(HealthStatus.Degraded, (await check.CheckHealthAsync(Context(check, HealthStatus.Degraded)).WithTimeout()).Status);
    }

    [Fact]
    public async Task TwoFailuresInARow_AreStillHealthy()
    {
        var check = new RealtimeEventsHealthCheck(Broadcaster(new DispatcherStatus(true, At(10), At(10), 2)), degradedLag: 100);

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(Context(check)).WithTimeout()).Status);
    }

    [Fact]
    public void AddRealtimeEvents_RegistersTheCheck_WithItsNameTagsAndFailureStatus()
    {
        var services = new ServiceCollection();
        services.AddHealthChecks().AddRealtimeEvents("realtime", HealthStatus.Degraded, ["ready"], degradedLag: 5);
        using var provider = services.BuildServiceProvider();

        var registration = Assert.Single(provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<HealthCheckServiceOptions>>().Value.Registrations);
        Assert.Equal("realtime", registration.Name);
        Assert.Equal(HealthStatus.Degraded, registration.FailureStatus);
        Assert.Equal(["ready"], registration.Tags);
    }

    [Fact]
    public void AddRealtimeEvents_RejectsBadArguments()
    {
        var builder = new ServiceCollection().AddHealthChecks();

        Assert.Throws<ArgumentNullException>(() => ((IHealthChecksBuilder)null!).AddRealtimeEvents());
        Assert.Throws<ArgumentException>(() => builder.AddRealtimeEvents(name: ""));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddRealtimeEvents(degradedLag: -1));
    }

    private static EventPosition At(long sequence) => new(Epoch, sequence);

    private static IEventBroadcaster Broadcaster(DispatcherStatus status)
    {
        var broadcaster = Substitute.For<IEventBroadcaster>();
        broadcaster.DispatcherStatus.Returns(status);
        broadcaster.Subscriptions.Returns([]);
        return broadcaster;
    }

    private static HealthCheckContext Context(IHealthCheck check, HealthStatus? failureStatus = null) =>
        new() { Registration = new HealthCheckRegistration("realtime_events", check, failureStatus, tags: null) };

    /// <summary>Waits until the dispatcher has counted <paramref name="failures"/> and parked on the clock for its retry backoff.</summary>
    private static async Task WhenRetryIsWaitingAsync(IEventBroadcaster broadcaster, FakeTimeProvider time, int failures)
    {
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeout);
        while (broadcaster.DispatcherStatus.ConsecutiveFailures < failures || !time.HasPendingTimers)
        {
            await Task.Yield();
            timeout.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>An event log whose reads fail (a broker that is down) until <see cref="Recover"/>; every read is reported on <see cref="Reads"/>.</summary>
    private sealed class FailingEventLog : IEventLog
    {
        private int _reads;
        private volatile bool _recovered;

        public Channel<int> Reads { get; } = Channel.CreateUnbounded<int>();

        public EventPosition CurrentPosition { get; } = new("failing-log", 0);

        public void Recover() => _recovered = true;

        public ValueTask<RealtimeEvent> AppendAsync(EventDraft draft, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("This log only fails reads.");

        public bool TryAppend(EventDraft draft, [NotNullWhen(true)] out RealtimeEvent? appended) =>
            throw new NotSupportedException("This log only fails reads.");

        public ValueTask<EventLogReadResult> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken = default)
        {
            Reads.Writer.TryWrite(Interlocked.Increment(ref _reads));
            return _recovered
                ? new ValueTask<EventLogReadResult>(new EventLogReadResult([], ResumeStatus.Complete, CurrentPosition))
                : throw new IOException("The broker is down.");
        }

        public ValueTask WaitForEventsAsync(EventPosition after, CancellationToken cancellationToken) =>
            new(new TaskCompletionSource().Task.WaitAsync(cancellationToken)); // nothing is ever appended

        public bool CanResumeFrom(EventPosition position) => true;
    }
}
