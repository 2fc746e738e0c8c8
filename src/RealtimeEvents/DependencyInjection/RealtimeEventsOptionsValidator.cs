using Microsoft.Extensions.Options;

namespace RealtimeEvents.DependencyInjection;

/// <summary>Rejects invalid <see cref="RealtimeEventsOptions"/> at startup, naming the value and its allowed range.</summary>
internal sealed class RealtimeEventsOptionsValidator : IValidateOptions<RealtimeEventsOptions>
{
    public ValidateOptionsResult Validate(string? name, RealtimeEventsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Check(failures, nameof(options.SubscriptionQueueCapacity), options.SubscriptionQueueCapacity, 1, 1_000_000);
        Check(failures, nameof(options.MaxConsecutiveOverflows), options.MaxConsecutiveOverflows, 1, 1000);
        Check(failures, nameof(options.ReplayPageSize), options.ReplayPageSize, 1, 10_000);
        if (!Enum.IsDefined(options.LagPolicy))
        {
            failures.Add($"{RealtimeEventsOptions.SectionName}:{nameof(options.LagPolicy)} must be KeepDropping or EndSubscription; it is {options.LagPolicy}.");
        }

        if (options.History is null)
        {
            failures.Add($"{RealtimeEventsOptions.SectionName}:{nameof(options.History)} must not be null.");
        }
        else
        {
            var history = options.History;
            Check(failures, "History:" + nameof(history.MaxEvents), history.MaxEvents, 1, 10_000_000);
            Check(failures, "History:" + nameof(history.MaxBytes), history.MaxBytes, 1024, 16L * 1024 * 1024 * 1024);
            if (history.MaxAge < TimeSpan.FromSeconds(1) || history.MaxAge > TimeSpan.FromDays(30))
            {
                failures.Add($"{RealtimeEventsOptions.SectionName}:History:{nameof(history.MaxAge)} must be between 00:00:01 and 30.00:00:00; it is {history.MaxAge}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string name, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{RealtimeEventsOptions.SectionName}:{name} must be between {min} and {max}; it is {value}.");
        }
    }
}
