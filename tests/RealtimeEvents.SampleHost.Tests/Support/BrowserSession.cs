using System.Collections.Concurrent;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>
/// One test's browser context (a fresh profile: no cookies, no cache) and its dashboard pages. The pages' console and
/// uncaught errors go to the test output (with REALTIME_TEST_LOGS=1 their WebSocket frames too); disposing saves a
/// full-page screenshot of every page to artifacts/screenshots/&lt;name&gt;.png (the second page &lt;name&gt;.2.png),
/// whether the test passed or failed.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly ITestOutputHelper _output;
    private readonly string _name;
    private readonly List<IPage> _pages = [];
    private readonly ConcurrentQueue<string> _pageErrors = new();

    private BrowserSession(IBrowserContext context, ITestOutputHelper output, string name)
    {
        _context = context;
        _output = output;
        _name = name;
    }

    public static async Task<BrowserSession> StartAsync(BrowserFixture browser, ITestOutputHelper output, string name)
    {
        var context = await (await browser.GetBrowserAsync()).NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        context.SetDefaultTimeout(BrowserFixture.Timeout);
        return new BrowserSession(context, output, name);
    }

    /// <summary>Opens the dashboard in a new page, for example with <paramref name="query"/> <c>?transport=sse</c>.</summary>
    public async Task<DashboardPage> OpenDashboardAsync(Uri baseAddress, string query = "")
    {
        var page = await _context.NewPageAsync();
        var label = "page " + (_pages.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _pages.Add(page);
        page.Console += (_, message) => Log($"[{label} console.{message.Type}] {message.Text}");
        page.PageError += (_, error) =>
        {
            _pageErrors.Enqueue($"{label}: {error}");
            Log($"[{label} uncaught error] {error}");
        };
        page.RequestFailed += (_, request) => Log($"[{label} request failed] {request.Method} {request.Url}: {request.Failure}");
        if (Environment.GetEnvironmentVariable("REALTIME_TEST_LOGS") == "1")
        {
            // The WebSocket frames too, for debugging a transport: REALTIME_TEST_LOGS=1 dotnet test ...
            page.WebSocket += (_, socket) =>
            {
                Log($"[{label} ws open] {socket.Url}");
                socket.FrameSent += (_, frame) => Log($"[{label} ws sent] {Shorten(frame.Text)}");
                socket.FrameReceived += (_, frame) => Log($"[{label} ws received] {Shorten(frame.Text)}");
                socket.Close += (_, _) => Log($"[{label} ws closed]");
            };
        }

        var response = await page.GotoAsync(new Uri(baseAddress, "/" + query).ToString());
        Assert.True(response?.Ok, $"GET /{query} answered {response?.Status}.");
        return new DashboardPage(page);
    }

    /// <summary>Fails when a page threw an uncaught error (the dashboard or the client has a bug).</summary>
    public void AssertNoPageErrors() =>
        Assert.True(_pageErrors.IsEmpty, "Uncaught errors in the page:" + Environment.NewLine + string.Join(Environment.NewLine, _pageErrors));

    public async ValueTask DisposeAsync()
    {
        Directory.CreateDirectory(Repository.ScreenshotsDirectory);
        for (var i = 0; i < _pages.Count; i++)
        {
            var file = Path.Combine(Repository.ScreenshotsDirectory, _name + (i == 0 ? "" : "." + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)) + ".png");
            try
            {
                await _pages[i].ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true, Timeout = 15_000 });
                Log($"screenshot: {file}");
            }
            catch (PlaywrightException ex)
            {
                // The test's own failure matters more than a missing screenshot.
                Log($"no screenshot {file}: {ex.Message}");
            }
        }

        await _context.CloseAsync();
    }

    private static string? Shorten(string? text) => text is { Length: > 600 } ? text[..600] + "…" : text;

    private void Log(string line)
    {
        try
        {
            _output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has finished; a late console message has nowhere to go.
        }
    }
}
