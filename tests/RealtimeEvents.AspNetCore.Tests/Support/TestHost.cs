using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RealtimeEvents.AspNetCore.Connections;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.Support;

/// <summary>A real Kestrel host on 127.0.0.1 with a free port, RealtimeEvents added and the endpoints mapped.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private TestHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public IEventPublisher Publisher => _app.Services.GetRequiredService<IEventPublisher>();

    public IEventBroadcaster Broadcaster => _app.Services.GetRequiredService<IEventBroadcaster>();

    internal ConnectionManager Connections => ConnectionManager.For(_app.Services);

    /// <summary>
    /// Starts a host. Without <paramref name="map"/>, maps <c>/realtime</c> and <c>/realtime/admin</c>;
    /// <paramref name="realtime"/> adds to the RealtimeEvents builder (the SignalR tests, which compile this file too, add the hub's services).
    /// </summary>
    public static async Task<TestHost> StartAsync(
        Action<RealtimeEventsTransportOptions>? transport = null,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? map = null,
        Action<RealtimeEventsOptions>? core = null,
        Action<IRealtimeEventsBuilder>? realtime = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("REALTIME_TEST_LOGS") == "1")
        {
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
        }

        var events = builder.Services.AddRealtimeEvents(core);
        realtime?.Invoke(events);
        builder.Services.Configure<RealtimeEventsTransportOptions>(options => transport?.Invoke(options));
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        configure?.Invoke(builder);
        var app = builder.Build();
        if (map is null)
        {
            app.MapRealtimeEvents("/realtime");
            app.MapRealtimeEventsManagement("/realtime/admin");
        }
        else
        {
            map(app);
        }

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHost(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Starts a host whose streams at <paramref name="prefix"/> require an authenticated user
    /// (<see cref="TestAuthenticationHandler"/>: the <c>X-Test-User</c> header or <c>access_token</c>).
    /// </summary>
    public static Task<TestHost> StartRequiringAuthorizationAsync(string prefix = "/realtime") => StartAsync(
        configure: builder =>
        {
            builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
            builder.Services.AddAuthorization();
        },
        map: app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapRealtimeEvents(prefix).RequireAuthorization();
        });

    public Uri WebSocketUri(string path = "/realtime/ws") => new(new Uri(BaseAddress.ToString().Replace("http://", "ws://", StringComparison.Ordinal)), path);

    public Uri HttpUri(string path) => new(BaseAddress, path);

    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Completes when the next connection for which <paramref name="match"/> holds has been cleaned up.</summary>
    internal Task<RealtimeConnection> WhenConnectionRemoved(Func<RealtimeConnection, bool>? match = null)
    {
        var removed = new TaskCompletionSource<RealtimeConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(RealtimeConnection connection)
        {
            if (match is null || match(connection))
            {
                Connections.ConnectionRemoved -= Handler;
                removed.TrySetResult(connection);
            }
        }

        Connections.ConnectionRemoved += Handler;
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
