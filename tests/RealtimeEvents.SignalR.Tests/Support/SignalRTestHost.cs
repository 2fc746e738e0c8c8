using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RealtimeEvents.AspNetCore;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>
/// A real Kestrel host on 127.0.0.1 with a free port: RealtimeEvents with its SignalR hub at <c>/realtime/hub</c> and the
/// management endpoints at <c>/realtime/admin</c>.
/// </summary>
public sealed class SignalRTestHost : IAsyncDisposable
{
    public const string HubPath = "/realtime/hub";
    public const string AdminPath = "/realtime/admin";

    private readonly WebApplication _app;
    private bool _stopped;

    private SignalRTestHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public IEventPublisher Publisher => _app.Services.GetRequiredService<IEventPublisher>();

    public IEventBroadcaster Broadcaster => _app.Services.GetRequiredService<IEventBroadcaster>();

    internal ConnectionManager Connections => ConnectionManager.For(_app.Services);

    /// <summary>The hub's WebSocket URL.</summary>
    public Uri HubUri => new(BaseAddress.ToString().Replace("http://", "ws://", StringComparison.Ordinal).TrimEnd('/') + HubPath);

    /// <summary>Starts a host.</summary>
    /// <param name="transport">Configures <see cref="RealtimeEventsTransportOptions"/>.</param>
    /// <param name="core">Configures the core <see cref="RealtimeEventsOptions"/>.</param>
    /// <param name="realtime">Adds to the RealtimeEvents builder: authorizers, snapshot providers.</param>
    /// <param name="requireAuthorization">Registers <see cref="TestAuthenticationHandler"/> and maps the hub with <c>RequireAuthorization()</c>.</param>
    /// <param name="configure">Changes the builder (Kestrel, services) last.</param>
    /// <param name="map">Maps the endpoints instead of the default hub and management endpoints.</param>
    public static async Task<SignalRTestHost> StartAsync(
        Action<RealtimeEventsTransportOptions>? transport = null,
        Action<RealtimeEventsOptions>? core = null,
        Action<IRealtimeEventsBuilder>? realtime = null,
        bool requireAuthorization = false,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("REALTIME_TEST_LOGS") == "1")
        {
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
        }

        var realtimeBuilder = builder.Services.AddRealtimeEvents(core).AddSignalR();
        realtime?.Invoke(realtimeBuilder);
        builder.Services.Configure<RealtimeEventsTransportOptions>(options => transport?.Invoke(options));
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        if (requireAuthorization)
        {
            builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
            builder.Services.AddAuthorization();
        }

        configure?.Invoke(builder);
        var app = builder.Build();
        if (requireAuthorization)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        if (map is null)
        {
            var hub = app.MapRealtimeEventsHub(HubPath);
            if (requireAuthorization)
            {
                hub.RequireAuthorization();
            }

            app.MapRealtimeEventsManagement(AdminPath);
        }
        else
        {
            map(app);
        }

        await app.StartAsync().WithTimeout();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SignalRTestHost(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public Uri HttpUri(string path) => new(BaseAddress, path);

    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Connects a client to the hub and reads its <c>welcome</c>.</summary>
    public Task<SignalRProtocolClient> ConnectAsync(string? user = null, HttpMessageInvoker? invoker = null) =>
        SignalRProtocolClient.ConnectAsync(HubUri, user, invoker: invoker);

    /// <summary>Completes when the next connection has been cleaned up, whichever it is; call it before that connection opens.</summary>
    internal Task<RealtimeConnection> WhenNextConnectionRemoved()
    {
        var removed = new TaskCompletionSource<RealtimeConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(RealtimeConnection connection)
        {
            Connections.ConnectionRemoved -= Handler;
            removed.TrySetResult(connection);
        }

        Connections.ConnectionRemoved += Handler;
        return removed.Task;
    }

    /// <summary>Completes when the connection <paramref name="connectionId"/> has been cleaned up (at once if it is already gone).</summary>
    internal Task<RealtimeConnection?> WhenConnectionRemoved(string connectionId)
    {
        var removed = new TaskCompletionSource<RealtimeConnection?>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(RealtimeConnection connection)
        {
            if (connection.Id == connectionId)
            {
                Connections.ConnectionRemoved -= Handler;
                removed.TrySetResult(connection);
            }
        }

        Connections.ConnectionRemoved += Handler;
        if (!Connections.TryGet(connectionId, out _))
        {
            Connections.ConnectionRemoved -= Handler;
            removed.TrySetResult(null);
        }

        return removed.Task;
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
