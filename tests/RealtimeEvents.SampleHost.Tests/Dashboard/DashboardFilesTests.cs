using System.Net;
using System.Text.RegularExpressions;
using RealtimeEvents.SampleHost.Tests.Support;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SampleHost.Tests.Dashboard;

/// <summary>What a browser downloads before the dashboard runs: the page at "/" and the client at /realtime/client.js.</summary>
[Collection(SampleHostCollection.Name)]
public sealed partial class DashboardFilesTests(SampleHostFixture host)
{
    [Fact]
    public async Task ClientJs_IsJavaScriptWithAnETagAndCacheControl_And304ForAMatchingIfNoneMatch()
    {
        using var http = host.CreateHttpClient();

        using var response = await http.GetAsync("/realtime/client.js").WithTimeout();
        var body = await response.Content.ReadAsStringAsync().WithTimeout();
        using var again = new HttpRequestMessage(HttpMethod.Get, "/realtime/client.js");
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var notModified = await http.SendAsync(again).WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.ETag);
        Assert.NotNull(response.Headers.CacheControl?.MaxAge);
        Assert.Contains("export function connect", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync().WithTimeout());
    }

    [Fact]
    public async Task Root_IsTheDashboardPage_WhichLoadsTheClientFromRealtimeClientJs()
    {
        using var http = host.CreateHttpClient();

        using var response = await http.GetAsync("/").WithTimeout();
        var html = await response.Content.ReadAsStringAsync().WithTimeout();
        var sources = new List<string> { html };
        foreach (var src in ModuleScript().Matches(html).Select(m => m.Groups["src"].Value).Where(s => !s.StartsWith("/realtime/", StringComparison.Ordinal)))
        {
            using var script = await http.GetAsync(new Uri(new Uri(host.BaseAddress, "/"), src)).WithTimeout();
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            sources.Add(await script.Content.ReadAsStringAsync().WithTimeout());
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches(ModuleScript(), html);
        Assert.Contains(sources, s => s.Contains("/realtime/client.js", StringComparison.Ordinal));
        Assert.DoesNotMatch(ExternalReference(), html); // no CDN, no external fonts
    }

    [GeneratedRegex("""<script[^>]*type=["']module["'][^>]*src=["'](?<src>[^"']+)["']|<script[^>]*src=["'](?<src>[^"']+)["'][^>]*type=["']module["']""", RegexOptions.IgnoreCase)]
    private static partial Regex ModuleScript();

    [GeneratedRegex("""(src|href)=["'](https?:)?//""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}
