using System.Net;
using Bindery.AdminConsole;
using Bindery.Infrastructure;
using Bindery.Tests.Registry;
using Bindery.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bindery.Tests.Console.Browser;

/// <summary>
/// The admin console driven in real headless Chromium against a real server process (docs/console.md, "Browser
/// tests"): an admin signs in, creates a product, imports a factory file of 1,000 devices and downloads the report
/// of its rejected lines, finds a device and watches a binding made through the app API appear on its timeline, and
/// signs out. Requests without the session, and posts without a valid CSRF token, are refused.
/// </summary>
public sealed class ConsoleBrowserTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [SkippableFact]
    public async Task An_admin_signs_in_with_the_admin_key_and_after_signing_out_a_console_page_sends_back_to_sign_in()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/console");
        await Expect(page).ToHaveURLAsync(browser.Server.BaseUrl + "/console/signin");

        await ConsoleBrowser.SignInAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();
        var cookies = await page.Context.CookiesAsync([page.Url]);
        var session = Assert.Single(cookies, c => c.Name == ConsoleSessions.CookieName);
        Assert.True(session.HttpOnly);
        Assert.DoesNotContain(BinderyApp.AdminKeyValue, session.Value, StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(browser.Server.BaseUrl + "/console/signin");
        await page.GotoAsync("/console/products");
        await Expect(page).ToHaveURLAsync(browser.Server.BaseUrl + "/console/signin");
        await Expect(page.GetByLabel("Admin key")).ToBeVisibleAsync();
    }

    [SkippableFact]
    public async Task A_wrong_admin_key_is_refused_on_the_sign_in_page_with_the_admin_APIs_error()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/console/signin");
        await page.GetByLabel("Admin key").FillAsync("not-the-admin-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync($"{Errors.AdminKeyInvalid.Code}: {Errors.AdminKeyInvalid.English}");
        Assert.DoesNotContain(await page.Context.CookiesAsync([page.Url]), c => c.Name == ConsoleSessions.CookieName);
    }

    [SkippableFact]
    public async Task A_product_created_in_the_form_is_listed_with_its_binding_mode_methods_and_user_domain()
    {
        var page = await browser.SignedInPageAsync();
        var domain = "browser-" + Guid.NewGuid().ToString("N")[..8];
        await page.GetByRole(AriaRole.Link, new() { Name = "User domains" }).First.ClickAsync();
        await page.GetByLabel("Id (AppKey)").FillAsync(domain);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create user domain" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"User domain {domain} created");

        var pk = "pbrw" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await page.GetByRole(AriaRole.Link, new() { Name = "Products" }).First.ClickAsync();
        await page.GetByLabel("Name").FillAsync("Browser plug");
        await page.GetByLabel("Product key (pk)").FillAsync(pk);
        await page.GetByLabel("Binding mode").SelectOptionAsync(new SelectOptionValue { Label = "Owner" });
        await page.GetByLabel("User cap").FillAsync("1");
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "WIFI", Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "SN", Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = domain }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create product" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Product {pk} created.");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = pk });
        await Expect(row).ToContainTextAsync("Owner");
        await Expect(row).ToContainTextAsync("SN, WIFI");
        await Expect(row).ToContainTextAsync(domain);
    }

    [SkippableFact]
    public async Task Importing_1000_devices_from_a_file_shows_a_progress_bar_to_done_then_the_report_whose_rejected_lines_download()
    {
        var tenant = await StartTenantAsync();
        var pk = await tenant.CreateProductAsync();
        var (csv, devices) = ConsoleSamples.DevicesCsv(1000, "not-an-imei", "12345");
        using var file = TempFile.Write("factory.csv", csv);

        var page = await browser.SignedInPageAsync();
        await page.GotoAsync("/console/devices");
        var progress = page.Locator("#import-progress");
        await Expect(progress).ToBeHiddenAsync();
        await page.GetByLabel("Product (pk)").SelectOptionAsync(pk);
        await page.GetByLabel("File (.csv or .ndjson)").SetInputFilesAsync(file.Path);
        await page.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true }).ClickAsync();

        await Expect(progress).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 60_000 });
        Assert.Equal(1.0, await progress.Locator("progress").EvaluateAsync<double>("bar => bar.value / bar.max"));
        await Expect(progress).ToContainTextAsync("Done. Imported 1000, rejected 2.");
        await Expect(page.Locator("#import-result")).ToHaveTextAsync("Imported 1000, rejected 2.");
        // The page was not left: the form was sent by the script, and its answer's outcome put in place.
        Assert.Equal("/console/devices", new Uri(page.Url).PathAndQuery);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Rejected lines (first 20)" }).GetByRole(AriaRole.Row)).ToHaveCountAsync(3);

        var lines = await DownloadReportAsync(page);
        Assert.Equal("line,code,message", lines[0]);
        // Line 1 is the header: the bad rows are lines 1002 and 1003 of the file.
        Assert.Equal(["1002", "1003"], lines.Skip(1).Select(l => l.Split(',')[0]));

        var imported = await browser.AdminClient().GetAnswerAsync($"/admin/v1/products/{pk}/devices/{devices[999].Dk}");
        imported.AssertOk();
    }

    [SkippableFact]
    public async Task Without_JavaScript_the_import_form_posts_as_a_plain_form_and_shows_the_same_report()
    {
        var tenant = await StartTenantAsync();
        var pk = await tenant.CreateProductAsync();
        var (csv, _) = ConsoleSamples.DevicesCsv(20, "12345");
        using var file = TempFile.Write("factory.csv", csv);

        var page = await browser.SignedInPageAsync(javaScript: false);
        await page.GotoAsync("/console/devices");
        await page.GetByLabel("Product (pk)").SelectOptionAsync(pk);
        await page.GetByLabel("File (.csv or .ndjson)").SetInputFilesAsync(file.Path);
        await page.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true }).ClickAsync();

        await Expect(page.Locator("#import-result")).ToHaveTextAsync("Imported 20, rejected 1.");
        Assert.Equal("/console/devices?handler=Import", new Uri(page.Url).PathAndQuery);
        await Expect(page.Locator("#import-progress")).ToBeHiddenAsync();
        var lines = await DownloadReportAsync(page);
        Assert.Equal("line,code,message", lines[0]);
        // 20 devices after the header: the bad row is line 22.
        Assert.Equal(["22"], lines.Skip(1).Select(l => l.Split(',')[0]));
    }

    [SkippableFact]
    public async Task A_device_is_found_by_its_dk_and_a_binding_made_through_the_app_API_appears_on_its_page_and_timeline()
    {
        var tenant = await StartTenantAsync();
        var pk = await tenant.CreateProductAsync();
        var device = await tenant.CreateDeviceAsync(pk);
        var user = await tenant.CreateUserAsync();

        var page = await browser.SignedInPageAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Devices" }).First.ClickAsync();
        await page.GetByLabel("pk, dk or sn").FillAsync(device.Dk);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = device.Dk }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{browser.Server.BaseUrl}/console/devices/{pk}/{device.Dk}");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Holders (0)" })).ToBeVisibleAsync();

        await tenant.BindOverWifiAsync(user, device);

        await page.ReloadAsync();
        var holders = page.GetByRole(AriaRole.Table, new() { Name = "Holders (1)" });
        await Expect(holders.GetByRole(AriaRole.Row).Filter(new() { HasText = user.Uid })).ToHaveCountAsync(1);
        var bound = page.Locator("#timeline tbody tr").Filter(new() { HasText = user.Uid });
        await Expect(bound).ToHaveCountAsync(1);
        await Expect(bound.Locator("td").Nth(1)).ToHaveTextAsync("bound");
        await Expect(page.Locator("main")).Not.ToContainTextAsync(device.DeviceSecret);
    }

    [SkippableFact]
    public async Task Without_the_session_a_page_is_sent_to_sign_in_and_a_post_is_refused()
    {
        await browser.StartAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/console/devices");
        await Expect(page).ToHaveURLAsync(browser.Server.BaseUrl + "/console/signin");

        using var raw = browser.RawClient();
        Assert.True(ConsoleBrowser.IsRedirectToSignIn(await raw.GetAsync("/console/products")));
        // A post with a valid antiforgery pair but no session: the token read from the sign-in page does not open the console.
        var signInPage = await raw.GetAsync("/console/signin");
        var antiforgeryCookie = string.Join("; ", signInPage.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var token = TokenOf(await signInPage.Content.ReadAsStringAsync());
        using var withToken = browser.RawClient(antiforgeryCookie);
        var answer = await withToken.PostAsync("/console/user-domains", Form(("Id", "no-session-domain"), (ConsoleSetup.AntiforgeryFieldName, token)));
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        (await browser.AdminClient().GetAnswerAsync("/admin/v1/user-domains/no-session-domain")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
    }

    [SkippableFact]
    public async Task A_post_from_the_signed_in_browser_without_the_CSRF_token_or_with_a_forged_one_is_refused()
    {
        var page = await browser.SignedInPageAsync();
        await page.GotoAsync("/console/user-domains");

        // The browser itself, with its session cookie, posting a form that carries no token (as a script would).
        var status = await page.EvaluateAsync<int>(
            "async () => (await fetch('/console/user-domains', { method: 'POST', body: new URLSearchParams({ Id: 'csrf-missing' }) })).status");
        Assert.Equal(400, status);

        // The same session from a raw client, with a forged token and with one from another browser's page.
        using var raw = browser.RawClient(await ConsoleBrowser.CookieHeaderAsync(page));
        var forged = await raw.PostAsync("/console/user-domains", Form(("Id", "csrf-forged"), (ConsoleSetup.AntiforgeryFieldName, "CfDJ8forged")));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var other = await browser.SignedInPageAsync();
        await other.GotoAsync("/console/user-domains");
        var othersToken = await other.Locator($"input[name={ConsoleSetup.AntiforgeryFieldName}]").First.InputValueAsync();
        var foreign = await raw.PostAsync("/console/user-domains", Form(("Id", "csrf-foreign"), (ConsoleSetup.AntiforgeryFieldName, othersToken)));
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);

        await page.ReloadAsync();
        foreach (var id in new[] { "csrf-missing", "csrf-forged", "csrf-foreign" })
        {
            await Expect(page.GetByRole(AriaRole.Table)).Not.ToContainTextAsync(id);
        }
    }

    private async Task<RealServerTenant> StartTenantAsync()
    {
        await browser.StartAsync();
        return await RealServerTenant.CreateAsync(browser.Server);
    }

    /// <summary>Clicks the report's download button and returns the downloaded file's lines.</summary>
    private static async Task<string[]> DownloadReportAsync(IPage page)
    {
        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Button, new() { Name = "Download the report of rejected lines (CSV)" }).ClickAsync());
        Assert.Equal("import-rejected-lines.csv", download.SuggestedFilename);
        var text = await File.ReadAllTextAsync(await download.PathAsync());
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));

    private static string TokenOf(string html)
    {
        var match = System.Text.RegularExpressions.Regex.Match(html, "name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"",
            System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(match.Success, "the sign-in page carries no antiforgery field");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }
}

/// <summary>A file in a directory of its own under the temp directory, deleted with it.</summary>
public sealed class TempFile : IDisposable
{
    private readonly string _dir;

    private TempFile(string dir, string path)
    {
        _dir = dir;
        Path = path;
    }

    public string Path { get; }

    public static TempFile Write(string name, string content)
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bindery-browser-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = System.IO.Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return new TempFile(dir, path);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
