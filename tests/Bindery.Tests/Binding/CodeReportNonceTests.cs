using System.Text;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// A device's bindingCode report spends its request's nonce in the same write that stores the code
/// (docs/performance.md, issue 15): a replay changes nothing, and a refused report spends its nonce all the same.
/// </summary>
public sealed class CodeReportNonceTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private const string CodePath = "/device/v1/binding-code";

    private async Task<(Tenant.Device Device, DeviceClient DeviceSide)> DeviceAsync()
    {
        var product = await fx.Tenant.CreateProductAsync(1, methods: ["WIFI", "SN"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        return (device, fx.DeviceClient(device));
    }

    private static async Task<int> CodeOf(HttpResponseMessage response) => (await response.ReadEnvelopeAsync()).Code();

    [Fact]
    public async Task A_replayed_report_is_refused_and_does_not_bring_back_the_code_it_carried()
    {
        var (device, deviceSide) = await DeviceAsync();
        var nonce = DeviceClient.NewNonce();
        Assert.Equal(200, await CodeOf(await deviceSide.SendAsync(HttpMethod.Post, CodePath, new { bindingCode = "First1234", lifetime = 600 }, nonce: nonce)));
        await deviceSide.ReportBindingCodeAsync("Second123");

        var replay = await deviceSide.SendAsync(HttpMethod.Post, CodePath, new { bindingCode = "First1234", lifetime = 600 }, nonce: nonce);

        Assert.Equal(9011, await CodeOf(replay));
        var user = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5462, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device, "First1234"))).Code());
        Assert.Equal(200, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device, "Second123"))).Code());
    }

    [Fact]
    public async Task A_refused_report_spends_its_nonce()
    {
        var (_, deviceSide) = await DeviceAsync();
        var badLifetime = DeviceClient.NewNonce();
        Assert.Equal(9001, await CodeOf(await deviceSide.SendAsync(HttpMethod.Post, CodePath, new { bindingCode = "Code12345", lifetime = 3601 }, nonce: badLifetime)));
        Assert.Equal(9011, await CodeOf(await deviceSide.SendAsync(HttpMethod.Post, CodePath, new { bindingCode = "Code12345", lifetime = 3601 }, nonce: badLifetime)));

        var malformed = DeviceClient.NewNonce();
        var notJson = Encoding.UTF8.GetBytes("{not json");
        Assert.Equal(9000, await CodeOf(await deviceSide.SendAsync(HttpMethod.Post, CodePath, rawBody: notJson, nonce: malformed)));
        Assert.Equal(9011, await CodeOf(await deviceSide.SendAsync(HttpMethod.Post, CodePath, rawBody: notJson, nonce: malformed)));
    }
}
