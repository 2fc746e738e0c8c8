using System.Globalization;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Clients;

/// <summary>The command line of <c>clients</c>.</summary>
internal sealed class ClientsOptions
{
    public const string Usage =
        "usage: clients --scenario re-ws|re-sse|re-signalr|signalr|handrolled --url http://127.0.0.1:PORT --clients N " +
        "[--source-addresses 8] [--connect-concurrency 64] [--idle]";

    public Scenario Scenario { get; private set; }

    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    public int Clients { get; private set; }

    /// <summary>Connections go out from 127.0.0.1 .. 127.0.0.K, round-robin (K at most 253). The default value is 8.</summary>
    public int SourceAddresses { get; private set; } = 8;

    /// <summary>How many connects may be in flight at once. The default value is 64.</summary>
    public int ConnectConcurrency { get; private set; } = 64;

    /// <summary>No events are expected (server memory per idle connection); the commands work the same.</summary>
    public bool Idle { get; private set; }

    public static bool TryParse(string[] args, out ClientsOptions options, out string error)
    {
        options = new ClientsOptions();
        error = string.Empty;
        bool hasScenario = false, hasUrl = false, hasClients = false;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--idle")
            {
                options.Idle = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--scenario":
                    try
                    {
                        options.Scenario = Scenarios.Parse(value);
                        hasScenario = true;
                    }
                    catch (ArgumentException exception)
                    {
                        error = exception.Message;
                        return false;
                    }

                    break;
                case "--url":
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                    {
                        error = $"--url must be an absolute http:// URL, not '{value}'.";
                        return false;
                    }

                    options.Url = url;
                    hasUrl = true;
                    break;
                case "--clients":
                    hasClients = TryPositive(name, value, 1, 1_000_000, out var clients, ref error);
                    options.Clients = clients;
                    if (!hasClients)
                    {
                        return false;
                    }

                    break;
                case "--source-addresses":
                    if (!TryPositive(name, value, 1, StallSource.MaxSourceAddresses, out var addresses, ref error))
                    {
                        return false;
                    }

                    options.SourceAddresses = addresses;
                    break;
                case "--connect-concurrency":
                    if (!TryPositive(name, value, 1, 100_000, out var concurrency, ref error))
                    {
                        return false;
                    }

                    options.ConnectConcurrency = concurrency;
                    break;
                default:
                    error = $"Unknown option '{name}'.";
                    return false;
            }
        }

        error = !hasScenario ? "--scenario is required." : !hasUrl ? "--url is required." : !hasClients ? "--clients is required." : string.Empty;
        return error.Length == 0;
    }

    private static bool TryPositive(string name, string value, int min, int max, out int result, ref string error)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result) && result >= min && result <= max)
        {
            return true;
        }

        error = $"{name} must be a whole number from {min} to {max}, not '{value}'.";
        return false;
    }
}
