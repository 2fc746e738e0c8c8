using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RealtimeEvents.AspNetCore;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.Support;

/// <summary>
/// The shared <see cref="TestHost"/> (real Kestrel on 127.0.0.1 with a free port) with RealtimeEvents' SignalR hub at
/// <c>/realtime/hub</c> and the management endpoints at <c>/realtime/admin</c>.
/// </summary>
public sealed class SignalRTestHost : IAsyncDisposable
{
    public const string HubPath = "/realtime/hub";
    public const string AdminPath = "/realtime/admin";

    private readonly TestHost _host;

    private SignalRTestHost(TestHost host) => _host = host;

    public Uri BaseAddress => _host.BaseAddress;

    public IServiceProvider Services => _host.Services;

    public IEventPublisher Publisher => _host.Publisher;

    public IEventBroadcaster Broadcaster => _host.Broadcaster;

    internal ConnectionManager Connections => _host.Connections;

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
        var host = await TestHost.StartAsync(
            transport,
            configure: builder =>
            {
                if (requireAuthorization)
                {
                    builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
                        .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
                    builder.Services.AddAuthorization();
                }

                configure?.Invoke(builder);
            },
            map: app =>
            {
                if (requireAuthorization)
                {
                    app.UseAuthentication();
                    app.UseAuthorization();
                }

                if (map is not null)
                {
                    map(app);
                    return;
                }

                var hub = app.MapRealtimeEventsHub(HubPath);
                if (requireAuthorization)
                {
                    hub.RequireAuthorization();
                }

                app.MapRealtimeEventsManagement(AdminPath);
            },
            core,
            realtime: events =>
            {
                events.AddSignalR();
                realtime?.Invoke(events);
            }).WithTimeout();
        return new SignalRTestHost(host);
    }

    public Uri HttpUri(string path) => _host.HttpUri(path);

    public HttpClient CreateHttpClient() => _host.CreateHttpClient();

    /// <summary>Connects a client to the hub and reads its <c>welcome</c>.</summary>
    public Task<SignalRProtocolClient> ConnectAsync(string? user = null, HttpMessageInvoker? invoker = null) =>
        SignalRProtocolClient.ConnectAsync(HubUri, user, invoker: invoker);

    /// <summary>Completes when the next connection has been cleaned up, whichever it is; call it before that connection opens.</summary>
    internal Task<RealtimeConnection> WhenNextConnectionRemoved() => _host.WhenConnectionRemoved();

    /// <summary>Completes when the connection <paramref name="connectionId"/> has been cleaned up (at once if it is already gone).</summary>
    internal async Task<RealtimeConnection?> WhenConnectionRemoved(string connectionId)
    {
        var removed = _host.WhenConnectionRemoved(c => c.Id == connectionId);
        return Connections.TryGet(connectionId, out _) ? await removed : null;
    }

    public Task StopAsync() => _host.StopAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
