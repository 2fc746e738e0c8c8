using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RealtimeEvents.AspNetCore.Internal;

namespace RealtimeEvents.AspNetCore.Connections;

/// <summary>
/// The node's transport connections: the connection limit, the registry the management endpoints read, the shared
/// subscribe path (validate, authorize, subscribe) and graceful shutdown.
/// </summary>
/// <remarks>
/// Endpoints are mapped after the service provider is built, when nothing can be registered any more, so there is one
/// manager per application service provider, created by the first endpoint mapped; <c>AddRealtimeEvents()</c> is all a
/// host has to register.
/// </remarks>
internal sealed class ConnectionManager
{
    private static readonly ConditionalWeakTable<object, ConnectionManager> Instances = new();

    private readonly ConcurrentDictionary<string, RealtimeConnection> _connections = new(StringComparer.Ordinal);
    private readonly IEnumerable<ISubscriptionAuthorizer> _authorizers;
    private readonly ITimer _ticker;
    private int _reserved;

    private ConnectionManager(IServiceProvider services)
    {
        Broadcaster = services.GetService<IEventBroadcaster>() ?? throw new InvalidOperationException(
            "RealtimeEvents is not registered: call builder.Services.AddRealtimeEvents() before mapping RealtimeEvents endpoints.");
        Publisher = services.GetRequiredService<IEventPublisher>();
        Options = CreateOptions(services);
        Time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _authorizers = services.GetServices<ISubscriptionAuthorizer>();
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        Logger = loggerFactory.CreateLogger("RealtimeEvents.AspNetCore");
        Metrics = new TransportMetrics(services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        var lifetime = services.GetService<IHostApplicationLifetime>();
        Stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        Stopping.Register(CloseAllForShutdown);

        // One timer for the node, not one per connection: 10,000 idle connections cost 10,000 cheap calls a tick, not 10,000 timers.
        var tick = Options.HeartbeatInterval / 4 < TimeSpan.FromSeconds(1) ? Options.HeartbeatInterval / 4 : TimeSpan.FromSeconds(1);
        _ticker = Time.CreateTimer(static state => ((ConnectionManager)state!).Tick(), this, tick, tick);
        lifetime?.ApplicationStopped.Register(() => _ticker.Dispose());
    }

    public IEventBroadcaster Broadcaster { get; }

    public IEventPublisher Publisher { get; }

    public RealtimeEventsTransportOptions Options { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public TransportMetrics Metrics { get; }

    /// <summary>Gets a token that fires when the host begins to stop.</summary>
    public CancellationToken Stopping { get; }

    public IReadOnlyCollection<RealtimeConnection> Connections => [.. _connections.Values.OrderBy(c => c.ConnectedAt)];

    /// <summary>
    /// Binds the <c>RealtimeEvents:Transport</c> section, then applies the host's <c>Configure</c> and <c>PostConfigure</c>
    /// calls (code wins over configuration), then validates. Done here because nothing can be registered once endpoints are mapped.
    /// </summary>
    private static RealtimeEventsTransportOptions CreateOptions(IServiceProvider services)
    {
        var options = new RealtimeEventsTransportOptions();
        services.GetService<IConfiguration>()?.GetSection(RealtimeEventsTransportOptions.SectionName).Bind(options);
        foreach (var configure in services.GetServices<IConfigureOptions<RealtimeEventsTransportOptions>>())
        {
            if (configure is IConfigureNamedOptions<RealtimeEventsTransportOptions> named)
            {
                named.Configure(Microsoft.Extensions.Options.Options.DefaultName, options);
            }
            else
            {
                configure.Configure(options);
            }
        }

        foreach (var postConfigure in services.GetServices<IPostConfigureOptions<RealtimeEventsTransportOptions>>())
        {
            postConfigure.PostConfigure(Microsoft.Extensions.Options.Options.DefaultName, options);
        }

        options.Validate();
        return options;
    }

    /// <summary>
    /// The application's manager. Keyed by the root scope (what <see cref="IServiceScopeFactory"/> resolves to), so the
    /// application's provider and the provider injected into a singleton (the root scope) find the same manager.
    /// </summary>
    public static ConnectionManager For(IServiceProvider services)
    {
        var key = services.GetService<IServiceScopeFactory>() ?? (object)services;
        return Instances.GetValue(key, _ => new ConnectionManager(services));
    }

    /// <summary>Takes one of the node's connection slots; false when all are taken (answer 503).</summary>
    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _reserved) <= Options.MaxConnections && !Stopping.IsCancellationRequested)
        {
            return true;
        }

