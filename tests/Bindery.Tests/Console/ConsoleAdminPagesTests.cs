using System.Globalization;
using System.Net;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Sharing;
using Bindery.Tests.Support;

namespace Bindery.Tests.Console;

/// <summary>
/// The console's management pages (docs/console.md): apps, editing user domains and products, the device page's
/// detail, the audit log and the dashboard. Each goes through the admin API's own services: what it changes is what
/// the admin API reads, what it refuses is shown with the admin API's catalogued code and message.
/// </summary>
public sealed class ConsoleAdminPagesTests(ConsoleApp app) : IClassFixture<ConsoleApp>
{
    private static string Code(ErrorDef error) => error.Code.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Every_page_renders_for_a_signed_in_admin_and_sends_a_browser_without_a_session_to_sign_in()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var console = await ConsoleClient.SignedInAsync(app);
        var created = await console.PostFormAsync("/console/apps", new() { ["Name"] = "Pages app", ["UserDomain"] = tenant.DomainId });
        var appKey = ConsoleHtml.ById(await created.Content.ReadAsStringAsync(), "created-app-key");
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var webhook = await console.PostFormAsync("/console/webhooks", new() { ["Url"] = "https://93.184.215.14/hooks", ["Pk"] = product.Pk, ["Enabled"] = "true" });
        var webhookId = ConsoleHtml.ById(await webhook.Content.ReadAsStringAsync(), "created-webhook-id");
        var paths = new[]
        {
            "/console", "/console/apps", $"/console/apps/{appKey}", $"/console/user-domains/{tenant.DomainId}",
            $"/console/products/{product.Pk}", "/console/audit", "/console/audit?view=refusals", "/console/webhooks",
            $"/console/webhooks/{webhookId}", $"/console/devices/{product.Pk}/{device.Dk}",
        };
        foreach (var path in paths)
        {
            var page = await console.Http.GetAsync(path);
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{path}: {page.StatusCode}");
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("<h1>", html, StringComparison.Ordinal);
            Assert.Contains("href=\"/console/webhooks\"", html, StringComparison.Ordinal);
            // Every form that changes something carries the antiforgery token.
            var posts = System.Text.RegularExpressions.Regex.Matches(html, "<form method=\"post\".*?</form>", System.Text.RegularExpressions.RegexOptions.Singleline, TimeSpan.FromSeconds(1));
            Assert.NotEmpty(posts);
            Assert.All(posts, form => Assert.Contains("name=\"__csrf\"", form.Value, StringComparison.Ordinal));

            var anonymous = await new ConsoleClient(app).Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.Equal("/console/signin", anonymous.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task An_app_shows_its_secret_once_at_creation_and_is_renamed_by_the_admin_APIs_rules()
    {
        var tenant = await Tenant.CreateAsync(app);
        var console = await ConsoleClient.SignedInAsync(app);
        var created = await console.PostFormAsync("/console/apps", new() { ["Name"] = "Smart Home", ["UserDomain"] = tenant.DomainId });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var page = await created.Content.ReadAsStringAsync();
        var appKey = ConsoleHtml.ById(page, "created-app-key");
        var secret = System.Text.RegularExpressions.Regex.Match(page, "id=\"created-secret\" type=\"text\" readonly value=\"([^\"]+)\"", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)).Groups[1].Value;
        Assert.Equal(40, secret.Length);

        using var admin = app.CreateAdminClient();
        var listed = (await (await admin.GetAsync("/admin/v1/tencent-apps")).ReadEnvelopeAsync()).Data().EnumerateArray()
            .Single(a => a.GetProperty("appKey").GetString() == appKey);
        Assert.Equal(tenant.DomainId, listed.GetProperty("userDomain").GetString());
        // Never again: not in the list, not on the app's page.
        Assert.DoesNotContain(secret, await console.Http.GetStringAsync("/console/apps"), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await console.Http.GetStringAsync($"/console/apps/{appKey}"), StringComparison.Ordinal);

        var renamed = await console.PostFormAsync($"/console/apps/{appKey}", new() { ["Name"] = "Smart Home 2" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        listed = (await (await admin.GetAsync("/admin/v1/tencent-apps")).ReadEnvelopeAsync()).Data().EnumerateArray()
            .Single(a => a.GetProperty("appKey").GetString() == appKey);
        Assert.Equal("Smart Home 2", listed.GetProperty("name").GetString());

        var blank = await console.PostFormAsync($"/console/apps/{appKey}", new() { ["Name"] = " " });
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.Equal($"{Code(Errors.InvalidParameter)}: {Errors.InvalidParameter.English} (name is required)", ConsoleHtml.Role(await blank.Content.ReadAsStringAsync(), "alert"));

        var noDomain = await console.PostFormAsync("/console/apps", new() { ["Name"] = "Orphan", ["UserDomain"] = "no-such-domain" });
        Assert.Equal(HttpStatusCode.BadRequest, noDomain.StatusCode);
        Assert.StartsWith($"{Code(Errors.InvalidParameterValue)}: ", ConsoleHtml.Role(await noDomain.Content.ReadAsStringAsync(), "alert"), StringComparison.Ordinal);

        var deleted = await console.PostFormAsync($"/console/apps/{appKey}", [], $"/console/apps/{appKey}?handler=Delete");
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.DoesNotContain(appKey, (await (await admin.GetAsync("/admin/v1/tencent-apps")).ReadEnvelopeAsync()).Data().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_product_edited_in_the_console_changes_as_the_admin_APIs_PATCH_would_and_is_refused_as_it_would_be()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1, methods: ["SN", "WIFI"]);
        var console = await ConsoleClient.SignedInAsync(app);
        var edit = await console.Http.GetStringAsync($"/console/products/{product.Pk}");
        // Each choice is explained in place, with what an edit cannot change.
        Assert.Contains("It cannot change while any device of the product is bound.", edit, StringComparison.Ordinal);
        Assert.Contains("It cannot change while the product has devices.", edit, StringComparison.Ordinal);
        Assert.Contains("id=\"cap-hint\"", edit, StringComparison.Ordinal);

        Dictionary<string, string> Form(string name, string userCap, string mode, params string[] methods)
        {
            var form = new Dictionary<string, string>
            {
                ["Name"] = name, ["ModuleType"] = "EC200U", ["LogoUrl"] = "https://example.invalid/logo.png", ["BindingMode"] = mode,
                ["UserCap"] = userCap, ["DeviceKeyFormat"] = "imei-or-mac", ["UserDomains"] = tenant.DomainId,
            };
            for (var i = 0; i < methods.Length; i++)
            {
                form[$"Methods[{i}]"] = methods[i];
            }
            return form;
        }

        var saved = await console.PostFormAsync($"/console/products/{product.Pk}", Form("Renamed plug", "3", "1", "SN", "BT"));
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal($"Product {product.Pk} saved.", ConsoleHtml.Role(await saved.Content.ReadAsStringAsync(), "status"));
        using var admin = app.CreateAdminClient();
        var read = (await (await admin.GetAsync($"/admin/v1/products/{product.Pk}")).ReadEnvelopeAsync()).Data();
        Assert.Equal("Renamed plug", read.GetProperty("name").GetString());
        Assert.Equal(3, read.GetProperty("userCap").GetInt32());
        Assert.Equal(["SN", "BT"], read.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));

        var noMethods = await console.PostFormAsync($"/console/products/{product.Pk}", Form("Renamed plug", "3", "1"));
        Assert.Equal(HttpStatusCode.BadRequest, noMethods.StatusCode);
        var alert = ConsoleHtml.Role(await noMethods.Content.ReadAsStringAsync(), "alert");
        Assert.StartsWith($"{Code(Errors.InvalidParameterValue)}: {Errors.InvalidParameterValue.English}", alert, StringComparison.Ordinal);
        Assert.Contains("methods", alert, StringComparison.Ordinal);

        // The binding mode cannot change under a bound device (9010), and the refused change changed nothing.
        var device = await tenant.CreateDeviceAsync(product.Pk);
        await BindingApi.BindSnOkAsync(await tenant.CreateUserAsync(), device);
        var modeChange = await console.PostFormAsync($"/console/products/{product.Pk}", Form("Another name", "3", "2", "SN"));
        Assert.Equal(HttpStatusCode.BadRequest, modeChange.StatusCode);
        Assert.StartsWith($"{Code(Errors.UnsupportedOperation)}: ", ConsoleHtml.Role(await modeChange.Content.ReadAsStringAsync(), "alert"), StringComparison.Ordinal);
        read = (await (await admin.GetAsync($"/admin/v1/products/{product.Pk}")).ReadEnvelopeAsync()).Data();
        Assert.Equal("Renamed plug", read.GetProperty("name").GetString());
        Assert.Equal(1, read.GetProperty("bindingMode").GetInt32());
    }

    [Fact]
    public async Task The_user_domains_list_shows_only_the_end_of_each_secret_and_the_whole_secret_once_at_creation_and_on_its_page()
    {
        var tenant = await Tenant.CreateAsync(app);
        var console = await ConsoleClient.SignedInAsync(app);

        var list = await console.Http.GetStringAsync("/console/user-domains");
        Assert.DoesNotContain(tenant.DomainSecret, list, StringComparison.Ordinal);
        Assert.Contains("…" + tenant.DomainSecret[^4..], list, StringComparison.Ordinal);
        Assert.Contains(tenant.DomainSecret, await console.Http.GetStringAsync($"/console/user-domains/{tenant.DomainId}"), StringComparison.Ordinal);

        var id = "masked-" + Guid.NewGuid().ToString("N")[..8];
        var created = await console.PostFormAsync("/console/user-domains", new() { ["Id"] = id });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var notice = ConsoleHtml.Role(await created.Content.ReadAsStringAsync(), "status");
        using var admin = app.CreateAdminClient();
        var secret = (await (await admin.GetAsync($"/admin/v1/user-domains/{id}")).ReadEnvelopeAsync()).Data().GetProperty("secret").GetString()!;
        Assert.Contains(secret, notice, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await console.Http.GetStringAsync("/console/user-domains"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_domain_edited_in_the_console_changes_as_the_admin_APIs_PATCH_would()
    {
        var tenant = await Tenant.CreateAsync(app);
        var console = await ConsoleClient.SignedInAsync(app);
        var saved = await console.PostFormAsync($"/console/user-domains/{tenant.DomainId}", new() { ["HomeMode"] = "true", ["TencentEnvelope"] = "client" });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        using var admin = app.CreateAdminClient();
        var read = (await (await admin.GetAsync($"/admin/v1/user-domains/{tenant.DomainId}")).ReadEnvelopeAsync()).Data();
        Assert.True(read.GetProperty("homeMode").GetBoolean());
        Assert.Equal("client", read.GetProperty("tencentEnvelope").GetString());
        Assert.Equal(tenant.DomainSecret, read.GetProperty("secret").GetString());

        var bad = await console.PostFormAsync($"/console/user-domains/{tenant.DomainId}", new() { ["TencentEnvelope"] = "xml" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.StartsWith($"{Code(Errors.InvalidParameterValue)}: {Errors.InvalidParameterValue.English} (tencentEnvelope", ConsoleHtml.Role(await bad.Content.ReadAsStringAsync(), "alert"), StringComparison.Ordinal);

        var rotated = await console.PostFormAsync($"/console/user-domains/{tenant.DomainId}", new() { ["TencentEnvelope"] = "default", ["RotateSecret"] = "true" });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        read = (await (await admin.GetAsync($"/admin/v1/user-domains/{tenant.DomainId}")).ReadEnvelopeAsync()).Data();
        Assert.NotEqual(tenant.DomainSecret, read.GetProperty("secret").GetString());
        Assert.False(read.GetProperty("homeMode").GetBoolean());
        Assert.Equal(JsonValueKind.Null, read.GetProperty("tencentEnvelope").ValueKind);
    }

    [Fact]
    public async Task The_device_page_shows_the_code_state_shares_and_pending_pushes_but_never_the_code()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1, methods: ["SN", "WIFI"]);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var owner = await tenant.CreateUserAsync();
        var friend = await tenant.CreateUserAsync();
        var console = await ConsoleClient.SignedInAsync(app);
        var url = $"/console/devices/{product.Pk}/{device.Dk}";
        Assert.Equal("State none Wrong tries 0", ConsoleHtml.ById(await console.Http.GetStringAsync(url), "binding-code"));

        var side = new DeviceClient(app.CreateClient(), device);
        var code = await side.ReportNewCodeAsync();
        var active = await console.Http.GetStringAsync(url);
        Assert.StartsWith("State active", ConsoleHtml.ById(active, "binding-code"), StringComparison.Ordinal);
        Assert.DoesNotContain(code, active, StringComparison.Ordinal);

        // A Wi-Fi binding uses the code and queues a bind_device push for the (offline) device.
        var bound = await BindingApi.BindWifiAsync(owner.Client, BindingApi.WifiBody(device, code));
        Assert.True(bound.Code() == 200, bound.ToString());
        var handle = ShareApi.Ok(await BindingApi.ShareAsync(owner.Client, device.Pk, device.Dk, friend.Username));

        var page = await console.Http.GetStringAsync(url);
        Assert.DoesNotContain(code, page, StringComparison.Ordinal);
        Assert.DoesNotContain(handle, page, StringComparison.Ordinal);
        Assert.DoesNotContain(device.DeviceSecret, page, StringComparison.Ordinal);
        Assert.StartsWith("State used", ConsoleHtml.ById(page, "binding-code"), StringComparison.Ordinal);
        var shares = ConsoleHtml.ById(page, "shares");
        Assert.Contains("Shares (1)", shares, StringComparison.Ordinal);
        Assert.Contains($"{owner.Uid} {friend.Uid} pending", shares, StringComparison.Ordinal);
        Assert.Equal("Connection not connected", ConsoleHtml.ById(page, "mqtt"));
        var pushes = ConsoleHtml.ById(page, "pushes");
        Assert.Contains("Pending pushes (1)", pushes, StringComparison.Ordinal);
        Assert.Contains("bind_device", pushes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_audit_log_lists_a_devices_events_and_refuses_a_bad_filter_with_the_audit_code()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var user = await tenant.CreateUserAsync();
        await BindingApi.BindSnOkAsync(user, device);
        Assert.Equal(200, (await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code());
        var console = await ConsoleClient.SignedInAsync(app);

        var all = ConsoleHtml.ById(await console.Http.GetStringAsync($"/console/audit?pk={product.Pk}&dk={device.Dk}"), "events");
        Assert.Contains("(2 on this page)", all, StringComparison.Ordinal);
        Assert.Contains(user.Uid, all, StringComparison.Ordinal);
        var unbound = ConsoleHtml.ById(await console.Http.GetStringAsync($"/console/audit?pk={product.Pk}&kind=unbound&from=2000-01-01T00:00"), "events");
        Assert.Contains("(1 on this page)", unbound, StringComparison.Ordinal);

        // One per page: the second page, through the "Older" link, holds the older event.
        var first = await console.Http.GetStringAsync($"/console/audit?pk={product.Pk}&limit=1");
        var older = System.Text.RegularExpressions.Regex.Match(first, "<a href=\"([^\"]+)\" rel=\"next\">", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(older.Success);
        var second = ConsoleHtml.ById(await console.Http.GetStringAsync(WebUtility.HtmlDecode(older.Groups[1].Value)), "events");
        Assert.Contains(" bound ", second, StringComparison.Ordinal);
        Assert.DoesNotContain("unbound", second, StringComparison.Ordinal);

        var bad = await console.Http.GetAsync($"/console/audit?dk={device.Dk}");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.StartsWith($"{Code(Errors.AuditFilterInvalid)}: ", ConsoleHtml.Role(await bad.Content.ReadAsStringAsync(), "alert"), StringComparison.Ordinal);
        var refusals = await console.Http.GetAsync($"/console/audit?view=refusals&pk={product.Pk}&reason=locked_out");
        Assert.Equal(HttpStatusCode.OK, refusals.StatusCode);
        Assert.Contains("(0 on this page)", ConsoleHtml.ById(await refusals.Content.ReadAsStringAsync(), "refusals"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_counts_a_bind_and_a_refusal_by_method_and_code()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 2);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var console = await ConsoleClient.SignedInAsync(app);
        var before = await console.Http.GetStringAsync("/console");
        Assert.Contains("<svg class=\"chart\" role=\"img\"", before, StringComparison.Ordinal);
        Assert.Contains("<title id=\"chart-title\">", before, StringComparison.Ordinal);

        await BindingApi.BindSnOkAsync(await tenant.CreateUserAsync(), device);
        var refused = await BindingApi.BindSnAsync((await tenant.CreateUserAsync()).Client, device.Pk, device.Sn);
        Assert.NotEqual(200, refused.Code());

        var after = await console.Http.GetStringAsync("/console");
        Assert.Equal(Total(before, "total-bound") + 1, Total(after, "total-bound"));
        Assert.Equal(Total(before, "total-refused") + 1, Total(after, "total-refused"));
        Assert.Contains($"data-method=\"sn\" data-code=\"{refused.Code().ToString(CultureInfo.InvariantCulture)}\"", after, StringComparison.Ordinal);
        Assert.Contains("data-method=\"sn\" data-code=\"0\"", after, StringComparison.Ordinal);
    }

    private static long Total(string page, string id) => long.Parse(ConsoleHtml.ById(page, id), CultureInfo.InvariantCulture);
}
