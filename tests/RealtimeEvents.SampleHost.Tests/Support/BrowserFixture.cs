using Microsoft.Playwright;

namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>
/// One headless Chromium for the browser tests: Debian's <c>/usr/bin/chromium</c> driven by Playwright's bundled driver.
/// Playwright downloads no browser. Launched on first use, so the plain HTTP tests run on a machine without Chromium.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Where Debian's chromium package installs its launcher.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>How long an auto-waiting assertion or a page action waits, in milliseconds: generous for a loaded 2-core CI machine.</summary>
    public const float Timeout = 30_000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Gets the browser, launching it the first time.</summary>
    public async Task<IBrowser> GetBrowserAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_browser is not null)
            {
                return _browser;
            }

            var executable = Environment.GetEnvironmentVariable("REALTIME_TEST_CHROMIUM") is { Length: > 0 } custom ? custom : ChromiumPath;
            if (!File.Exists(executable))
            {
                throw new InvalidOperationException(
                    $"The browser tests need Chromium at {executable}, which is missing: install it with `apt-get install -y chromium` " +
                    "(tests/run.sh does), or point REALTIME_TEST_CHROMIUM at another Chromium. Playwright downloads no browser here.");
            }

            Assertions.SetDefaultExpectTimeout(Timeout);
            _playwright ??= await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                Timeout = 60_000,
            });
            return _browser;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        _gate.Dispose();
    }
}
