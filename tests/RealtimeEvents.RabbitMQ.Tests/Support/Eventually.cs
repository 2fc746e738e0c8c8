using RealtimeEvents.RabbitMQ.EventLog;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.Support;

/// <summary>Waits, bounded in time, for a state of the log (a connection flag, a health status): checked at each change the log signals.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(RabbitMqEventLog log, Func<bool> condition, string what, TimeSpan? timeout = null) =>
        await TrueAsync(log, () => Task.FromResult(condition()), what, timeout);

    public static async Task TrueAsync(RabbitMqEventLog log, Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TaskTimeoutExtensions.DefaultTimeout;
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            while (true)
            {
                var change = log.WaitForChangeAsync(deadline.Token); // before the check, so a change in between is not missed
                if (await condition())
                {
                    return;
                }

                await change;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"Timed out after {limit} waiting until {what}.");
        }
    }
}
