using RealtimeEvents.Client.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.Client;

/// <summary>What the receive loop does with each server message.</summary>
public sealed partial class RealtimeEventsClient
{
    private ValueTask HandleAsync(ClientConnection connection, ServerMessage message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case EventsMessage events:
                return DeliverAsync(events, cancellationToken);
            case OverflowMessage overflow when Find(overflow.Subscription, RealtimeProtocol.Overflow) is { } subscription:
                Log.Gap(_logger, subscription.Id, overflow.Gap);
                return WriteAsync(subscription, SubscriptionItem.ForGap(overflow.Gap), cancellationToken);
            case SubscribedMessage subscribed when Find(subscribed.Id, RealtimeProtocol.Subscribed) is { } subscription:
                subscription.OnSubscribed(subscribed, connection);
                Log.Subscribed(_logger, subscription.Id, subscribed.Resume, subscribed.Position);
                subscription.Confirmed.TrySetResult();
                return WriteSnapshotsAsync(subscription, subscribed.Snapshots, cancellationToken);
            case UnsubscribedMessage unsubscribed when Find(unsubscribed.Id, RealtimeProtocol.Unsubscribed) is { } subscription:
                EndSubscription(subscription, unsubscribed.Reason switch
                {
                    "lagging" => SubscriptionEndReason.Lagging,
                    "shutdown" => SubscriptionEndReason.Shutdown,
                    "failed" => SubscriptionEndReason.Failed,
                    _ => SubscriptionEndReason.Unsubscribed,
                });
                break;
            case ErrorMessage error:
                OnError(error);
                break;
        }

        return ValueTask.CompletedTask;
    }

    private void OnError(ErrorMessage error)
    {
        Log.ServerError(_logger, error.Code, error.Id, error.Message);
        if (error.Id is null || Find(error.Id, RealtimeProtocol.Error) is not { } subscription)
        {
            return;
        }

        if (subscription.Unsubscribing)
        {
            // unknown_subscription for our unsubscribe: it is gone on the server either way.
            EndSubscription(subscription, SubscriptionEndReason.Unsubscribed);
            return;
        }

        // A refused subscribe: the first one fails SubscribeAsync; a refused resubscribe ends the subscription.
        lock (_gate)
        {
            _subscriptions.Remove(subscription.Id);
        }

        subscription.Confirmed.TrySetException(new RealtimeEventsClientException(error.Code, error.Message));
        subscription.UnsubscribeAnswered.TrySetResult();
        subscription.Queue.Complete(SubscriptionEndReason.Failed);
    }

    private async ValueTask DeliverAsync(EventsMessage message, CancellationToken cancellationToken)
    {
        if (Find(message.Subscription, RealtimeProtocol.Events) is not { } subscription || subscription.Unsubscribing)
        {
            return;
        }

        foreach (var evt in message.Events)
        {
            if (!subscription.TryAdvance(evt, out var last))
            {
                Log.DuplicateSkipped(_logger, subscription.Id, evt.Position, last);
                continue;
            }

            lock (_gate)
            {
                _lastPosition = evt.Position;
            }

            await WriteAsync(subscription, SubscriptionItem.ForEvent(evt), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask WriteSnapshotsAsync(ClientSubscription subscription, IReadOnlyList<EventSnapshot> snapshots, CancellationToken cancellationToken)
    {
        foreach (var snapshot in snapshots)
        {
            await WriteAsync(subscription, SubscriptionItem.ForSnapshot(snapshot), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask WriteAsync(ClientSubscription subscription, SubscriptionItem item, CancellationToken cancellationToken)
    {
        if (_options.QueueFullMode == ClientQueueFullMode.Wait)
        {
            // Stop reading the connection until the application makes room; the server's queue overflows instead.
            await subscription.Queue.WaitForSpaceAsync(cancellationToken).ConfigureAwait(false);
        }

        if (subscription.Queue.Write(item))
        {
            Log.ItemDropped(_logger, subscription.Id);
        }
    }

    private ClientSubscription? Find(string id, string op)
    {
        lock (_gate)
        {
            if (_subscriptions.TryGetValue(id, out var subscription))
            {
                return subscription;
            }
        }

        Log.UnknownSubscription(_logger, id, op);
        return null;
    }
}