        Interlocked.Decrement(ref _reserved);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _reserved);

    /// <summary>The connection slots taken now: connections open or being opened.</summary>
    public int ReservedSlots => Volatile.Read(ref _reserved);

    public static string NewConnectionId()
    {
        Span<byte> bytes = stackalloc byte[9];
        RandomNumberGenerator.Fill(bytes);
        return "c-" + Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    public void Register(RealtimeConnection connection)
    {
        _connections[connection.Id] = connection;
        Metrics.Connections.Add(1, new KeyValuePair<string, object?>("transport", connection.Transport));
        Log.ConnectionOpened(Logger, connection.Id, connection.Transport, connection.RemoteAddress);
        if (Stopping.IsCancellationRequested)
        {
            connection.Close(WebSocketCloseStatus.EndpointUnavailable, description: null, flush: true);
        }
    }

    public void Unregister(RealtimeConnection connection)
    {
        if (_connections.TryRemove(new KeyValuePair<string, RealtimeConnection>(connection.Id, connection)))
        {
            Metrics.Connections.Add(-1, new KeyValuePair<string, object?>("transport", connection.Transport));
            Log.ConnectionClosed(Logger, connection.Id, connection.Transport);
            ConnectionRemoved?.Invoke(connection);
        }
    }

    /// <summary>Raised after a connection was cleaned up; tests await it instead of polling.</summary>
    internal event Action<RealtimeConnection>? ConnectionRemoved;

    public bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RealtimeConnection? connection) =>
        _connections.TryGetValue(id, out connection);

    /// <summary>Validates, authorizes and subscribes; every transport subscribes through here.</summary>
    public async ValueTask<SubscribeOutcome> SubscribeAsync(ClaimsPrincipal user, SubscriptionRequest request, string transport,
        IServiceProvider requestServices, CancellationToken cancellationToken)
    {
        if (!request.TryToFilter(out var filter, out var error))
        {
            return SubscribeOutcome.Failed(SubscriptionErrorCodes.InvalidSubscription, error);
        }

        var decision = await _authorizers.AuthorizeAllAsync(
            new SubscriptionAuthorizationContext(user, request, filter, transport, requestServices), cancellationToken).ConfigureAwait(false);
        if (!decision.Allowed)
        {
            Log.SubscriptionForbidden(Logger, request.Id, user.Identity?.Name, filter);
            return SubscribeOutcome.Failed(SubscriptionErrorCodes.Forbidden, decision.Reason ?? "This subscription is not allowed.");
        }

        try
        {
            var subscription = await Broadcaster.SubscribeAsync(request, cancellationToken).ConfigureAwait(false);
            return new SubscribeOutcome(subscription, null, null);
        }
        catch (SubscriptionRejectedException ex)
        {
            return SubscribeOutcome.Failed(ex.Code, ex.Message);
        }
    }

    private void Tick()
    {
        foreach (var connection in _connections.Values)
        {
            connection.OnTick();
        }
    }

    /// <summary>Asks every connection to flush and close (going away); called when the host begins to stop.</summary>
    public void CloseAllForShutdown()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Close(WebSocketCloseStatus.EndpointUnavailable, description: null, flush: true);
        }
    }
}
