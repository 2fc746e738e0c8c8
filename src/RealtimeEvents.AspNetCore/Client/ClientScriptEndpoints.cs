using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace RealtimeEvents.AspNetCore.Client;

/// <summary>
/// Serves the browser client embedded in this assembly: <c>{prefix}/client.js</c> and its declarations
/// <c>{prefix}/client.d.ts</c>, with an ETag (a 304 for a matching <c>If-None-Match</c>) and a short public cache lifetime.
/// </summary>
/// <remarks>
/// They are mapped beside the streams, not in their group, so the endpoint conventions of <c>MapRealtimeEvents</c> (such
/// as <c>RequireAuthorization</c>) do not apply: a page must be able to load the script before it has a token.
/// </remarks>
internal static class ClientScriptEndpoints
{
    /// <summary>How long a browser may use its copy before it revalidates with the ETag.</summary>
    public const string CacheControl = "public, max-age=300";

    private static readonly Lazy<Asset> Script = new(() => Asset.Load("client.js", "text/javascript; charset=utf-8"));
    private static readonly Lazy<Asset> Declarations = new(() => Asset.Load("client.d.ts", "text/plain; charset=utf-8"));

    public static void Map(IEndpointRouteBuilder endpoints, string prefix)
    {
        var root = prefix.TrimEnd('/');
        endpoints.MapGet(root + "/client.js", context => Script.Value.WriteAsync(context)).WithDisplayName("RealtimeEvents client.js " + prefix);
        endpoints.MapGet(root + "/client.d.ts", context => Declarations.Value.WriteAsync(context)).WithDisplayName("RealtimeEvents client.d.ts " + prefix);
    }

    private sealed class Asset(byte[] content, string contentType, EntityTagHeaderValue etag)
    {
        public static Asset Load(string name, string contentType)
        {
            using var stream = typeof(ClientScriptEndpoints).Assembly.GetManifestResourceStream("RealtimeEvents.AspNetCore.Client." + name)
                ?? throw new InvalidOperationException($"The embedded resource '{name}' is missing from RealtimeEvents.AspNetCore.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var hash = Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 16));
            return new Asset(content, contentType, new EntityTagHeaderValue('"' + hash + '"'));
        }

        public Task WriteAsync(HttpContext context)
        {
            var response = context.Response;
            var headers = response.GetTypedHeaders();
            headers.ETag = etag;
            response.Headers.CacheControl = CacheControl;
            response.Headers.XContentTypeOptions = "nosniff";
            var ifNoneMatch = context.Request.GetTypedHeaders().IfNoneMatch;
            if (ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(etag, useStrongComparison: false)))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }

            response.ContentType = contentType;
            response.ContentLength = content.Length;
            return response.Body.WriteAsync(content).AsTask();
        }
    }
}
