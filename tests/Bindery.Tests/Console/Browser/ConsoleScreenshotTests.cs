using Bindery.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bindery.Tests.Console.Browser;

/// <summary>
/// Screenshots of the console's main pages (docs/console.md, "Screenshots"), one PNG each, on a real server with a
/// little data: a user domain, a product, devices imported from a file with two bad lines, a device bound by two app
/// users. <c>./screenshots.sh</c> runs this test with <c>BINDERY_SCREENSHOTS_DIR</c> set, so the PNGs land in
/// <c>screenshots/</c> for a person to look at; in the suite they go to a temporary directory. Either way every page
/// must show something (its PNG is well above a blank page's) and fit a 1366×768 laptop screen without horizontal
/// scrolling.
/// </summary>
public sealed class ConsoleScreenshotTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    /// <summary>Where <c>./screenshots.sh</c> wants the PNGs.</summary>
    public const string DirectoryVariable = "BINDERY_SCREENSHOTS_DIR";

    /// <summary>
    /// The pages photographed, in order: one line each. A page is opened signed in (unless it says otherwise) at
    /// the path its function gives for the scene, or by an action that leaves the page showing what to photograph.
    /// </summary>
    public static IReadOnlyList<ConsoleShot> Pages { get; } =
    [
        ConsoleShot.At("sign-in", _ => "/console/signin", signedIn: false),
        ConsoleShot.At("home", _ => "/console"),
        ConsoleShot.At("user-domains", _ => "/console/user-domains"),
        ConsoleShot.At("products", _ => "/console/products"),
        ConsoleShot.At("devices-search", s => $"/console/devices?q={Uri.EscapeDataString(s.Pk)}"),
        ConsoleShot.At("device-with-binding", s => $"/console/devices/{Uri.EscapeDataString(s.BoundDevice.Pk)}/{Uri.EscapeDataString(s.BoundDevice.Dk)}"),
        ConsoleShot.By("import-result", ImportAsync),
        ConsoleShot.At("user-domain-edit", s => $"/console/user-domains/{Uri.EscapeDataString(s.DomainId)}"),
        ConsoleShot.At("product-edit", s => $"/console/products/{Uri.EscapeDataString(s.Pk)}"),
        ConsoleShot.At("apps", _ => "/console/apps"),
        ConsoleShot.At("audit", s => $"/console/audit?pk={Uri.EscapeDataString(s.BoundDevice.Pk)}&dk={Uri.EscapeDataString(s.BoundDevice.Dk)}"),
        ConsoleShot.At("webhooks", _ => "/console/webhooks"),
    ];

    [SkippableFact]
    public async Task Every_main_page_shows_something_and_fits_a_laptop_screen_without_horizontal_scrolling()
    {
        await browser.StartAsync();
        var requested = Environment.GetEnvironmentVariable(DirectoryVariable);
        var directory = requested is { Length: > 0 } ? Path.GetFullPath(requested) : Path.Combine(Path.GetTempPath(), "bindery-screenshots-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var scene = await ConsoleScene.CreateAsync(browser);
            var signedIn = await browser.SignedInPageAsync();
            var anonymous = await browser.NewPageAsync();
            var blank = await BlankSizeAsync(anonymous);

            var problems = new List<string>();
            for (var i = 0; i < Pages.Count; i++)
            {
                var shot = Pages[i];
                var page = shot.SignedIn ? signedIn : anonymous;
                await shot.Open(scene, page);
                await Expect(page.Locator("h1")).ToBeVisibleAsync();
                var file = Path.Combine(directory, $"{i + 1:00}-{shot.Name}.png");
                await page.ScreenshotAsync(new() { Path = file, FullPage = true });

                var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
                if (overflow > 0)
                {
                    problems.Add($"{shot.Name} ({page.Url}) scrolls sideways by {overflow} px at {ConsoleBrowser.Laptop.Width}×{ConsoleBrowser.Laptop.Height}");
                }
                var size = new FileInfo(file).Length;
                if (size < 3 * blank)
                {
                    problems.Add($"{shot.Name} ({page.Url}) looks blank: {size} bytes, a blank page is {blank}");
                }
            }
            Assert.True(problems.Count == 0, string.Join('\n', problems));
        }
        finally
        {
            if (requested is not { Length: > 0 })
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [SkippableFact]
    public void The_README_shows_the_screenshot_command_which_runs_this_test()
    {
        var repo = Repository.TryRoot;
        Skip.If(repo is null || !File.Exists(Path.Combine(repo, "README.md")), "README.md is not next to this build (tests run outside the repository)");
        var readme = File.ReadAllText(Path.Combine(repo!, "README.md"));
        var section = readme[readme.IndexOf("\n## Admin console", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 1, StringComparison.Ordinal)];
        Assert.Contains("```sh\n./screenshots.sh\n```", section, StringComparison.Ordinal);

        var script = Path.Combine(repo!, "screenshots.sh");
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute), "screenshots.sh is not executable");
        var text = File.ReadAllText(script);
        Assert.Contains($"FullyQualifiedName~{typeof(ConsoleScreenshotTests).FullName}", text, StringComparison.Ordinal);
        Assert.Contains(DirectoryVariable, text, StringComparison.Ordinal);
        Assert.Contains("/screenshots/", File.ReadAllLines(Path.Combine(repo!, ".gitignore")));
    }

    /// <summary>Imports a small factory file with two bad lines through the form; the page then shows the import's report.</summary>
    private static async Task ImportAsync(ConsoleScene scene, IPage page)
    {
        var (csv, _) = ConsoleSamples.DevicesCsv(48, "not-an-imei", "12345");
        using var file = TempFile.Write("factory.csv", csv);
        await page.GotoAsync("/console/devices");
        await page.GetByLabel("Product (pk)").SelectOptionAsync(scene.Pk);
        await page.GetByLabel("File (.csv or .ndjson)").SetInputFilesAsync(file.Path);
        await page.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true }).ClickAsync();
        await Expect(page.Locator("#import-progress")).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 60_000 });
        await page.Locator("#import").ScrollIntoViewIfNeededAsync();
    }

    /// <summary>The size of a blank page's PNG at the laptop viewport: what "shows nothing" weighs.</summary>
    private static async Task<long> BlankSizeAsync(IPage page)
    {
        await page.SetContentAsync("<!DOCTYPE html><html><body></body></html>");
        return (await page.ScreenshotAsync(new() { FullPage = true })).LongLength;
    }
}

