using System.Diagnostics;
using System.Globalization;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Reliability.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.FloodsAndSlowAttackers;

/// <summary>
/// Regression for a fault this suite found: an SSE client that stopped reading was never dropped. Its send loop waited on
/// the write for good (SSE has no pings, and Kestrel's MinResponseDataRate, at its defaults, had not dropped it 30 s
/// later), so it held its connection slot for as long as the TCP connection lived. Now a write that waits on the client for
/// HeartbeatTimeout aborts the connection.
/// </summary>
public sealed class SseWriteTimeoutTests
{
    [Fact]
    public async Task StalledSseClient_HeldItsConnectionSlotForever()
    {
        var heartbeatTimeout = TimeSpan.FromSeconds(2);
        await using var host = await TestHost.StartAsync(
            core: o => o.SubscriptionQueueCapacity = 16,
            transport: o =>
            {
                o.MaxConnections = 5;
                o.HeartbeatInterval = TimeSpan.FromSeconds(1);
                o.HeartbeatTimeout = heartbeatTimeout;
            });

        // The control group takes 4 of the 5 slots; at 20 events a second its 16-event queues ride out a 0.8 s pause.
        await using var control = await ControlGroup.StartAsync(host, clients: 4, eventsPerSecond: 20);
        await using var stalled = await RawConnection.OpenAsync(host.BaseAddress, receiveBufferBytes: 4096);
        await stalled.SendAsync(stalled.SseRequest("busy/topic"));
        Assert.Equal(200, (await stalled.ReadResponseAsync(readBody: false)).Status);

        // A steady stream it does not read, soon more than its socket buffers and Kestrel's response buffer hold, so the
        // server's writes wait on it. (A stalled client with nothing left to write to it is an idle one; it holds its slot.)
        using var stopPublishing = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var publishing = Task.Run(async () =>
        {
            var pad = new string('x', 16 * 1024);
            var n = 0;
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
            try
            {
                while (await timer.WaitForNextTickAsync(stopPublishing.Token))
                {
                    for (var i = 0; i < 2; i++)
                    {
                        n++;
                        await host.Publisher.PublishAsync(new EventDraft(EventTypes.Task.Progress, "busy/topic")
                        {
                            Data = EventData.FromJson(string.Create(CultureInfo.InvariantCulture, $$"""{"n":{{n}},"pad":"{{pad}}"}""")),
                        }).WithTimeout();
                    }
                }
            }
            catch (OperationCanceledException) when (stopPublishing.IsCancellationRequested)
            {
                // Stopped.
            }
        });
        var stalledSince = Stopwatch.StartNew();

        // Its slot is taken: the node (MaxConnections 5) refuses the next client ...
        await using (var refused = await RawConnection.OpenAsync(host.BaseAddress))
        {
            await refused.SendAsync(refused.SseRequest("other"));
            Assert.Equal(503, (await refused.ReadResponseAsync()).Status);
        }

        // ... until the write has waited HeartbeatTimeout: then the server lets the stalled client go (seen from the server,
        // since reading would un-stall it), its TCP connection is dropped, and the slot is free again.
        await Until.TrueAsync(() => host.Connections.Connections.Count == 4, TimeSpan.FromSeconds(20),
            () => "the stalled SSE client still holds its connection");
        Assert.True(stalledSince.Elapsed >= heartbeatTimeout, $"Dropped after {stalledSince.Elapsed}, before the heartbeat timeout.");
        await stopPublishing.CancelAsync();
        await publishing.WithTimeout();
        await stalled.WaitForServerCloseAsync(TimeSpan.FromSeconds(10));
        await using var next = await RawConnection.OpenAsync(host.BaseAddress);
        await next.SendAsync(next.SseRequest("other"));
        Assert.Equal(200, (await next.ReadResponseAsync(readBody: false)).Status);
        await control.StopAndVerifyAsync();
    }
}
