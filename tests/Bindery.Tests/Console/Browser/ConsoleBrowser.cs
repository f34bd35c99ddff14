using System.Net;
using Bindery.Tests.Support;
using Microsoft.Playwright;

namespace Bindery.Tests.Console.Browser;

/// <summary>
/// Where the browser tests find Chromium: Debian's <c>chromium</c> (<c>/usr/bin/chromium</c>, or <c>chromium</c> on
/// the PATH), or the executable <c>BINDERY_CHROMIUM</c> names. Playwright drives it through its
/// <c>ExecutablePath</c>; Playwright's own browser downloads are never used.
/// </summary>
public static class BrowserRequirement
{
    /// <summary>Set in CI (<c>.ci/run</c>): a missing Chromium fails the browser tests instead of skipping them.</summary>
    public const string RequireVariable = "BINDERY_REQUIRE_BROWSER";

    public const string ExecutableVariable = "BINDERY_CHROMIUM";

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) is { Length: > 0 } value && value != "0";

    /// <summary>The Chromium executable, or null when there is none.</summary>
    public static string? Executable { get; } = Find();

    /// <summary>
    /// The browser tests run once, in the SQLite pass of <c>./test.sh</c>: they drive the console's pages, and the
    /// stores under those pages are covered on both stores by the HTTP-level console tests
    /// (<c>tests/Bindery.Tests/Console</c>). Without Chromium they are skipped with the reason, or fail where
    /// <c>BINDERY_REQUIRE_BROWSER</c> is set.
    /// </summary>
    public static string SkipOrFailUnlessAvailable()
    {
        Skip.If(TestStore.IsPostgres, "the browser tests run once, in the SQLite pass (the console tests cover the PostgreSQL store over HTTP)");
        if (Executable is { } found)
        {
            return found;
        }
        var missing = Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } configured
            ? $"{ExecutableVariable}={configured} is not an executable"
            : "Chromium is not installed (apt-get install chromium), or set " + ExecutableVariable;
        if (Required)
        {
            throw new InvalidOperationException($"{RequireVariable} is set, but {missing}.");
        }
        Skip.If(true, $"browser test skipped: {missing}.");
        return "";
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }
        if (File.Exists("/usr/bin/chromium"))
        {
            return "/usr/bin/chromium";
        }
        foreach (var name in new[] { "chromium", "chromium-browser" })
        {
            var dir = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .FirstOrDefault(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));
            if (dir is not null)
            {
                return Path.Combine(dir, name);
            }
        }
        return null;
    }
}

/// <summary>
/// One real Bindery server (a child process on a free loopback port, on the suite's store) and one headless
/// Chromium, shared by the tests of a class and started by the first test that asks (so a skipped class starts
/// nothing). Each test gets a browser context of its own: its own cookies, a 1366×768 laptop viewport.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    /// <summary>The laptop screen the console must fit without horizontal scrolling.</summary>
    public static readonly ViewportSize Laptop = new() { Width = 1366, Height = 768 };

    private readonly Lock _startLock = new();
    private Task? _start;
    private readonly List<IBrowserContext> _contexts = [];
    private TestStorage? _storage;
    private ServerProcess? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("call StartAsync first");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("call StartAsync first");

    /// <summary>Skips (or fails, in CI) without Chromium; otherwise starts the server and the browser once.</summary>
    public Task StartAsync()
    {
        var chromium = BrowserRequirement.SkipOrFailUnlessAvailable();
        lock (_startLock)
        {
            return _start ??= StartOnceAsync(chromium);
        }
    }

    private async Task StartOnceAsync(string chromium)
    {
        // The whole suite runs in parallel on two cores: Playwright's 5 s default for an expectation is too tight there.
        Assertions.SetDefaultExpectTimeout(20_000);
        _storage = TestStore.Create();
        _server = await ServerProcess.StartAsync(_storage.ForServerProcess());
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            // Root in CI: Chromium's sandbox needs an unprivileged user. /dev/shm is small in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            Timeout = 60_000,
        });
    }

    /// <summary>A fresh browser context (no cookies) at the laptop viewport, its base URL the server's, and a page in it.</summary>
    public async Task<IPage> NewPageAsync(bool javaScript = true)
    {
        await StartAsync();
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = Server.BaseUrl,
            ViewportSize = Laptop,
            JavaScriptEnabled = javaScript,
            AcceptDownloads = true,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        // Fail with Playwright's message rather than waiting out the test host (generous: the suite loads the machine).
        context.SetDefaultTimeout(30_000);
        lock (_contexts)
        {
            _contexts.Add(context);
        }
        return await context.NewPageAsync();
    }

    /// <summary>A new page signed in through the sign-in form with the suite's admin key; it is on the console's home.</summary>
    public async Task<IPage> SignedInPageAsync(bool javaScript = true)
    {
        var page = await NewPageAsync(javaScript);
        await SignInAsync(page);
        return page;
    }

    public static async Task SignInAsync(IPage page)
    {
        await page.GotoAsync("/console/signin");
        await page.GetByLabel("Admin key").FillAsync(BinderyApp.AdminKeyValue);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        try
        {
            // Longer than the context's 30 s: under a full suite on two cores the first render of the dashboard can
            // take a while, and a failure should then say where the browser is, not only that it timed out.
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console", new() { Timeout = 90_000 });
        }
        catch (TimeoutException e)
        {
            var text = await page.InnerTextAsync("body", new() { Timeout = 5_000 });
            throw new TimeoutException($"signing in did not reach /console; the browser is on {page.Url}: {text[..Math.Min(text.Length, 500)]}", e);
        }
    }

    /// <summary>An HTTP client against the server that follows no redirect and keeps no cookies: requests as a script would forge them.</summary>
    public HttpClient RawClient(string? sessionCookie = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(Server.BaseUrl) };
        if (sessionCookie is not null)
        {
            client.DefaultRequestHeaders.Add("Cookie", sessionCookie);
        }
        return client;
    }

    /// <summary>The <c>Cookie</c> header value a page's browser context would send to /console (its session and antiforgery cookies).</summary>
    public static async Task<string> CookieHeaderAsync(IPage page)
    {
        var cookies = await page.Context.CookiesAsync([page.Url]);
        return string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}"));
    }

    public HttpClient AdminClient() => Server.CreateAdminClient(BinderyApp.AdminKeyValue);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _storage?.Dispose();
    }

    /// <summary>Whether the status is a redirect to the sign-in page.</summary>
    public static bool IsRedirectToSignIn(HttpResponseMessage answer) =>
        answer.StatusCode == HttpStatusCode.Redirect && answer.Headers.Location?.OriginalString == "/console/signin";
}
