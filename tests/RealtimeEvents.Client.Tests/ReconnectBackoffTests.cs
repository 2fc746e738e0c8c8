using RealtimeEvents.Client.Internal;
using RealtimeEvents.Client.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Client.Tests;

public sealed class ReconnectBackoffTests
{
    [Fact]
    public async Task FailedConnects_WaitFullJitterDelaysOnTheTimeProvider_ThenGoOffline()
    {
        var time = new FakeTimeProvider();
        var randoms = new Queue<double>([0.5, 0.25, 0.999, 0.1]);
        var endpoint = new Uri($"http://127.0.0.1:{FreePort.Next()}/realtime"); // nothing listens: every connect is refused
        await using var client = new RealtimeEventsClient(new RealtimeEventsClientOptions
        {
            Endpoint = endpoint,
            TimeProvider = time,
            Random = () => randoms.Dequeue(),
            Reconnect = { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(3), MaxAttempts = 4 },
        });
        var states = new StateRecorder(client);

        var subscribing = client.SubscribeAsync(new SubscriptionRequest());
        TimeSpan[] expected =
        [
            TimeSpan.FromSeconds(0.5),   // attempt 0: 0.5 × min(3, 1 × 2⁰)
            TimeSpan.FromSeconds(0.5),   // attempt 1: 0.25 × min(3, 1 × 2¹)
            TimeSpan.FromSeconds(2.997), // attempt 2: 0.999 × min(3, 1 × 2²) — capped by MaxDelay
            TimeSpan.FromSeconds(0.3),   // attempt 3: 0.1 × min(3, 1 × 2³)
        ];
        var from = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var change = await states.WaitAsync(c => c.State == ConnectionState.Reconnecting, from);
            from = states.Count;
            Assert.Equal(expected[i], change.Delay);
            Assert.Equal(i + 1, change.Attempt);
            Assert.False(subscribing.IsCompleted);

            // Nothing happens before the delay has passed on the fake clock.
            time.Advance(change.Delay!.Value - TimeSpan.FromTicks(1));
            Assert.Equal(ConnectionState.Reconnecting, client.State);
            time.Advance(TimeSpan.FromTicks(1));
        }

        var offline = await states.WaitAsync(c => c.State == ConnectionState.Offline, from);
        Assert.Contains("Gave up after 4 reconnect attempts", offline.Reason, StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<RealtimeEventsClientException>(() => subscribing.WithTimeout());
        Assert.Equal(RealtimeEventsClientException.ConnectFailed, error.Code);
        Assert.Empty(randoms);
    }

    [Theory]
    [InlineData(0, 500)]
    [InlineData(1, 1000)]
    [InlineData(4, 8000)]
    [InlineData(5, 15000)]
    [InlineData(60, 15000)]
    public void Delay_IsWithinZeroAndTheCeiling(int attempt, int ceilingMs)
    {
        var options = new ReconnectOptions();
        var low = new ReconnectPolicy(options, () => 0);
        var high = new ReconnectPolicy(options, () => 0.9999999);
        var random = new ReconnectPolicy(options, Random.Shared.NextDouble);

        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs), low.Ceiling(attempt));
        Assert.Equal(TimeSpan.Zero, low.Delay(attempt));
        Assert.InRange(high.Delay(attempt), TimeSpan.FromMilliseconds(ceilingMs * 0.999), TimeSpan.FromMilliseconds(ceilingMs));
        for (var i = 0; i < 100; i++)
        {
            Assert.InRange(random.Delay(attempt), TimeSpan.Zero, TimeSpan.FromMilliseconds(ceilingMs));
        }
    }
}
