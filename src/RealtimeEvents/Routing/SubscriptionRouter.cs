using System.Collections.Concurrent;
using RealtimeEvents.Broadcasting;

namespace RealtimeEvents.Routing;

/// <summary>
/// Finds the subscriptions an event goes to without scanning all of them. Subscriptions are indexed under each exact
/// topic they name, and under the literal prefix of each topic pattern (<c>executions/*/agents/**</c> under
/// <c>executions</c>; a subscription to every topic under the empty prefix). Routing an event looks up its exact topic
/// and each of its ancestor paths, so the cost grows with the topic's depth and the matches, not with the number of
/// subscriptions.
/// </summary>
/// <remarks>
/// Reads are lock-free: each index entry is an immutable array replaced on change. Only the dispatcher routes (one
/// thread), which is what lets <see cref="Subscription.LastRouted"/> skip a subscription reached through two entries.
/// </remarks>
internal sealed class SubscriptionRouter
{
    private readonly Lock _writeGate = new();
    private readonly ConcurrentDictionary<string, Subscription[]> _exact = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Subscription[]> _byPrefix = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Subscription[]>.AlternateLookup<ReadOnlySpan<char>> _prefixLookup;
    private readonly ConcurrentDictionary<Subscription, byte> _all = new();

    // ConcurrentDictionary.IsEmpty takes every lock of the dictionary; the dispatcher reads these flags instead.
    private volatile bool _hasExact;
    private volatile bool _hasPrefix;

    public SubscriptionRouter() => _prefixLookup = _byPrefix.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _all.Count;

    public ICollection<Subscription> Subscriptions => _all.Keys;

    public void Add(Subscription subscription)
    {
        lock (_writeGate)
        {
            if (!_all.TryAdd(subscription, 0))
            {
                return;
            }

            foreach (var key in ExactKeys(subscription.Filter))
            {
                _exact[key] = _exact.TryGetValue(key, out var existing) ? [.. existing, subscription] : [subscription];
            }

            foreach (var key in PrefixKeys(subscription.Filter))
            {
                _byPrefix[key] = _byPrefix.TryGetValue(key, out var existing) ? [.. existing, subscription] : [subscription];
            }

            UpdateFlags();
        }
    }

    public bool Remove(Subscription subscription)
    {
        lock (_writeGate)
        {
            if (!_all.TryRemove(subscription, out _))
            {
                return false;
            }

            RemoveFrom(_exact, ExactKeys(subscription.Filter), subscription);
            RemoveFrom(_byPrefix, PrefixKeys(subscription.Filter), subscription);
            UpdateFlags();
            return true;
        }
    }

    /// <summary>Hands <paramref name="evt"/> to every matching subscription. Called by the dispatcher only.</summary>
    public int Route(RealtimeEvent evt)
    {
        var delivered = 0;
        var topic = evt.Topic;
        if (_hasExact && _exact.TryGetValue(topic, out var exact))
        {
            delivered += Deliver(exact, evt);
        }

        if (!_hasPrefix)
        {
            return delivered;
        }

        // The empty prefix, every ancestor path, and the topic itself ('a/b/**' also matches 'a/b').
        if (_prefixLookup.TryGetValue(ReadOnlySpan<char>.Empty, out var all))
        {
            delivered += Deliver(all, evt);
        }

        var span = topic.AsSpan();
        var slash = span.IndexOf('/');
        while (slash >= 0)
        {
            if (_prefixLookup.TryGetValue(span[..slash], out var ancestors))
            {
                delivered += Deliver(ancestors, evt);
            }

            var next = span[(slash + 1)..].IndexOf('/');
            slash = next < 0 ? -1 : slash + 1 + next;
        }

        if (_byPrefix.TryGetValue(topic, out var self))
        {
            delivered += Deliver(self, evt);
        }

        return delivered;
    }

    private void UpdateFlags()
    {
        _hasExact = !_exact.IsEmpty;
        _hasPrefix = !_byPrefix.IsEmpty;
    }

    private static int Deliver(Subscription[] candidates, RealtimeEvent evt)
    {
        var delivered = 0;
        foreach (var subscription in candidates)
        {
            if (ReferenceEquals(subscription.LastRouted, evt))
            {
                continue;
            }

            subscription.LastRouted = evt;
            if (subscription.Filter.Matches(evt))
            {
                subscription.Enqueue(evt);
                delivered++;
            }
        }

        return delivered;
    }

    private static IEnumerable<string> ExactKeys(EventFilter filter) => filter.Topics;

    private static IEnumerable<string> PrefixKeys(EventFilter filter) =>
        filter.MatchesAnyTopic ? [string.Empty] : filter.CompiledTopicPatterns.Select(p => p.LiteralPrefix).Distinct(StringComparer.Ordinal);

    private static void RemoveFrom(ConcurrentDictionary<string, Subscription[]> index, IEnumerable<string> keys, Subscription subscription)
    {
        foreach (var key in keys)
        {
            if (!index.TryGetValue(key, out var existing))
            {
                continue;
            }

            var remaining = Array.FindAll(existing, s => !ReferenceEquals(s, subscription));
            if (remaining.Length == 0)
            {
                index.TryRemove(key, out _);
            }
            else
            {
                index[key] = remaining;
            }
        }
    }
}
