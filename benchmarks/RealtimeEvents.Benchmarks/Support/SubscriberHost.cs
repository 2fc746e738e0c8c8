using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RealtimeEvents.RabbitMQ.EventLog;

namespace RealtimeEvents.Benchmarks.Support;

/// <summary>Which event log a <see cref="SubscriberHost"/> runs on.</summary>
internal enum BenchmarkLog
{
    /// <summary>The default in-memory log (<c>AddRealtimeEvents</c> alone).</summary>
    Memory,

    /// <summary>A RabbitMQ stream (<c>AddRealtimeEvents().AddRabbitMq(...)</c>) on the broker named by <see cref="SubscriberHost.UriVariable"/>.</summary>
    RabbitMq,
}

/// <summary>
/// One node as a host builds it: the real DI registration (<c>AddRealtimeEvents</c>, plus <c>AddRabbitMq</c> on a fresh
/// stream for <see cref="BenchmarkLog.RabbitMq"/>), its hosted services started (the dispatcher), the RabbitMQ log
/// attached to its stream, and one subscriber on <see cref="BenchmarkEvents.Topic"/>. Disposing stops the hosted
/// services, disposes the container and deletes the stream.
/// </summary>
internal sealed class SubscriberHost : IAsyncDisposable
{
    /// <summary>The environment variable holding the broker's AMQP URI, as for the RabbitMQ tests.</summary>
    public const string UriVariable = "REALTIME_RABBITMQ_URI";

    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services;
    private readonly IHostedService[] _hosted;
    private readonly string? _uri;
    private readonly string? _stream;

    private SubscriberHost(ServiceProvider services, IHostedService[] hosted, string? uri, string? stream, ISubscription subscription)
    {
        _services = services;
        _hosted = hosted;
        _uri = uri;
        _stream = stream;
        Subscription = subscription;
        Broadcaster = services.GetRequiredService<IEventBroadcaster>();
    }

    public IEventBroadcaster Broadcaster { get; }

    /// <summary>Gets the one subscriber, on <see cref="BenchmarkEvents.Topic"/>.</summary>
    public ISubscription Subscription { get; }

    /// <summary>Gets the stream this node uses, or <see langword="null"/> for the in-memory log.</summary>
    public string? StreamName => _stream;

    /// <summary>Gets the broker's address from <see cref="UriVariable"/>, failing with what to do when it is not set.</summary>
    public static string BrokerUri =>
        Environment.GetEnvironmentVariable(UriVariable) is { Length: > 0 } uri
            ? uri
            : throw new InvalidOperationException(
                $"{UriVariable} is not set: the RabbitMQ benchmarks need a broker. Start one with 'tests/rabbitmq/test-broker.sh start DIR' " +
                $"and run with {UriVariable}=<the amqp:// URI it prints>, or filter the RabbitMQ benchmarks out.");

    public static async Task<SubscriberHost> StartAsync(BenchmarkLog log, Action<RealtimeEventsOptions>? configure = null)
    {
        string? uri = null;
        string? stream = null;
        var services = new ServiceCollection();
        services.AddLogging(); // as a host has (the RabbitMQ health check needs it); no providers, so nothing is written
        var builder = services.AddRealtimeEvents(configure);
        if (log == BenchmarkLog.RabbitMq)
        {
            uri = BrokerUri;
            stream = "bench-" + Guid.NewGuid().ToString("N");
            builder.AddRabbitMq(o =>
            {
                o.ConnectionString = uri;
                o.StreamName = stream;
            });
        }

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var hosted = provider.GetServices<IHostedService>().ToArray();
        var started = 0;
        try
        {
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
                started++;
            }

            if (log == BenchmarkLog.RabbitMq)
            {
                using var timeout = new CancellationTokenSource(AttachTimeout);
                try
                {
                    await provider.GetRequiredService<RabbitMqEventLog>().WaitUntilAttachedAsync(timeout.Token);
                }
                catch (OperationCanceledException ex)
                {
                    throw new InvalidOperationException(
                        $"The RabbitMQ event log did not attach to stream '{stream}' at {Redact(uri!)} within {AttachTimeout.TotalSeconds} s. Is the broker running?", ex);
                }
            }

            var subscription = await provider.GetRequiredService<IEventBroadcaster>()
                .SubscribeAsync(new SubscriptionRequest { Topics = [BenchmarkEvents.Topic] });
            return new SubscriberHost(provider, hosted, uri, stream, subscription);
        }
        catch
        {
            await StopAsync(hosted.AsSpan(0, started).ToArray(), provider);
            if (stream is not null)
            {
                await DeleteStreamAsync(uri!, stream);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Subscription.Dispose();
        await StopAsync(_hosted, _services);
        if (_stream is not null)
        {
            await DeleteStreamAsync(_uri!, _stream);
        }
    }

    private static async Task StopAsync(IHostedService[] hosted, ServiceProvider provider)
    {
        for (var i = hosted.Length - 1; i >= 0; i--)
        {
            await hosted[i].StopAsync(CancellationToken.None);
        }

        await provider.DisposeAsync();
    }

    private static async Task DeleteStreamAsync(string uri, string stream)
    {
        var factory = new ConnectionFactory { Uri = new Uri(uri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(stream, ifUnused: false, ifEmpty: false);
    }

    private static string Redact(string uri) => new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.ToString();
}
