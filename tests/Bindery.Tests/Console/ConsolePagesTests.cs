using System.Net;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Registry;
using Bindery.Tests.Support;

namespace Bindery.Tests.Console;

/// <summary>
/// The console's pages go through the admin API's services: what they create is what the admin API reads, what
/// they refuse carries the catalogued code; the import takes a factory file and reports its rejected lines.
/// </summary>
public sealed class ConsolePagesTests(ConsoleApp app) : IClassFixture<ConsoleApp>
{
    private static readonly string InvalidParameterValue = Errors.InvalidParameterValue.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_product_created_in_the_console_is_the_admin_APIs_product()
    {
        var tenant = await Tenant.CreateAsync(app);
        var console = await ConsoleClient.SignedInAsync(app);
        var pk = "pcon" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var answer = await console.PostFormAsync("/console/products", new()
        {
            ["Name"] = "Console plug",
            ["Pk"] = pk,
            ["ModuleType"] = "EC200U",
            ["LogoUrl"] = "https://example.invalid/plug.png",
            ["BindingMode"] = "2",
            ["UserCap"] = "1",
            ["Methods"] = "WIFI",
            ["UserDomains"] = tenant.DomainId,
            ["DeviceKeyFormat"] = "custom",
        });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains($"Product <code>{pk}</code> created", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var read = await app.CreateAdminClient().GetAnswerAsync($"/admin/v1/products/{pk}");
        read.AssertOk();
        Assert.Equal(2, read.Data.GetProperty("bindingMode").GetInt32());
        Assert.Equal("custom", read.Data.GetProperty("deviceKeyFormat").GetString());
        Assert.Equal([tenant.DomainId], read.Data.GetProperty("userDomains").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task A_product_the_admin_API_would_refuse_is_refused_with_its_catalogued_error()
    {
        var console = await ConsoleClient.SignedInAsync(app);
        var answer = await console.PostFormAsync("/console/products", new()
        {
            ["Name"] = "No methods",
            ["ModuleType"] = "EC200U",
            ["LogoUrl"] = "https://example.invalid/plug.png",
            ["BindingMode"] = "1",
            ["UserCap"] = "5",
        });
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var alert = Paragraph(await answer.Content.ReadAsStringAsync(), "alert");
        Assert.StartsWith($"{InvalidParameterValue}: {Errors.InvalidParameterValue.English}", alert, StringComparison.Ordinal);
        Assert.Contains("methods", alert, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_imported_file_is_reported_line_by_line_and_the_rejected_lines_download_as_CSV()
    {
        var product = await (await Tenant.CreateAsync(app)).CreateProductAsync(bindingMode: 1);
        var (csv, devices) = ConsoleSamples.DevicesCsv(1000, "not-an-imei", "12345");
        var console = await ConsoleClient.SignedInAsync(app);
        var answer = await console.PostFileAsync("/console/devices", "/console/devices?handler=Import", new() { ["Pk"] = product.Pk }, "File", "factory.csv", csv);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var page = await answer.Content.ReadAsStringAsync();
        Assert.Equal("Imported 1000, rejected 2.", Paragraph(page, "status"));

        var report = System.Text.RegularExpressions.Regex.Match(page, "name=\"Report\" value=\"([^\"]*)\"", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(report.Success);
        var download = await console.PostFormAsync("/console/devices", new() { ["Report"] = WebUtility.HtmlDecode(report.Groups[1].Value) }, "/console/devices?handler=Report");
        Assert.Equal("text/csv", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("import-rejected-lines.csv", download.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var lines = (await download.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("line,code,message", lines[0]);
        // Line 1 is the header: the bad rows are lines 1002 and 1003 of the file.
        Assert.Equal(["1002", "1003"], lines.Skip(1).Select(l => l.Split(',')[0]));

        // Importing the same file again rejects what is already there (9008), reporting the first lines only.
        var again = await console.PostFileAsync("/console/devices", "/console/devices?handler=Import", new() { ["Pk"] = product.Pk }, "File", "factory.csv", csv);
        Assert.Equal("Imported 0, rejected 1002 (the first 100 are reported).", Paragraph(await again.Content.ReadAsStringAsync(), "status"));
        Assert.NotEmpty(devices);
    }

    [Fact]
    public async Task A_device_is_found_by_pk_dk_or_sn_and_its_page_shows_its_holder_and_the_binding_on_its_timeline()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var user = await tenant.CreateUserAsync();
        var console = await ConsoleClient.SignedInAsync(app);

        foreach (var query in new[] { product.Pk, device.Dk, device.Sn })
        {
            var hits = await console.Http.GetStringAsync($"/console/devices?q={Uri.EscapeDataString(query)}");
            Assert.Contains($"/console/devices/{product.Pk}/{device.Dk}", hits, StringComparison.Ordinal);
        }
        var before = await console.Http.GetStringAsync($"/console/devices/{product.Pk}/{device.Dk}");
        Assert.DoesNotContain(user.Uid, before, StringComparison.Ordinal);
        Assert.DoesNotContain(device.DeviceSecret, before, StringComparison.Ordinal);

        var bound = await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn);
        Assert.True(bound.Code() == 200, bound.ToString());

        var after = await console.Http.GetStringAsync($"/console/devices/{product.Pk}/{device.Dk}");
        Assert.Contains("Holders (1)", after, StringComparison.Ordinal);
        var timeline = after[after.IndexOf("id=\"timeline\"", StringComparison.Ordinal)..];
        Assert.Contains("bound", timeline, StringComparison.Ordinal);
        Assert.Contains(user.Uid, timeline, StringComparison.Ordinal);
        Assert.DoesNotContain(device.DeviceSecret, after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_device_page_says_not_found()
    {
        var console = await ConsoleClient.SignedInAsync(app);
        var answer = await console.Http.GetAsync("/console/devices/nope/860000000000000");
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }

    /// <summary>The text of the page's first paragraph with <paramref name="role"/> (alert: a refusal; status: an outcome), or the page when it has none.</summary>
    private static string Paragraph(string page, string role)
    {
        var match = System.Text.RegularExpressions.Regex.Match(page, $"<p [^>]*role=\"{role}\"[^>]*>(.*?)</p>", System.Text.RegularExpressions.RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        return match.Success ? WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(match.Groups[1].Value, "<[^>]+>", "", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1))).Trim() : page;
    }

    [Fact]
    public void The_product_form_offers_every_binding_method_the_admin_API_accepts()
    {
        var every = Enum.GetValues<Bindery.Registry.BindingMethods>().Aggregate((a, b) => a | b);
        Assert.Equal(Bindery.Registry.BindingMethodNames.ToNames(every).Order(StringComparer.Ordinal),
            Bindery.AdminConsole.Pages.ProductsModel.MethodChoices.Select(m => m.Name).Order(StringComparer.Ordinal));
    }
}
