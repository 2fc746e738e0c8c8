using Microsoft.AspNetCore.Http;
using RealtimeEvents.AspNetCore.Internal;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.Connections;

/// <summary>What the WebSocket and SSE endpoints share before the stream starts: the connection slot and the route-bound subscription.</summary>
internal static class StreamEndpoint
{
    /// <summary>The id of a route-bound stream's subscription, on WebSocket and SSE alike, unless the query names one.</summary>
    public const string RouteSubscriptionId = "route";

    /// <summary>Takes a connection slot or answers 503; the caller releases it.</summary>
    public static async ValueTask<bool> TryReserveAsync(HttpContext context, ConnectionManager manager, string transport)
    {
        if (manager.TryReserve())
        {
            return true;
        }

        var code = manager.Stopping.IsCancellationRequested ? ProtocolErrorCodes.ShuttingDown : ProtocolErrorCodes.TooManyConnections;
        if (code == ProtocolErrorCodes.TooManyConnections)
        {
            Log.ConnectionLimitReached(manager.Logger, transport, manager.Options.MaxConnections);
        }

        manager.Metrics.CountRejected(code);
        await HttpErrors.WriteAsync(context, code, code == ProtocolErrorCodes.ShuttingDown
            ? "The server is shutting down; connect again shortly."
            : $"This server already has {manager.Options.MaxConnections} connections; try again later or another node.").ConfigureAwait(false);
        return false;
    }

    /// <summary>Builds, authorizes and makes a subscription from the route (or query string); on failure answers with the error and returns null.</summary>
    public static async ValueTask<ISubscription?> SubscribeFromRequestAsync(HttpContext context, ConnectionManager manager, string transport,
        Func<HttpContext, SubscriptionRequest>? route, string defaultId)
    {
        SubscriptionRequest? routeRequest = null;
        if (route is not null)
        {
            routeRequest = route(context);
            ArgumentNullException.ThrowIfNull(routeRequest, "the route's subscription");
        }

        if (!QueryRequestParser.TryParse(context, routeRequest, defaultId, out var request, out var error))
        {
            manager.Metrics.CountRejected(ProtocolErrorCodes.InvalidField);
            await HttpErrors.WriteAsync(context, ProtocolErrorCodes.InvalidField, error).ConfigureAwait(false);
            return null;
        }

        SubscribeOutcome outcome;
        try
        {
            outcome = await manager.SubscribeAsync(context.User, request, transport, context.RequestServices, context.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An authorizer or the event log failed: the client gets the documented error body, the details go to the log.
            Log.SubscribeFailed(manager.Logger, transport, ex);
            outcome = SubscribeOutcome.Failed(ProtocolErrorCodes.InternalError, "The subscription failed on the server; try again later.");
        }

        if (outcome.Subscription is null)
        {
            manager.Metrics.CountRejected(outcome.ErrorCode!);
            await HttpErrors.WriteAsync(context, outcome.ErrorCode!, outcome.ErrorMessage!).ConfigureAwait(false);
        }

        return outcome.Subscription;
    }
}
