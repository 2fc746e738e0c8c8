using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RealtimeEvents.Snapshots;

namespace RealtimeEvents;

/// <summary>Extends <see cref="IRealtimeEventsBuilder"/> with snapshot providers and event log replacement.</summary>
public static class RealtimeEventsBuilderExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TProvider"/> (resolved from DI) as the snapshot provider for topics matching
    /// <paramref name="topicPattern"/>, for example <c>executions/*</c>.
    /// </summary>
    /// <typeparam name="TProvider">The provider type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="topicPattern">An exact topic or a topic pattern.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The pattern is malformed.</exception>
    public static IRealtimeEventsBuilder AddSnapshotProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProvider>(this IRealtimeEventsBuilder builder, string topicPattern)
        where TProvider : class, ISnapshotProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddSnapshotProvider(topicPattern, sp => sp.GetRequiredService<TProvider>()); // validates the pattern first
        builder.Services.TryAddSingleton<TProvider>();
        return builder;
    }

    /// <summary>Registers <paramref name="provider"/> as the snapshot provider for topics matching <paramref name="topicPattern"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="topicPattern">An exact topic or a topic pattern.</param>
    /// <param name="provider">The provider.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The pattern is malformed.</exception>
    public static IRealtimeEventsBuilder AddSnapshotProvider(this IRealtimeEventsBuilder builder, string topicPattern, ISnapshotProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return builder.AddSnapshotProvider(topicPattern, _ => provider);
    }

    /// <summary>Registers a snapshot provider, created by <paramref name="factory"/> on first use, for topics matching <paramref name="topicPattern"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="topicPattern">An exact topic or a topic pattern.</param>
    /// <param name="factory">Creates the provider.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The pattern is malformed.</exception>
    public static IRealtimeEventsBuilder AddSnapshotProvider(this IRealtimeEventsBuilder builder, string topicPattern,
        Func<IServiceProvider, ISnapshotProvider> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(topicPattern);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddSingleton(new SnapshotProviderRegistration(topicPattern, factory));
        return builder;
    }

    /// <summary>
    /// Replaces the embedded in-memory event log, for example with a broker-backed one shared by several nodes. The log
    /// must pass the event log conformance suite.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Creates the log (once, as a singleton).</param>
    /// <returns>The builder.</returns>
    public static IRealtimeEventsBuilder UseEventLog(this IRealtimeEventsBuilder builder, Func<IServiceProvider, IEventLog> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }

    /// <summary>
    /// Adds <typeparamref name="TAuthorizer"/> (a singleton) to the authorizers every transport asks before subscribing.
    /// Several may be added; each must allow.
    /// </summary>
    /// <typeparam name="TAuthorizer">The authorizer type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IRealtimeEventsBuilder AddSubscriptionAuthorizer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TAuthorizer>(
        this IRealtimeEventsBuilder builder)
        where TAuthorizer : class, ISubscriptionAuthorizer
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ISubscriptionAuthorizer, TAuthorizer>());
        return builder;
    }

    /// <summary>Adds a synchronous authorization rule that every transport asks before subscribing.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="authorize">Decides on a subscription request.</param>
    /// <returns>The builder.</returns>
    public static IRealtimeEventsBuilder AddSubscriptionAuthorizer(this IRealtimeEventsBuilder builder,
        Func<SubscriptionAuthorizationContext, SubscriptionAuthorizationResult> authorize)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(authorize);
        builder.Services.AddSingleton<ISubscriptionAuthorizer>(new DelegateSubscriptionAuthorizer(authorize));
        return builder;
    }

    private sealed class DelegateSubscriptionAuthorizer(Func<SubscriptionAuthorizationContext, SubscriptionAuthorizationResult> authorize)
        : ISubscriptionAuthorizer
    {
        public ValueTask<SubscriptionAuthorizationResult> AuthorizeAsync(SubscriptionAuthorizationContext context, CancellationToken cancellationToken) =>
            new(authorize(context));
    }
}
