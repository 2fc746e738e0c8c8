using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>The RabbitMQ stream of a <c>--log rabbitmq</c> server: its broker, its fresh name, the wait for the log to attach, its deletion.</summary>
internal sealed class RabbitMqStream
{
    /// <summary>The environment variable holding the broker's AMQP URI, as for the RabbitMQ tests and benchmarks.</summary>
    public const string UriVariable = "REALTIME_RABBITMQ_URI";

    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(30);

    private RabbitMqStream(string uri, string name)
    {
        Uri = uri;
        Name = name;
    }

    public string Uri { get; }

    public string Name { get; }

    /// <summary>A new stream name on the broker from <see cref="UriVariable"/>.</summary>
    /// <exception cref="InvalidOperationException">The variable is not set; the message says what to do.</exception>
    public static RabbitMqStream Create() =>
        Environment.GetEnvironmentVariable(UriVariable) is { Length: > 0 } uri
            ? new RabbitMqStream(uri, "loadtest-" + Guid.NewGuid().ToString("N"))
            : throw new InvalidOperationException(
                $"{UriVariable} is not set: --log rabbitmq needs a broker. Start one with 'tests/rabbitmq/test-broker.sh start DIR' " +
                $"and run with {UriVariable}=<the amqp:// URI it prints>.");

    /// <summary>
    /// Waits until the log is attached to the stream. The log's own health check (run directly, so its "not yet"
    /// answers are not logged as failures) is healthy exactly when it is: the log publishes its session only after its
    /// tail has read from the stream.
    /// </summary>
    public async Task WaitUntilAttachedAsync(IServiceProvider services)
    {
        var registration = services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations
            .Single(r => r.Name == RabbitMqRealtimeEventsBuilderExtensions.HealthCheckName);
        var check = registration.Factory(services);
        var context = new HealthCheckContext { Registration = registration };
        using var timeout = new CancellationTokenSource(AttachTimeout);
        var result = default(HealthCheckResult);
        try
        {
            while ((result = await check.CheckHealthAsync(context, timeout.Token).ConfigureAwait(false)).Status != HealthStatus.Healthy)
            {
                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException ex)
        {
            throw new InvalidOperationException(
                $"The RabbitMQ event log did not attach to stream '{Name}' at {Redacted} within {AttachTimeout.TotalSeconds} s: {result.Description}", ex);
        }
    }

    /// <summary>Deletes the stream from the broker.</summary>
    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(Uri) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeleteAsync(Name, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private string Redacted => new UriBuilder(Uri) { UserName = string.Empty, Password = string.Empty }.Uri.ToString();
}
