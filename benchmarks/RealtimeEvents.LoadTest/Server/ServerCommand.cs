using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>
/// The <c>server</c> command: hosts one scenario on Kestrel at 127.0.0.1 and publishes load events when the
/// orchestrator asks (<see cref="ControlEndpoints"/>). Its standard output carries one line, <c>listening URL</c>, once
/// it is ready; it stops when its standard input ends (the orchestrator closed it or died) or on SIGTERM / Ctrl+C.
/// </summary>
internal static class ServerCommand
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args)
    {
        ServerArguments arguments;
        RabbitMqStream? stream;
        try
        {
            arguments = ServerArguments.Parse(args);
            stream = arguments.Log == ServerLog.RabbitMq ? RabbitMqStream.Create() : null;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"server: {ex.Message}{Environment.NewLine}{ServerArguments.Usage}").ConfigureAwait(false);
            return 2;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders()
            .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace)
            .SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Use(StallSendBuffer.Use)));
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = StopTimeout);
        ScenarioHost.AddServices(builder.Services, arguments, stream);

        var app = builder.Build();
        var counter = new ConnectionCounter(ScenarioHost.ConnectionPath(arguments.Scenario));
        counter.UseIn(app);
        ScenarioHost.Map(app, arguments.Scenario);
        var pad = LoadEvents.Pad(arguments.EventBytes);
        var referenceBytes = LoadEvents.MessageBytes(LoadEvents.Message(1_000_000, Stopwatch.GetTimestamp(), pad));
        var runner = new LoadRunner(ScenarioHost.CreatePublisher(app.Services, arguments.Scenario, pad), referenceBytes);
        ControlEndpoints.Map(app, runner, counter, app.Lifetime.ApplicationStopping);

        var started = false;
        try
        {
            var stdinClosed = StandardInputClosedAsync();
            await app.StartAsync().ConfigureAwait(false);
            started = true;
            if (stream is not null)
            {
                await stream.WaitUntilAttachedAsync(app.Services).ConfigureAwait(false);
            }

            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            await Console.Out.WriteLineAsync($"listening {address}").ConfigureAwait(false);
            await Console.Out.FlushAsync().ConfigureAwait(false);

            var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
            {
                await Task.WhenAny(stdinClosed, stopping.Task).ConfigureAwait(false);
            }

            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            await Console.Error.WriteLineAsync($"server: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        finally
        {
            if (started)
            {
                using var timeout = new CancellationTokenSource(StopTimeout);
                await app.StopAsync(timeout.Token).ConfigureAwait(false);
            }

            await app.DisposeAsync().ConfigureAwait(false);
            if (stream is not null)
            {
                await DeleteStreamAsync(stream).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Completes when standard input reaches its end. A dedicated thread does the blocking reads, so no pool thread is
    /// held for the life of the server.
    /// </summary>
    private static Task StandardInputClosedAsync()
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = new Thread(() =>
        {
            try
            {
                using var input = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (input.Read(buffer) > 0)
                {
                    // the orchestrator sends nothing; only the end matters
                }
            }
            catch (IOException)
            {
            }

            closed.TrySetResult();
        })
        {
            IsBackground = true,
            Name = "stdin watcher",
        };
        reader.Start();
        return closed.Task;
    }

    private static async Task DeleteStreamAsync(RabbitMqStream stream)
    {
        try
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await stream.DeleteAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"server: deleting stream '{stream.Name}' failed: {ex.Message}").ConfigureAwait(false);
        }
    }
}
