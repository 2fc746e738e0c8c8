using RabbitMQ.Client;

namespace RealtimeEvents.RabbitMQ.Tests.Support;

/// <summary>
/// The RabbitMQ broker the tests use: the one <c>tests/run.sh</c> starts on 127.0.0.1, whose address it puts in
/// <c>REALTIME_RABBITMQ_URI</c>. Each test uses streams of its own, named uniquely, and deletes them.
/// </summary>
internal static class TestBroker
{
    public const string UriVariable = "REALTIME_RABBITMQ_URI";

    public static string Uri => Environment.GetEnvironmentVariable(UriVariable) is { Length: > 0 } uri
        ? uri
        : throw new InvalidOperationException(
            $"{UriVariable} is not set. Run the tests with 'bash tests/run.sh', which starts a private rabbitmq-server on 127.0.0.1, " +
            $"or start one with 'tests/rabbitmq/test-broker.sh start DIR' and export {UriVariable} with the address it prints.");

    public static string NewStreamName(string prefix = "test") => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Deletes a stream, ignoring one that is already gone.</summary>
    public static async Task DeleteStreamAsync(string stream, string? uri = null)
    {
        var factory = new ConnectionFactory { Uri = new System.Uri(uri ?? Uri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(stream, ifUnused: false, ifEmpty: false);
    }
}
