using Microsoft.Extensions.Options;

namespace RealtimeEvents.RabbitMQ.DependencyInjection;

/// <summary>Rejects invalid <see cref="RabbitMqEventLogOptions"/> at startup, naming the value and what it must be.</summary>
internal sealed class RabbitMqEventLogOptionsValidator : IValidateOptions<RabbitMqEventLogOptions>
{
    private const string Section = RabbitMqEventLogOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, RabbitMqEventLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{Section}:{nameof(options.ConnectionString)} is required: the broker's AMQP URI, for example amqp://user:password@rabbit.internal:5672/.");
        }
        else if (!Uri.TryCreate(options.ConnectionString, UriKind.Absolute, out var uri) || (uri.Scheme != "amqp" && uri.Scheme != "amqps"))
        {
            failures.Add($"{Section}:{nameof(options.ConnectionString)} must be an amqp:// or amqps:// URI, for example amqp://user:password@rabbit.internal:5672/.");
        }

        if (string.IsNullOrWhiteSpace(options.StreamName) || options.StreamName.Length > 255
            || options.StreamName.StartsWith("amq.", StringComparison.Ordinal))
        {
            failures.Add($"{Section}:{nameof(options.StreamName)} must be 1 to 255 characters and must not start with 'amq.' (reserved by RabbitMQ); it is '{options.StreamName}'.");
        }

        Check(failures, nameof(options.MaxLengthBytes), options.MaxLengthBytes, 1L << 20, long.MaxValue);
        Check(failures, nameof(options.MaxSegmentSizeBytes), options.MaxSegmentSizeBytes, 4096, Math.Max(4096, options.MaxLengthBytes));
        Check(failures, nameof(options.MaxEventBytes), options.MaxEventBytes, 1024, 64 << 20);
        Check(failures, nameof(options.MaxPendingPublishes), options.MaxPendingPublishes, 1, 65_536);
        Check(failures, nameof(options.Prefetch), options.Prefetch, 10, ushort.MaxValue);
        CheckTime(failures, nameof(options.MaxAge), options.MaxAge, TimeSpan.FromSeconds(1), TimeSpan.MaxValue);
        CheckTime(failures, nameof(options.PublishTimeout), options.PublishTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        CheckTime(failures, nameof(options.ReadTimeout), options.ReadTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        CheckTime(failures, nameof(options.MinReconnectDelay), options.MinReconnectDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        CheckTime(failures, nameof(options.MaxReconnectDelay), options.MaxReconnectDelay, options.MinReconnectDelay, TimeSpan.FromMinutes(10));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string name, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{Section}:{name} must be between {min} and {max}; it is {value}.");
        }
    }

    private static void CheckTime(List<string> failures, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(max == TimeSpan.MaxValue
                ? $"{Section}:{name} must be at least {min}; it is {value}."
                : $"{Section}:{name} must be between {min} and {max}; it is {value}.");
        }
    }
}
