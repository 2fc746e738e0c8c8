using System.Net.WebSockets;
using System.Text.Json;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>
/// The hand-rolled baseline's broadcast: for each socket in turn, serialize the message and await its send; a socket
/// that fails is removed. Sequential on purpose: one slow socket holds up everyone behind it, which is the pattern under test.
/// </summary>
internal sealed class HandRolledLoadPublisher(HandRolledSockets connections, string pad) : ILoadPublisher
{
    private int _lastEventJsonBytes;

    public bool Pipelined => false;

    public int LastEventJsonBytes => Volatile.Read(ref _lastEventJsonBytes);

    public async ValueTask PublishAsync(long n, long dueTimestamp, CancellationToken cancellationToken)
    {
        var message = LoadEvents.Message(n, dueTimestamp, pad);
        foreach (var (id, socket) in connections.Sockets)
        {
            try
            {
                var bytes = JsonSerializer.SerializeToUtf8Bytes(message, ControlJson.Options);
                Volatile.Write(ref _lastEventJsonBytes, bytes.Length);
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                connections.Sockets.TryRemove(id, out _);
            }
        }
    }
}
