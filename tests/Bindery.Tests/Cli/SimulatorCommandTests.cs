using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bindery.Cli;
using Bindery.Tests.Support;

namespace Bindery.Tests.Cli;

/// <summary>
/// bindery-sim against an in-memory server with the demo tenant: each command does what a device does, and what
/// it prints is enough for an app to bind. Each test uses devices of its own.
/// </summary>
public sealed partial class SimulatorCommandTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private const string WifiBind = "/v2/binding/enduserapi/v2/deviceBindingByWifi";
    private const string PureBtBind = "/v2/binding/enduserapi/deviceBindingByPureBt";

    [GeneratedRegex(@"-d '(\{.*\})'")]
    private static partial Regex CurlBody();

    private static async Task<JsonElement> PostJsonAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content);
        return await response.ReadEnvelopeAsync();
    }

    [Fact]
    public async Task Report_code_prints_pk_dk_code_and_a_curl_whose_body_binds_the_device_over_wifi()
    {
        var (product, device) = sim.Device(mode: 1, number: 1);
        var user = sim.Tenant.FindUser("demo")!;

        var output = await sim.SimOkAsync("report-code", "--pk", product.Pk, "--dk", device.Dk);

        Assert.Contains($"pk           {product.Pk}", output, StringComparison.Ordinal);
        Assert.Contains($"dk           {device.Dk}", output, StringComparison.Ordinal);
        Assert.Contains("curl -s 'http://localhost:5080" + WifiBind + "'", output, StringComparison.Ordinal);
        var body = JsonDocument.Parse(CurlBody().Match(output).Groups[1].Value).RootElement;
        Assert.Equal(user.Fid, body.GetProperty("fid").GetString());
        Assert.Equal(user.Frid, body.GetProperty("frid").GetString());
        Assert.Contains($"bindingCode  {body.GetProperty("bindingCode").GetString()}", output, StringComparison.Ordinal);

        var app = await sim.LoginAsync("demo");
        var bound = await PostJsonAsync(app, WifiBind, body.GetRawText());
        Assert.Equal(200, bound.Code());
        Assert.Equal(1, bound.Data().GetProperty("bindingMode").GetInt32());
        Assert.Equal(product.Name, bound.Data().GetProperty("productName").GetString());
    }

    [Fact]
    public async Task Report_code_with_a_given_code_and_ttl_0_cancels_it()
    {
        var (product, device) = sim.Device(mode: 1, number: 2);

        Assert.Equal("ABCDEF123456", (await sim.SimOkAsync("report-code", "--dk", device.Dk, "--code", "ABCDEF123456", "--print-code")).Trim());
        Assert.Contains("\"bindingCode\": \"active\"", await sim.SimOkAsync("state", "--pk", product.Pk, "--dk", device.Dk), StringComparison.Ordinal);

        Assert.Contains("Cancelled", await sim.SimOkAsync("report-code", "--dk", device.Dk, "--ttl", "0"), StringComparison.Ordinal);
        Assert.Contains("\"bindingCode\": \"none\"", await sim.SimOkAsync("state", "--dk", device.Dk), StringComparison.Ordinal);

        var app = await sim.LoginAsync("demo");
        var refused = await PostJsonAsync(app, WifiBind, JsonSerializer.Serialize(new
        {
            productKey = product.Pk,
            deviceKey = device.Dk,
            bindingCode = "ABCDEF123456",
            fid = sim.Tenant.FindUser("demo")!.Fid,
        }));
        Assert.Equal(5460, refused.Code());
    }

    [Fact]
    public async Task Bt_payload_binds_over_pure_bt_and_its_new_secret_later_proves_possession_for_a_rotation()
    {
        var (product, device) = sim.Device(mode: 3, number: 1);
        const string firstSecret = "FirstSecret12345";

        var body = (await sim.SimOkAsync("bt-payload", "--pk", product.Pk, "--dk", device.Dk, "--new-secret", firstSecret, "--print-body")).Trim();
        var demo = await sim.LoginAsync("demo");
        var bound = await PostJsonAsync(demo, PureBtBind, body);
        Assert.Equal(200, bound.Code());
        Assert.Equal("1", bound.Data().GetProperty("verified").GetString());

        // No code reported this time: the old bindingSecret alone proves possession, and in rotation mode the
        // proven binding of the second user replaces the first.
        var rebind = (await sim.SimOkAsync("bt-payload", "--dk", device.Dk, "--user", "demo2",
            "--code", "NotReported1", "--old-secret", firstSecret, "--print-body")).Trim();
        Assert.Equal(sim.Tenant.FindUser("demo2")!.Fid, JsonDocument.Parse(rebind).RootElement.GetProperty("fid").GetString());
        var demo2 = await sim.LoginAsync("demo2");
        Assert.Equal(200, (await PostJsonAsync(demo2, PureBtBind, rebind)).Code());

        var list = await (await demo.GetAsync("/v2/binding/enduserapi/userDeviceList")).ReadEnvelopeAsync();
        Assert.DoesNotContain(list.Data().GetProperty("list").EnumerateArray(), d => d.GetProperty("deviceKey").GetString() == device.Dk);
    }

    [Fact]
    public async Task Bt_payload_prints_the_body_and_a_curl_for_the_app()
    {
        var (product, device) = sim.Device(mode: 3, number: 2);

        var output = await sim.SimOkAsync("bt-payload", "--pk", product.Pk, "--dk", device.Dk, "--plain-code", "--pwd", "pw123");

        Assert.Contains("curl -s 'http://localhost:5080" + PureBtBind + "'", output, StringComparison.Ordinal);
        var body = JsonDocument.Parse(CurlBody().Match(output).Groups[1].Value).RootElement;
        Assert.False(body.TryGetProperty("encryptedBindingCode", out _));
        Assert.Equal("pw123", body.GetProperty("pwd").GetString());
        Assert.Equal(200, (await PostJsonAsync(await sim.LoginAsync("demo"), PureBtBind, body.GetRawText())).Code());
    }

    [Fact]
    public async Task Reset_frees_an_owner_mode_device_so_that_a_second_user_can_bind_it()
    {
        var (product, device) = sim.Device(mode: 2, number: 2);
        var demo = await sim.LoginAsync("demo");
        var demo2 = await sim.LoginAsync("demo2");
        var fid = sim.Tenant.FindUser("demo")!.Fid;
        var fid2 = sim.Tenant.FindUser("demo2")!.Fid;
        async Task<int> BindBySnAsync(HttpClient app, string family) =>
            (await (await app.PostAsync($"/v2/binding/enduserapi/bindDeviceSn?pk={product.Pk}&sn={device.Sn}&fid={family}", null)).ReadEnvelopeAsync()).Code();

        Assert.Equal(200, await BindBySnAsync(demo, fid));
        Assert.Equal(5412, await BindBySnAsync(demo2, fid2));

        var output = await sim.SimOkAsync("reset", "--dk", device.Sn);
        Assert.Contains("1 binding(s) removed", output, StringComparison.Ordinal);
        Assert.Equal(200, await BindBySnAsync(demo2, fid2));
    }

    [Fact]
    public async Task Pairing_window_lets_one_sn_binding_through_for_a_product_that_requires_it()
    {
        var (product, device) = sim.Device(mode: 2, number: 3);
        var admin = sim.App.CreateAdminClient();
        async Task SetPairingRequiredAsync(bool required) => Assert.Equal(200, (await (await admin.PatchAsync($"/admin/v1/products/{product.Pk}",
            System.Net.Http.Json.JsonContent.Create(new { snPairingRequired = required }))).ReadEnvelopeAsync()).Code());
        var demo = await sim.LoginAsync("demo");
        var fid = sim.Tenant.FindUser("demo")!.Fid;
        async Task<int> BindBySnAsync() =>
            (await (await demo.PostAsync($"/v2/binding/enduserapi/bindDeviceSn?pk={product.Pk}&sn={device.Sn}&fid={fid}", null)).ReadEnvelopeAsync()).Code();

        await SetPairingRequiredAsync(true);
        try
        {
            Assert.Equal(Bindery.Infrastructure.Errors.SnInvalid.Code, await BindBySnAsync());

            var output = await sim.SimOkAsync("pairing-window", "--dk", device.Dk, "--seconds", "60");

            Assert.Contains("one bind-by-SN is accepted", output, StringComparison.Ordinal);
            Assert.Equal(200, await BindBySnAsync());
            Assert.Equal(200, (await (await demo.DeleteAsync($"/v2/binding/enduserapi/unbundlingDeviceDk?pk={product.Pk}&dk={device.Dk}")).ReadEnvelopeAsync()).Code());
        }
        finally
        {
            await SetPairingRequiredAsync(false);
        }
    }

    [Fact]
    public async Task Report_secret_is_recorded_by_the_server()
    {
        var (_, device) = sim.Device(mode: 2, number: 3);

        var secret = (await sim.SimOkAsync("report-secret", "--dk", device.Dk, "--print-secret")).Trim();

        Assert.Matches("^[A-Za-z0-9]{24}$", secret);
        Assert.Contains("\"hasBindingSecret\": true", await sim.SimOkAsync("state", "--dk", device.Dk), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_prints_a_token_that_the_app_api_accepts_and_demo_prints_shell_variables()
    {
        var app = await sim.LoginAsync("demo2");
        var info = await (await app.GetAsync("/v2/enduser/enduserapi/userInfo")).ReadEnvelopeAsync();
        Assert.Equal("demo2", info.Data().GetProperty("username").GetString());

        var shell = await sim.SimOkAsync("demo", "--shell");
        var user = sim.Tenant.FindUser("demo")!;
        Assert.Contains($"DEMO_FID='{user.Fid}'\n", shell, StringComparison.Ordinal);
        Assert.Contains($"DEMO_FRID='{user.Frid}'\n", shell, StringComparison.Ordinal);
        Assert.Contains("LOCK_PK='demo-lock'\n", shell, StringComparison.Ordinal);
        Assert.Contains($"TRACKER_DK='{sim.Device(3, 1).Device.Dk}'\n", shell, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mistakes_end_with_one_line_on_stderr_and_exit_code_1()
    {
        var unknown = await sim.SimAsync("state", "--dk", "869900090000001");
        Assert.Equal(1, unknown.Exit);
        Assert.StartsWith("bindery-sim: no demo device", unknown.Error, StringComparison.Ordinal);

        var (product, device) = sim.Device(mode: 1, number: 3);
        var wrongSecret = await sim.SimAsync("state", "--pk", product.Pk, "--dk", device.Dk, "--device-secret", "not-the-device-secret");
        Assert.Equal(1, wrongSecret.Exit);
        Assert.Contains("code 9011", wrongSecret.Error, StringComparison.Ordinal);

        var badCode = await sim.SimAsync("report-code", "--dk", device.Dk, "--code", "bad!");
        Assert.Equal(1, badCode.Exit);
        Assert.Contains("refused: code 9001", badCode.Error, StringComparison.Ordinal);

        using var output = new StringWriter();
        using var error = new StringWriter();
        var missing = await SimulatorCli.RunAsync(["login", "--data-dir", Path.Combine(sim.App.DataDir, "nowhere")], output, error, _ => sim.App.CreateClient());
        Assert.Equal(1, missing);
        Assert.Contains("demo-tenant.json not found", error.ToString(), StringComparison.Ordinal);

        var noSecret = await SimulatorCli.RunAsync(["state", "--pk", product.Pk, "--dk", device.Dk], output, error, _ => sim.App.CreateClient());
        Assert.Equal(1, noSecret);

        foreach (var content in new[] { "{}", "{\"userDomain\":null,\"products\":[],\"users\":[]}", "[]", "not json" })
        {
            var dir = Path.Combine(sim.App.DataDir, "broken-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, "demo-tenant.json"), content);
            using var brokenOut = new StringWriter();
            using var brokenErr = new StringWriter();
            Assert.Equal(1, await SimulatorCli.RunAsync(["demo", "--data-dir", dir], brokenOut, brokenErr, _ => sim.App.CreateClient()));
            Assert.Contains("is not a demo tenant file", brokenErr.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", brokenErr.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Report_token_reports_a_bind_token_and_prints_the_AppTokenBindDeviceFamily_request_that_binds()
    {
        var (product, device) = sim.Device(mode: 2, number: 1);
        var demo = sim.Tenant.FindUser("demo")!;
        var accessToken = (await sim.SimOkAsync("login", "--user", "demo", "--print-token")).Trim();
        var tencent = sim.App.CreateClient();
        async Task<JsonElement> ActionAsync(string json)
        {
            using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            using var response = await tencent.PostAsync("/api/exploreropen/tokenapi", content);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("Response");
        }
        var created = await ActionAsync(JsonSerializer.Serialize(new { Action = "AppCreateDeviceBindToken", AccessToken = accessToken }));
        var bindToken = created.GetProperty("Data").GetProperty("Token").GetString()!;

        var output = await sim.SimOkAsync("report-token", "--dk", device.Dk, "--token", bindToken);

        Assert.Contains("reported the token", output, StringComparison.Ordinal);
        var state = await ActionAsync(JsonSerializer.Serialize(new { Action = "AppGetDeviceBindTokenState", AccessToken = accessToken, Token = bindToken }));
        Assert.Equal(2, state.GetProperty("Data").GetProperty("State").GetInt32());

        // The printed request, with the shell's $TOKEN expansion done by hand, binds the device into the demo family.
        var quoted = output[(output.IndexOf("-d '", StringComparison.Ordinal) + 3)..].Trim();
        var json = quoted.Replace("'\"$TOKEN\"'", accessToken, StringComparison.Ordinal).Trim('\'');
        var request = JsonDocument.Parse(json).RootElement;
        Assert.Equal(product.Pk, request.GetProperty("ProductId").GetString());
        Assert.Equal(demo.Fid, request.GetProperty("FamilyId").GetString());
        var bound = await ActionAsync(json);
        Assert.False(bound.TryGetProperty("Error", out var error), $"bind refused: {error}");

        // The same request again is a client retrying after a lost answer: success while that binding exists
        // (docs/tencent-api.md); the token still binds nothing else.
        var retried = await ActionAsync(json);
        Assert.False(retried.TryGetProperty("Error", out var retryError), $"retry refused: {retryError}");
        var elsewhere = JsonSerializer.Serialize(new
        {
            Action = "AppTokenBindDeviceFamily", AccessToken = accessToken, Token = bindToken, ProductId = product.Pk,
            DeviceName = sim.Device(mode: 2, number: 2).Device.Dk, FamilyId = demo.Fid, RoomId = "0",
        });
        Assert.Equal("InvalidParameterValue.TokenNotExist", (await ActionAsync(elsewhere)).GetProperty("Error").GetProperty("Code").GetString());
    }
}
