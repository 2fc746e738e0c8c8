using System.Net;
using System.Net.Http.Headers;
using RealtimeEvents.AspNetCore.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.Builder;

/// <summary>The browser client that MapRealtimeEvents serves at {prefix}/client.js and {prefix}/client.d.ts.</summary>
public sealed class ClientScriptTests
{
    [Fact]
    public async Task ClientJs_IsServedAsAModule_WithAnETagAndCacheHeaders()
    {
        await using var host = await TestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await http.GetAsync(new Uri("/realtime/client.js", UriKind.Relative)).WithTimeout();
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.ETag);
        Assert.False(response.Headers.ETag.IsWeak);
        Assert.Equal(TimeSpan.FromMinutes(5), response.Headers.CacheControl?.MaxAge);
        Assert.True(response.Headers.CacheControl?.Public);
        Assert.Contains("export function connect", body, StringComparison.Ordinal);
        Assert.Equal(response.Content.Headers.ContentLength, System.Text.Encoding.UTF8.GetByteCount(body));
    }

    [Fact]
    public async Task ClientJs_WithAMatchingIfNoneMatch_Is304WithoutABody_AndWithAnotherETagIs200()
    {
        await using var host = await TestHost.StartAsync();
        using var http = host.CreateHttpClient();
        using var first = await http.GetAsync(new Uri("/realtime/client.js", UriKind.Relative)).WithTimeout();

        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri("/realtime/client.js", UriKind.Relative));
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var notModified = await http.SendAsync(again).WithTimeout();
        using var stale = new HttpRequestMessage(HttpMethod.Get, new Uri("/realtime/client.js", UriKind.Relative));
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"an-older-version\""));
        using var changed = await http.SendAsync(stale).WithTimeout();

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(first.Headers.ETag, notModified.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task TheDeclarations_AreServedBesideTheScript()
    {
        await using var host = await TestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await http.GetAsync(new Uri("/realtime/client.d.ts", UriKind.Relative)).WithTimeout();
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        Assert.Contains("export declare function connect", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheScript_StaysPublic_WhenTheStreamsRequireAuthorization()
    {
        await using var host = await TestHost.StartRequiringAuthorizationAsync("/realtime/");
        using var http = host.CreateHttpClient();

        using var script = await http.GetAsync(new Uri("/realtime/client.js", UriKind.Relative)).WithTimeout();
        using var sse = await http.GetAsync(new Uri("/realtime/sse", UriKind.Relative)).WithTimeout();

        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, sse.StatusCode);
    }
}
