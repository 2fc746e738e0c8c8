using Microsoft.AspNetCore.Http;
using RealtimeEvents.Protocol;

namespace RealtimeEvents.AspNetCore.Internal;

/// <summary>Error responses for requests refused before a stream starts: a JSON body with the same code and message as the <c>error</c> message.</summary>
internal static class HttpErrors
{
    public static int StatusFor(string code) => code switch
    {
        ProtocolErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ProtocolErrorCodes.ShuttingDown or ProtocolErrorCodes.TooManyConnections => StatusCodes.Status503ServiceUnavailable,
        ProtocolErrorCodes.SnapshotFailed or ProtocolErrorCodes.InternalError => StatusCodes.Status500InternalServerError,
        ProtocolErrorCodes.UnknownConnection => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status400BadRequest,
    };

    public static Task WriteAsync(HttpContext context, string code, string message) => WriteAsync(context, code, message, StatusFor(code));

    public static Task WriteAsync(HttpContext context, string code, string message, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "5";
        }

        return context.Response.Body.WriteAsync(ServerMessages.HttpError(status, code, message), context.RequestAborted).AsTask();
    }
}
