using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace RealtimeEvents.SampleHost.Api;

/// <summary>
/// The sample's rule for the management endpoints (they list connections, disconnect them and publish): requests from
/// this machine, or with the header <c>X-Admin-Key</c> equal to the configured <c>Sample:AdminKey</c>. Everything else
/// gets 403. Behind a reverse proxy on the same machine every request looks local, so set the key and do not rely on the
/// loopback rule there. A real host puts its own authorization there: <c>MapRealtimeEventsManagement(...).RequireAuthorization("admin")</c>.
/// </summary>
public static class AdminGuard
{
    public const string HeaderName = "X-Admin-Key";

    public static IApplicationBuilder UseAdminGuard(this IApplicationBuilder app, PathString prefix, string? adminKey) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments(prefix), branch => branch.Use(async (context, next) =>
        {
            if (IsAllowed(context, adminKey))
            {
                await next(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new
            {
                status = 403,
                code = "forbidden",
                message = $"The management endpoints answer requests from this machine, or with the {HeaderName} header set to Sample:AdminKey.",
            });
        }));

    private static bool IsAllowed(HttpContext context, string? adminKey)
    {
        if (context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address))
        {
            return true;
        }

        return !string.IsNullOrEmpty(adminKey)
            && context.Request.Headers[HeaderName].ToString() is { Length: > 0 } given
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(adminKey));
    }
}
