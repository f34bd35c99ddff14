using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// POST /v2/binding/enduserapi/bindDeviceDk (PK/DK binding, bindingType 3; docs/binding.md, "Bind by DK"): a dk is
/// printed on the label like a serial number, so Bindery takes it only with the bindingCode the device reported,
/// checked exactly as for a Wi-Fi binding; the binding is then verified.
/// </summary>
public sealed class DkBindingTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private static readonly string[] DkOnly = ["DK"];

    private static async Task<JsonElement> BindDkAsync(HttpClient client, string? pk, string? dk, string? code, params (string Name, object? Value)[] extra) =>
        await (await client.PostAsync($"{BindingApi.Base}/bindDeviceDk?{BindingApi.Query([("pk", pk), ("dk", dk), ("bindingCode", code), .. extra])}", null))
            .ReadEnvelopeAsync();

    private async Task<(Tenant.Device Device, DeviceClient Side)> DeviceAsync(int mode = 2, string[]? methods = null, Tenant? tenant = null)
    {
        tenant ??= fx.Tenant;
        var product = await tenant.CreateProductAsync(mode, methods: methods ?? DkOnly);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        return (device, fx.DeviceClient(device));
    }

    [Fact]
    public async Task The_reported_code_binds_the_device_by_pk_and_dk_as_a_verified_PKDK_binding()
    {
        var (device, side) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        var code = await side.ReportNewCodeAsync();
        var envelope = await BindDkAsync(user.Client, device.Pk, device.Dk, code, ("name", "Hall light"));
        Assert.True(envelope.Code() == 200, envelope.ToString());
        var authKey = envelope.Data().GetProperty("authKey").GetString()!;
        Assert.True(await side.IsAuthKeyValidAsync(authKey));

        var item = (await BindingApi.ListAsync(user.Client)).Data().GetProperty("list")[0];
        Assert.Equal(3, item.GetProperty("bindingType").GetInt32());
        Assert.Equal(1, item.GetProperty("verified").GetInt32());
        Assert.Equal("Hall light", item.GetProperty("deviceName").GetString());
    }

    [Fact]
    public async Task A_dk_alone_never_binds()
    {
        var (device, side) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        Assert.Equal(Errors.BindingCodeMissing.Code, (await BindDkAsync(user.Client, device.Pk, device.Dk, null)).Code());
        Assert.Equal(Errors.BindingCodeFormat.Code, (await BindDkAsync(user.Client, device.Pk, device.Dk, "no!")).Code());
        // The device has reported no code: nothing to prove possession with.
        Assert.Equal(Errors.BindingCodeNotReported.Code, (await BindDkAsync(user.Client, device.Pk, device.Dk, "ABCDEF123456")).Code());
        var code = await side.ReportNewCodeAsync();
        Assert.Equal(Errors.BindingCodeVerificationFailed.Code, (await BindDkAsync(user.Client, device.Pk, device.Dk, "ABCDEF123456")).Code());
        Assert.Equal(200, (await BindDkAsync(user.Client, device.Pk, device.Dk, code)).Code());
    }

    [Fact]
    public async Task A_code_binds_once()
    {
        var (device, side) = await DeviceAsync(mode: 1);
        var first = await fx.Tenant.CreateUserAsync();
        var second = await fx.Tenant.CreateUserAsync();
        var code = await side.ReportNewCodeAsync();
        Assert.Equal(200, (await BindDkAsync(first.Client, device.Pk, device.Dk, code)).Code());
        Assert.Equal(Errors.BindingCodeVerificationFailed.Code, (await BindDkAsync(second.Client, device.Pk, device.Dk, code)).Code());
    }

    [Fact]
    public async Task Unknown_device_product_without_DK_binding_and_someone_elses_family()
    {
        var (device, side) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        var code = await side.ReportNewCodeAsync();
        var (stranger, _) = await DeviceAsync();
        Assert.Equal(Errors.ProductOrDeviceNotFound.Code, (await BindDkAsync(user.Client, device.Pk, stranger.Dk, code)).Code());
        var (wifiOnly, wifiSide) = await DeviceAsync(methods: ["WIFI"]);
        Assert.Equal(Errors.MethodNotAllowedForProduct.Code, (await BindDkAsync(user.Client, wifiOnly.Pk, wifiOnly.Dk, await wifiSide.ReportNewCodeAsync())).Code());

        // Home mode: a family that is not the caller's.
        var (homeDevice, homeSide) = await DeviceAsync(tenant: fx.HomeTenant);
        var owner = await fx.HomeTenant.CreateUserAsync();
        var strangersFamily = await Tenant.CreateFamilyAsync(await fx.HomeTenant.CreateUserAsync());
        var homeCode = await homeSide.ReportNewCodeAsync();
        Assert.Equal(Errors.NoPermission.Code, (await BindDkAsync(owner.Client, homeDevice.Pk, homeDevice.Dk, homeCode, ("fid", strangersFamily))).Code());
        var ownFamily = await Tenant.CreateFamilyAsync(owner);
        Assert.Equal(Errors.RoomNotExist.Code, (await BindDkAsync(owner.Client, homeDevice.Pk, homeDevice.Dk, homeCode, ("fid", ownFamily), ("frid", "nope"))).Code());
        Assert.Equal(200, (await BindDkAsync(owner.Client, homeDevice.Pk, homeDevice.Dk, homeCode, ("fid", ownFamily))).Code());
        // Nothing the refusals did bound the first device.
        Assert.Equal(200, (await BindDkAsync(user.Client, device.Pk, device.Dk, code)).Code());
    }

    [Fact]
    public async Task Fifty_users_with_the_code_exactly_one_binds()
    {
        var (device, side) = await DeviceAsync(mode: 1);
        var users = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fx.Tenant.CreateUserAsync()));
        var code = await side.ReportNewCodeAsync();
        var answers = await Task.WhenAll(users.Select(u => BindDkAsync(u.Client, device.Pk, device.Dk, code)));
        Assert.Single(answers, a => a.Code() == 200);
        Assert.All(answers.Where(a => a.Code() != 200), a => Assert.Equal(Errors.BindingCodeVerificationFailed.Code, a.Code()));
    }
}