/// <summary>One page of the screenshot command: its file name, whether it needs the session, and how to open it.</summary>
public sealed record ConsoleShot(string Name, bool SignedIn, Func<ConsoleScene, IPage, Task> Open)
{
    public static ConsoleShot At(string name, Func<ConsoleScene, string> path, bool signedIn = true) =>
        new(name, signedIn, async (scene, page) => await page.GotoAsync(path(scene)));

    public static ConsoleShot By(string name, Func<ConsoleScene, IPage, Task> open, bool signedIn = true) => new(name, signedIn, open);
}

/// <summary>The data the screenshots show: a product with devices, one of them bound over Wi-Fi by two app users.</summary>
public sealed record ConsoleScene(string DomainId, string Pk, Tenant.Device BoundDevice)
{
    public static async Task<ConsoleScene> CreateAsync(ConsoleBrowser browser)
    {
        var tenant = await RealServerTenant.CreateAsync(browser.Server);
        var pk = await tenant.CreateProductAsync("Smart plug EU");
        Tenant.Device? bound = null;
        for (var i = 0; i < 12; i++)
        {
            var device = await tenant.CreateDeviceAsync(pk);
            bound ??= device;
        }
        foreach (var user in new[] { await tenant.CreateUserAsync(), await tenant.CreateUserAsync() })
        {
            await tenant.BindOverWifiAsync(user, bound!);
        }
        return new ConsoleScene(tenant.DomainId, pk, bound!);
    }
}
