using System.Text.Json;
using System.Text.RegularExpressions;
using Bindery.Infrastructure;
using Bindery.Tests.Support;
using static Bindery.Tests.Binding.QuectelWire;

namespace Bindery.Tests.Binding;

/// <summary>
/// The calls an app makes around the bind, replayed as the Quectel SDK sends them and parsed into its beans:
/// the pre-check (<c>getDeviceInfoByBinding</c>), the device list (<c>userDeviceList</c>, PageInfo), one device
/// (<c>deviceInfo</c>), renaming (<c>setDeviceInfo</c>), a shared device in them (sharing itself:
/// <c>Tests/Sharing</c>); a product with custom device keys through all of them; and what another user can never see
/// or do.
/// </summary>
public sealed partial class UserDeviceApiTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private async Task<(Tenant.Product Product, Tenant.Device Device, DeviceClient Side)> DeviceAsync(
        int mode, string[]? methods = null, int userCap = 5, string? keyFormat = null, string? dk = null)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, userCap, methods: methods ?? ["SN", "WIFI"], deviceKeyFormat: keyFormat);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk, dk: dk);
        return (product, device, fx.DeviceClient(device));
    }

    private static async Task<string> BindWifiAsync(DeviceClient side, Tenant.User user, int? capabilitiesBitmask = null)
    {
        var code = await side.ReportNewCodeAsync();
        var body = BindingApi.WifiBody(side.Device, code);
        body["capabilitiesBitmask"] = capabilitiesBitmask;
        var bound = await BindingApi.BindWifiAsync(user.Client, body);
        Assert.True(bound.Code() == 200, bound.ToString());
        return bound.Data().GetProperty("authKey").GetString()!;
    }

    private static async Task<string> ShareAsync(Tenant.User owner, Tenant.Device device, Tenant.User guest, string? deviceName = null)
    {
        var shareCode = await OkAsync<string>(await ShareByUid(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid)));
        Assert.Equal(200, await CodeAsync(await AcceptShare(guest.Client, shareCode, deviceName)));
        return shareCode;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")]
    private static partial Regex BindTime();

    [Fact]
    public void The_sample_apps_parser_throws_on_a_boolean_where_the_bean_has_an_int()
    {
        // The parse these tests rely on is as strict as Gson: Bindery's old boolean `verified` would fail here.
        const string Old = """{"deviceKey":"d","productKey":"p","deviceName":"n","deviceBindTime":"t","deviceBindTimeTs":1,"productName":"x","uid":"u","deviceType":1,"ownerUid":null,"shareCode":null,"authKey":null,"verified":true,"status":1,"capabilitiesBitmask":0,"bindingType":1,"fid":null,"frid":null,"logoImage":""}""";
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<DeviceBean>(Old, SdkBeans.Strict));
        Assert.NotNull(JsonSerializer.Deserialize<DeviceBean>(Old.Replace("\"verified\":true", "\"verified\":1", StringComparison.Ordinal), SdkBeans.Strict));
    }

    [Fact]
    public async Task Pre_check_answers_the_products_rules_and_what_a_bind_would_refuse()
    {
        var (product, device, side) = await DeviceAsync(2, ["WIFI", "BT"]);
        var (plainProduct, _, _) = await DeviceAsync(1, ["SN", "WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();

        var info = await OkAsync<PreCheckBean>(await PreCheck(alice.Client, product.Pk, ("dk", device.Dk)));
        Assert.Equal(new PreCheckBean(true, 2, product.LogoUrl, product.Name), info);
        Assert.False((await OkAsync<PreCheckBean>(await PreCheck(alice.Client, plainProduct.Pk))).ActiveBluetooth);

        Assert.Equal(Errors.ProductOrDeviceNotFound.Code, await CodeAsync(await PreCheck(alice.Client, "nope")));
        Assert.Equal(Errors.ProductKeyMissing.Code, await CodeAsync(await alice.Client.GetAsync($"{BindingApi.Base}/getDeviceInfoByBinding")));
        Assert.Equal(Errors.DkFormat.Code, await CodeAsync(await PreCheck(alice.Client, product.Pk, ("dk", "not a key"))));
        var unknownDk = Bindery.Registry.DeviceKeys.ImeiFromBody("35999999999999");
        Assert.Equal(Errors.ProductOrDeviceNotFound.Code, await CodeAsync(await PreCheck(alice.Client, product.Pk, ("dk", unknownDk))));
        Assert.Equal(200, await CodeAsync(await PreCheck(alice.Client, product.Pk, ("dk", unknownDk), ("checkExistInCloud", false))));
        var stranger = await (await Tenant.CreateAsync(fx.App)).CreateUserAsync();
        Assert.Equal(Errors.NoPermissionToBind.Code, await CodeAsync(await PreCheck(stranger.Client, product.Pk, ("dk", device.Dk))));

        // Owner mode: bound by alice, it is 5049 for her and for bob, and bob learns nothing about who holds it.
        await side.ReportBindingSecretAsync(DeviceClient.NewSecret());
        await BindWifiAsync(side, alice);
        Assert.Equal(Errors.DeviceAlreadyBound.Code, await CodeAsync(await PreCheck(alice.Client, product.Pk, ("dk", device.Dk))));
        using (var refused = await PreCheck(bob.Client, product.Pk, ("dk", device.Dk)))
        {
            var text = await refused.Content.ReadAsStringAsync();
            Assert.Contains($"\"code\":{Errors.DeviceAlreadyBound.Code}", text, StringComparison.Ordinal);
            Assert.DoesNotContain(alice.Uid, text, StringComparison.Ordinal);
            Assert.DoesNotContain(alice.Username, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pre_check_follows_the_binding_rules_for_sn_holders_shares_full_devices_and_families()
    {
        // An owner-mode device held only by an SN binding can still be bound with proof: the pre-check says yes.
        var (snProduct, snDevice, _) = await DeviceAsync(2);
        var squatter = await fx.Tenant.CreateUserAsync();
        var buyer = await fx.Tenant.CreateUserAsync();
        Assert.Equal(200, (await BindingApi.BindSnAsync(squatter.Client, snDevice.Pk, snDevice.Sn)).Code());
        Assert.Equal(200, await CodeAsync(await PreCheck(buyer.Client, snProduct.Pk, ("dk", snDevice.Dk))));

        // A full multi-user device is 9013, as the bind would be; an accepted share is 6040.
        var (fullProduct, full, fullSide) = await DeviceAsync(1, userCap: 1);
        var holder = await fx.Tenant.CreateUserAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(fullSide, holder);
        Assert.Equal(Errors.UserCapReached.Code, await CodeAsync(await PreCheck(buyer.Client, fullProduct.Pk, ("dk", full.Dk))));
        await ShareAsync(holder, full, guest);
        Assert.Equal(Errors.AlreadyAcceptedShare.Code, await CodeAsync(await PreCheck(guest.Client, fullProduct.Pk, ("dk", full.Dk))));

        // A family the caller cannot bind into (not theirs, or only a regular member of it) is 5913.
        var home = fx.HomeTenant;
        var homeProduct = await home.CreateProductAsync(1);
        var owner = await home.CreateUserAsync();
        var member = await home.CreateUserAsync();
        var outsider = await home.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(owner);
        await Tenant.AddMemberAsync(owner, fid, member, role: 3);
        Assert.Equal(200, await CodeAsync(await PreCheck(owner.Client, homeProduct.Pk, ("fid", fid))));
        Assert.Equal(Errors.NoPermissionToBind.Code, await CodeAsync(await PreCheck(member.Client, homeProduct.Pk, ("fid", fid))));
        Assert.Equal(Errors.NoPermissionToBind.Code, await CodeAsync(await PreCheck(outsider.Client, homeProduct.Pk, ("fid", fid))));
    }

    [Fact]
    public async Task The_device_list_is_a_page_info_of_the_sdks_beans()
    {
        var (product, _, _) = await DeviceAsync(1);
        var user = await fx.Tenant.CreateUserAsync();
        var devices = new List<Tenant.Device>();
        for (var i = 0; i < 5; i++)
        {
            devices.Add(await fx.Tenant.CreateDeviceAsync(product.Pk));
        }
        Assert.Equal(200, (await BindingApi.BindSnAsync(user.Client, devices[0].Pk, devices[0].Sn)).Code());
        for (var i = 1; i < 5; i++)
        {
            fx.App.Clock.Advance(TimeSpan.FromMilliseconds(5));
            await BindWifiAsync(fx.DeviceClient(devices[i]), user, capabilitiesBitmask: i == 4 ? 3 : null);
        }

        var first = await OkAsync<PageBean<DeviceBean>>(await List(user.Client, ("page", 1), ("pageSize", 2)));
        Assert.Equal((5, 3, 1, 2, 2, true, false), (first.Total, first.Pages, first.PageNum, first.PageSize, first.Size, first.IsFirstPage, first.IsLastPage));
        var newest = first.List[0];
        Assert.Equal(devices[4].Dk, newest.DeviceKey);
        Assert.Equal(product.Pk, newest.ProductKey);
        Assert.Equal((2, 1, 1, 3, 1), (newest.BindingType, newest.DeviceType, newest.Verified, newest.CapabilitiesBitmask, newest.Status));
        Assert.Equal(product.Name, newest.ProductName);
        Assert.Equal(product.LogoUrl, newest.LogoImage);
        Assert.Equal(user.Uid, newest.Uid);
        Assert.Null(newest.AuthKey);
        Assert.Null(newest.OwnerUid);
        Assert.Matches(BindTime(), newest.DeviceBindTime);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(newest.DeviceBindTimeTs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), newest.DeviceBindTime);
        Assert.Equal(0, first.List[1].CapabilitiesBitmask);

        var last = await OkAsync<PageBean<DeviceBean>>(await List(user.Client, ("page", 3), ("pageSize", 2)));
        var oldest = Assert.Single(last.List);
        Assert.True(last.IsLastPage);
        Assert.Equal(devices[0].Dk, oldest.DeviceKey);
        Assert.Equal((1, 0), (oldest.BindingType, oldest.Verified));

        // The documented filters: dk, deviceName (part of it, any case), pkList.
        var byDk = await OkAsync<PageBean<DeviceBean>>(await List(user.Client, ("dk", devices[2].Dk)));
        Assert.Equal(devices[2].Dk, Assert.Single(byDk.List).DeviceKey);
        Assert.Equal(200, await CodeAsync(await Rename(user.Client, devices[3].Pk, devices[3].Dk, "Kitchen 50% Lamp")));
        var byName = await OkAsync<PageBean<DeviceBean>>(await List(user.Client, ("deviceName", "hen 50%")));
        Assert.Equal(devices[3].Dk, Assert.Single(byName.List).DeviceKey);
        Assert.Empty((await OkAsync<PageBean<DeviceBean>>(await List(user.Client, ("deviceName", "hen 5_%")))).List);
        Assert.Equal(5, (await OkAsync<PageBean<DeviceBean>>(await List(user.Client, ("pkList", $"nope,{product.Pk}")))).Total);
        Assert.Equal(0, (await OkAsync<PageBean<DeviceBean>>(await List(user.Client, ("pkList", "nope")))).Total);
        Assert.Equal(Errors.DeviceNameTooLong.Code, await CodeAsync(await List(user.Client, ("deviceName", new string('x', 65)))));
    }

    [Fact]
    public async Task Rename_changes_the_holders_name_only()
    {
        var (_, device, side) = await DeviceAsync(2);
        var owner = await fx.Tenant.CreateUserAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var other = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(side, owner);
        await ShareAsync(owner, device, guest);

        Assert.Equal(200, await CodeAsync(await Rename(owner.Client, device.Pk, device.Dk, "  Front door  ")));
        Assert.Equal("Front door", Assert.Single(await DevicesAsync(owner)).DeviceName);
        Assert.Equal("Front door", Assert.Single(await DevicesAsync(guest)).DeviceName);
        Assert.Equal(Errors.DeviceNameMissing.Code, await CodeAsync(await Rename(owner.Client, device.Pk, device.Dk, " ")));
        Assert.Equal(Errors.DeviceNameTooLong.Code, await CodeAsync(await Rename(owner.Client, device.Pk, device.Dk, new string('n', 65))));
        Assert.Equal(Errors.NoPermission.Code, await CodeAsync(await Rename(guest.Client, device.Pk, device.Dk, "Mine now")));
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await Rename(other.Client, device.Pk, device.Dk, "Mine now")));
        Assert.Equal("Front door", Assert.Single(await DevicesAsync(owner)).DeviceName);
    }

    [Fact]
    public async Task Another_user_can_neither_see_nor_unbind_nor_rename_nor_share_your_device()
    {
        var (product, device, side) = await DeviceAsync(1);
        var owner = await fx.Tenant.CreateUserAsync();
        var other = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(side, owner);

        Assert.Empty(await DevicesAsync(other));
        Assert.Equal(0, (await OkAsync<PageBean<DeviceBean>>(await List(other.Client, ("dk", device.Dk)))).Total);
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await DeviceInfo(other.Client, ("pk", device.Pk), ("dk", device.Dk))));
        Assert.Equal(Errors.DeviceQueryKeysMissing.Code, await CodeAsync(await DeviceInfo(other.Client)));
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await Unbind(other.Client, device.Pk, device.Dk)));
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await Unbind(other.Client, device.Pk, device.Dk, ("isInit", true))));
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await Rename(other.Client, device.Pk, device.Dk, "Mine")));
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await ShareByUid(other.Client, device.Pk, device.Dk, ("shareUid", other.Uid))));
        // Multi-user: the pre-check tells the other user they can bind too, and nothing about the holder.
        using (var check = await PreCheck(other.Client, product.Pk, ("dk", device.Dk)))
        {
            var text = await check.Content.ReadAsStringAsync();
            Assert.Contains("\"code\":200", text, StringComparison.Ordinal);
            Assert.DoesNotContain(owner.Uid, text, StringComparison.Ordinal);
        }
        var mine = Assert.Single(await DevicesAsync(owner));
        Assert.Equal(product.Name, mine.DeviceName);
        Assert.Equal(device.Dk, (await OkAsync<DeviceBean>(await DeviceInfo(owner.Client, ("pk", device.Pk), ("dk", device.Dk)))).DeviceKey);
    }

    [Fact]
    public async Task A_product_with_custom_device_keys_goes_through_every_call()
    {
        const string Dk = "Dev01abcXYZ78901"; // 16 characters, case kept
        var (product, device, side) = await DeviceAsync(2, ["WIFI", "BT"], keyFormat: "custom", dk: Dk);
        Assert.Equal(Dk, device.Dk);
        var owner = await fx.Tenant.CreateUserAsync();
        var guest = await fx.Tenant.CreateUserAsync();

        Assert.Equal(200, await CodeAsync(await PreCheck(owner.Client, product.Pk, ("dk", Dk))));
        Assert.Equal(Errors.ProductOrDeviceNotFound.Code, await CodeAsync(await PreCheck(owner.Client, product.Pk, ("dk", Dk.ToUpperInvariant()))));
        var secret = DeviceClient.NewSecret();
        await side.ReportBindingSecretAsync(secret);
        await BindWifiAsync(side, owner);
        Assert.Equal(Errors.DeviceAlreadyBound.Code, await CodeAsync(await PreCheck(guest.Client, product.Pk, ("dk", Dk))));

        Assert.Equal(Dk, Assert.Single((await OkAsync<PageBean<DeviceBean>>(await List(owner.Client, ("dk", Dk)))).List).DeviceKey);
        Assert.Equal(Dk, (await OkAsync<DeviceBean>(await DeviceInfo(owner.Client, ("pk", product.Pk), ("dk", Dk)))).DeviceKey);
        Assert.Equal(200, await CodeAsync(await Rename(owner.Client, product.Pk, Dk, "Custom")));
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await Rename(owner.Client, product.Pk, Dk.ToLowerInvariant(), "Nope")));
        await ShareAsync(owner, device, guest);
        var shared = Assert.Single(await DevicesAsync(guest));
        Assert.Equal((Dk, "Custom", 2), (shared.DeviceKey, shared.DeviceName, shared.DeviceType));
        Assert.Equal(1, (await OkAsync<UnbindBean>(await Unbind(guest.Client, product.Pk, Dk))).BindingSum);

        var random = "R4nd0mR4nd0m1234";
        var proof = Bindery.Protocol.PureBtCrypto.Encrypt(product.Ps, random, $"{product.Pk},{Dk},{secret}");
        Assert.Equal(0, (await OkAsync<UnbindBean>(await Unbind(owner.Client, product.Pk, Dk,
            ("isInit", true), ("pureBtResetCredentials", proof), ("random", random)))).BindingSum);
        Assert.False((await side.StateAsync()).GetProperty("hasBindingSecret").GetBoolean());
        Assert.Empty(await DevicesAsync(owner));
    }
}
