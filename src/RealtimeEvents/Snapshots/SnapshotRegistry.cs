namespace RealtimeEvents.Snapshots;

/// <summary>Finds and calls the snapshot providers that serve a subscription's topics.</summary>
internal sealed class SnapshotRegistry
{
    private readonly (SnapshotProviderRegistration Registration, Lazy<ISnapshotProvider> Provider)[] _providers;

    public SnapshotRegistry(IEnumerable<SnapshotProviderRegistration> registrations, IServiceProvider services)
    {
        _providers = [.. registrations.Select(r => (r, new Lazy<ISnapshotProvider>(() => r.Factory(services))))];
    }

    public async ValueTask<IReadOnlyList<EventSnapshot>> GetSnapshotsAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        var requested = filter.MatchesAnyTopic ? ["**"] : filter.Topics.Concat(filter.TopicPatterns);
        var snapshots = new List<EventSnapshot>();
        foreach (var topic in requested)
        {
            foreach (var (registration, provider) in _providers)
            {
                if (!registration.Serves(topic))
                {
                    continue;
                }

                EventSnapshot snapshot;
                try
                {
                    snapshot = await provider.Value.GetSnapshotAsync(topic, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    throw new SubscriptionRejectedException(SubscriptionErrorCodes.SnapshotFailed,
                        $"The snapshot provider for '{registration.Topic}' failed for '{topic}': {ex.Message}", ex);
                }

                snapshots.Add(snapshot ?? throw new SubscriptionRejectedException(SubscriptionErrorCodes.SnapshotFailed,
                    $"The snapshot provider for '{registration.Topic}' returned no snapshot for '{topic}'."));
                break;
            }
        }

        if (snapshots.Count == 0)
        {
            throw new SubscriptionRejectedException(SubscriptionErrorCodes.SnapshotUnavailable,
                $"No snapshot provider serves the requested topics ({filter}). Register one with AddSnapshotProvider, or subscribe without a snapshot.");
        }

        return snapshots;
    }
}
