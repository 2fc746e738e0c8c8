using Microsoft.Extensions.Options;

namespace RealtimeEvents.Client.Internal;

/// <summary>Rejects invalid <see cref="RealtimeEventsClientOptions"/>, naming the value and its allowed range.</summary>
internal sealed class ClientOptionsValidator : IValidateOptions<RealtimeEventsClientOptions>
{
    public ValidateOptionsResult Validate(string? name, RealtimeEventsClientOptions options)
    {
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem of <paramref name="options"/>.</summary>
    public static void ThrowIfInvalid(RealtimeEventsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Check(options);
        if (failures.Count > 0)
        {
            throw new ArgumentException("Invalid RealtimeEventsClientOptions: " + string.Join(" ", failures), nameof(options));
        }
    }

    private static List<string> Check(RealtimeEventsClientOptions options)
    {
        const string Section = RealtimeEventsClientOptions.SectionName;
        var failures = new List<string>();
        if (options.Endpoint is not { IsAbsoluteUri: true } endpoint || endpoint.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            failures.Add($"{Section}:Endpoint must be an absolute http, https, ws or wss URI, such as 'https://example.com/realtime'; it is '{options.Endpoint}'.");
        }

        if (options.Reconnect is not { } reconnect)
        {
            failures.Add($"{Section}:Reconnect must not be null.");
        }
        else
        {
            if (reconnect.BaseDelay <= TimeSpan.Zero || reconnect.BaseDelay > TimeSpan.FromHours(1))
            {
                failures.Add($"{Section}:Reconnect:BaseDelay must be between 00:00:00.001 and 01:00:00; it is {reconnect.BaseDelay}.");
            }

            if (reconnect.MaxDelay < reconnect.BaseDelay || reconnect.MaxDelay > TimeSpan.FromDays(1))
            {
                failures.Add($"{Section}:Reconnect:MaxDelay must be at least BaseDelay and at most 1.00:00:00; it is {reconnect.MaxDelay}.");
            }

            if (reconnect.MaxAttempts < 1)
            {
                failures.Add($"{Section}:Reconnect:MaxAttempts must be at least 1; it is {reconnect.MaxAttempts}.");
            }

            if (reconnect.StableAfter < TimeSpan.Zero)
            {
                failures.Add($"{Section}:Reconnect:StableAfter must not be negative; it is {reconnect.StableAfter}.");
            }
        }

        if (options.HeartbeatTimeout is { } heartbeat && heartbeat <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:HeartbeatTimeout must be positive when set; it is {heartbeat}.");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:ConnectTimeout must be positive; it is {options.ConnectTimeout}.");
        }

        if (options.QueueCapacity is < 1 or > 1_000_000)
        {
            failures.Add($"{Section}:QueueCapacity must be between 1 and 1000000; it is {options.QueueCapacity}.");
        }

        if (!Enum.IsDefined(options.QueueFullMode))
        {
            failures.Add($"{Section}:QueueFullMode must be DropOldest or Wait; it is {options.QueueFullMode}.");
        }

        if (options.TimeProvider is null)
        {
            failures.Add($"{Section}:TimeProvider must not be null.");
        }

        return failures;
    }
}
