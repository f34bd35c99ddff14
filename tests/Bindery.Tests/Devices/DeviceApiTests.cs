using System.Net;
using System.Text;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Devices;

/// <summary>The device API's authentication and reports (docs/device-api.md).</summary>
public sealed class DeviceApiTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private async Task<DeviceClient> DeviceAsync(int mode = 1)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, methods: ["SN", "WIFI"]);
        return fx.DeviceClient(await fx.Tenant.CreateDeviceAsync(product.Pk));
    }

    private static async Task<int> CodeOf(HttpResponseMessage response) => (await response.ReadEnvelopeAsync()).Code();

    [Fact]
    public async Task Signed_report_is_accepted_and_visible_in_the_state()
    {
        var device = await DeviceAsync();
        var report = await device.ReportBindingCodeAsync("Code12345", lifetime: 120);
        Assert.True(report.GetProperty("active").GetBoolean());
        var state = await device.StateAsync();
        Assert.Equal("active", state.GetProperty("bindingCode").GetString());
        Assert.Equal(0, state.GetProperty("boundUsers").GetInt64());
    }

    [Fact]
    public async Task Stale_or_future_timestamps_are_refused()
    {
        var device = await DeviceAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var stale = await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345", lifetime = 60 }, timestamp: now - 301);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(9011, await CodeOf(stale));
        Assert.Equal(9011, await CodeOf(await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345" }, timestamp: now + 301)));
    }

    [Fact]
    public async Task A_nonce_is_accepted_once()
    {
        var device = await DeviceAsync();
        var nonce = DeviceClient.NewNonce();
        Assert.Equal(200, await CodeOf(await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345" }, nonce: nonce)));
        var replay = await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345" }, nonce: nonce);
        Assert.Equal(9011, await CodeOf(replay));
    }

    [Fact]
    public async Task Wrong_secret_unknown_device_and_tampered_body_answer_alike()
    {
        var device = await DeviceAsync();
        var wrongSecret = await (await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345" }, secret: "guess")).ReadEnvelopeAsync();
        var tampered = await (await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345" },
            bodyOverride: Encoding.UTF8.GetBytes("""{"bindingCode":"Evil12345"}"""))).ReadEnvelopeAsync();
        var unknown = await (await fx.DeviceClient(device.Device with { Dk = global::Bindery.Registry.DeviceKeys.ImeiFromBody("35777777777777") })
            .SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345" })).ReadEnvelopeAsync();
        Assert.Equal(9011, wrongSecret.Code());
        Assert.Equal(wrongSecret.ToString(), tampered.ToString());
        Assert.Equal(wrongSecret.ToString(), unknown.ToString());
        Assert.Equal("none", (await device.StateAsync()).GetProperty("bindingCode").GetString());
    }

    [Fact]
    public async Task Missing_headers_are_refused()
    {
        var response = await fx.App.CreateClient().PostAsync("/device/v1/binding-code", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(9011, await CodeOf(response));
    }

    [Fact]
    public async Task Lifetime_must_be_0_to_3600_and_0_cancels()
    {
        var device = await DeviceAsync();
        Assert.Equal(9001, await CodeOf(await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345", lifetime = 3601 })));
        Assert.Equal(9001, await CodeOf(await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345", lifetime = -1 })));
        Assert.Equal(9001, await CodeOf(await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "no", lifetime = 60 })));
        await device.ReportBindingCodeAsync("Code12345", lifetime: 3600);
        var cancelled = await device.ReportBindingCodeAsync("", lifetime: 0);
        Assert.False(cancelled.GetProperty("active").GetBoolean());
        Assert.Equal("none", (await device.StateAsync()).GetProperty("bindingCode").GetString());
    }

    [Fact]
    public async Task A_new_code_replaces_the_previous_one()
    {
        var device = await DeviceAsync();
        var old = await device.ReportNewCodeAsync();
        var fresh = await device.ReportNewCodeAsync();
        var user = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5462, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device.Device, old))).Code());
        Assert.Equal(200, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device.Device, fresh))).Code());
    }

    [Fact]
    public async Task Binding_secret_format_is_checked()
    {
        var device = await DeviceAsync();
        Assert.Equal(9001, await CodeOf(await device.SendAsync(HttpMethod.Post, "/device/v1/binding-secret", new { bindingSecret = "a,b" })));
        await device.ReportBindingSecretAsync(DeviceClient.NewSecret());
        Assert.True((await device.StateAsync()).GetProperty("hasBindingSecret").GetBoolean());
    }

    [Fact]
    public async Task Malformed_json_body_is_an_envelope()
    {
        var device = await DeviceAsync();
        var response = await device.SendAsync(HttpMethod.Post, "/device/v1/binding-code", rawBody: Encoding.UTF8.GetBytes("{not json"));
        Assert.Equal(9000, await CodeOf(response));
    }
}
