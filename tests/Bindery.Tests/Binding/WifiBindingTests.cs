using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>POST /v2/binding/enduserapi/v2/deviceBindingByWifi, seed 001.</summary>
public sealed class WifiBindingTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private static readonly string[] WifiOnly = ["WIFI", "SN"];

    private async Task<(Tenant.Product Product, Tenant.Device Device, DeviceClient DeviceSide)> DeviceAsync(int mode = 1, string[]? methods = null)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, methods: methods ?? WifiOnly);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        return (product, device, fx.DeviceClient(device));
    }

    [Fact]
    public async Task Binding_with_the_reported_code_answers_the_seed_shape()
    {
        var (product, device, deviceSide) = await DeviceAsync(mode: 2);
        var user = await fx.Tenant.CreateUserAsync();
        var code = await deviceSide.ReportNewCodeAsync();
        var body = BindingApi.WifiBody(device, code);
        body["deviceName"] = "Desk lamp";
        body["capabilitiesBitmask"] = 3;
        var envelope = await BindingApi.BindWifiAsync(user.Client, body);
        Assert.Equal(200, envelope.Code());
        var data = envelope.Data();
        Assert.Equal(2, data.GetProperty("bindingMode").GetInt32());
        Assert.Equal(product.Name, data.GetProperty("productName").GetString());
        Assert.Equal(product.LogoUrl, data.GetProperty("productLogo").GetString());
        var authKey = data.GetProperty("authKey").GetString()!;
        Assert.True(authKey.Length >= 32);
        Assert.True(await deviceSide.IsAuthKeyValidAsync(authKey));
        Assert.False(await deviceSide.IsAuthKeyValidAsync(authKey + "x"));
    }

    [Fact]
    public async Task Code_is_single_use()
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var code = await deviceSide.ReportNewCodeAsync();
        Assert.Equal(200, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, BindingApi.WifiBody(device, code))).Code());
        Assert.Equal(5462, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, BindingApi.WifiBody(device, code))).Code());
    }

    [Fact]
    public async Task Code_never_reported_expired_wrong_and_cancelled()
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5460, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device, "Anything1"))).Code());

        var code = await deviceSide.ReportNewCodeAsync(lifetime: 60);
        fx.App.Clock.Advance(TimeSpan.FromSeconds(61));
        try
        {
            Assert.Equal(5461, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device, code))).Code());
        }
        finally
        {
            fx.App.Clock.Advance(TimeSpan.FromSeconds(-61));
        }

        code = await deviceSide.ReportNewCodeAsync();
        Assert.Equal(5462, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device, "Wrong0000"))).Code());

        await deviceSide.ReportBindingCodeAsync("", lifetime: 0);
        Assert.Equal(5460, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device, code))).Code());
    }

    [Fact]
    public async Task Five_wrong_codes_void_the_code_until_the_device_reports_a_new_one()
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var code = await deviceSide.ReportNewCodeAsync();
        for (var i = 0; i < 5; i++)
        {
            var attacker = await fx.Tenant.CreateUserAsync();
            Assert.Equal(5462, (await BindingApi.BindWifiAsync(attacker.Client, BindingApi.WifiBody(device, $"Guess{i:D4}"))).Code());
        }
        var owner = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5462, (await BindingApi.BindWifiAsync(owner.Client, BindingApi.WifiBody(device, code))).Code());
        Assert.Equal("used", (await deviceSide.StateAsync()).GetProperty("bindingCode").GetString());
        var fresh = await deviceSide.ReportNewCodeAsync();
        Assert.Equal(200, (await BindingApi.BindWifiAsync(owner.Client, BindingApi.WifiBody(device, fresh))).Code());
    }

    [Fact]
    public async Task A_user_who_keeps_guessing_is_refused_for_the_window()
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var mallory = await fx.Tenant.CreateUserAsync();
        for (var i = 0; i < 10; i++)
        {
            // A fresh code each time, so the per-device limit never triggers: this is the per-user one.
            await deviceSide.ReportNewCodeAsync();
            Assert.Equal(5462, (await BindingApi.BindWifiAsync(mallory.Client, BindingApi.WifiBody(device, $"Guess{i:D4}"))).Code());
        }
        var code = await deviceSide.ReportNewCodeAsync();
        Assert.Equal(9007, (await BindingApi.BindWifiAsync(mallory.Client, BindingApi.WifiBody(device, code))).Code());
    }

    [Theory]
    [InlineData("productKey", null, 5066)]
    [InlineData("deviceKey", null, 5067)]
    [InlineData("deviceKey", "not-a-device-key", 5361)]
    [InlineData("bindingCode", null, 5179)]
    [InlineData("bindingCode", "abc", 5213)]
    [InlineData("bindingCode", "has space in it", 5213)]
    public async Task Missing_and_malformed_fields(string field, string? value, int expected)
    {
        var (_, device, _) = await DeviceAsync();
        var body = BindingApi.WifiBody(device, "Code12345");
        body[field] = value;
        Assert.Equal(expected, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());
    }

    [Fact]
    public async Task Device_name_over_64_characters_is_5333()
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var body = BindingApi.WifiBody(device, await deviceSide.ReportNewCodeAsync());
        body["deviceName"] = new string('n', 65);
        Assert.Equal(5333, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());
    }

    [Fact]
    public async Task Capabilities_outside_1_to_15_are_refused()
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var body = BindingApi.WifiBody(device, await deviceSide.ReportNewCodeAsync());
        body["capabilitiesBitmask"] = 16;
        Assert.Equal(9001, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());
    }

    [Fact]
    public async Task Unknown_device_and_unknown_product_are_5553()
    {
        var (product, _, _) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        var unknownDevice = new Tenant.Device(product.Pk, global::Bindery.Registry.DeviceKeys.ImeiFromBody("35999999999999"), "x", "x");
        Assert.Equal(5553, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(unknownDevice, "Code12345"))).Code());
        var unknownProduct = unknownDevice with { Pk = "no-such-product" };
        Assert.Equal(5553, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(unknownProduct, "Code12345"))).Code());
    }

    [Fact]
    public async Task Product_of_another_user_domain_is_5229()
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var otherDomain = await Tenant.CreateAsync(fx.App);
        var stranger = await otherDomain.CreateUserAsync();
        Assert.Equal(5229, (await BindingApi.BindWifiAsync(stranger.Client, BindingApi.WifiBody(device, await deviceSide.ReportNewCodeAsync()))).Code());
    }

    [Fact]
    public async Task Wifi_method_not_enabled_is_9012()
    {
        var (_, device, deviceSide) = await DeviceAsync(methods: ["SN"]);
        Assert.Equal(9012, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, BindingApi.WifiBody(device, await deviceSide.ReportNewCodeAsync()))).Code());
    }

    [Fact]
    public async Task Device_of_another_data_center_is_6083()
    {
        var product = await fx.Tenant.CreateProductAsync(1, methods: WifiOnly);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk, dataCenter: "dc-elsewhere");
        var code = await fx.DeviceClient(device).ReportNewCodeAsync();
        Assert.Equal(6083, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, BindingApi.WifiBody(device, code))).Code());
    }

    [Fact]
    public async Task Product_that_also_binds_over_bluetooth_needs_the_binding_secret_first()
    {
        var (_, device, deviceSide) = await DeviceAsync(methods: ["WIFI", "BT"]);
        var user = await fx.Tenant.CreateUserAsync();
        var code = await deviceSide.ReportNewCodeAsync();
        Assert.Equal(5465, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device, code))).Code());
        await deviceSide.ReportBindingSecretAsync(DeviceClient.NewSecret());
        Assert.Equal(200, (await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(device, code))).Code());
    }

    [Fact]
    public async Task Owner_mode_second_user_is_5412_and_same_user_twice_is_5049()
    {
        var (_, device, deviceSide) = await DeviceAsync(mode: 2);
        var alice = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx, alice, device);
        Assert.Equal(5049, (await BindingApi.BindWifiAsync(alice.Client, BindingApi.WifiBody(device, await deviceSide.ReportNewCodeAsync()))).Code());
        var bob = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5412, (await BindingApi.BindWifiAsync(bob.Client, BindingApi.WifiBody(device, await deviceSide.ReportNewCodeAsync()))).Code());
    }

    [Fact]
    public async Task Missing_and_unknown_access_tokens()
    {
        var (_, device, _) = await DeviceAsync();
        Assert.Equal(5106, (await BindingApi.BindWifiAsync(fx.App.CreateClient(), BindingApi.WifiBody(device, "Code12345"))).Code());
        var forged = fx.App.CreateClient();
        forged.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "not-a-real-token");
        Assert.Equal(5032, (await BindingApi.BindWifiAsync(forged, BindingApi.WifiBody(device, "Code12345"))).Code());
    }

    [Fact]
    public async Task Malformed_json_is_an_envelope_not_a_500()
    {
        var user = await fx.Tenant.CreateUserAsync();
        var response = await user.Client.PostAsync($"{BindingApi.Base}/v2/deviceBindingByWifi",
            new StringContent("{\"productKey\": 5", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(9000, (await response.ReadEnvelopeAsync()).Code());
    }

    public static TheoryData<string, int> MatterFields => new()
    {
        { "discriminator", 5879 },
        { "matterProductId", 5880 },
        { "matterVersion", 5881 },
        { "matterVendorId", 5882 },
        { "fabricId", 5883 },
        { "nodeId", 5885 },
    };

    private static Dictionary<string, object?> MatterInfo() => new()
    {
        ["catList"] = new[] { new { cat = 1, privilege = "Operate" } },
        ["discriminator"] = 3840,
        ["extra"] = "",
        ["fabricId"] = 1234567890123UL,
        ["matterProductId"] = 32769,
        ["matterVendorId"] = 65521,
        ["matterVersion"] = "1.2",
        ["nodeId"] = 18446744073709551000UL,
    };

    [Theory]
    [MemberData(nameof(MatterFields))]
    public async Task Matter_device_without_a_required_field(string field, int expected)
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var info = MatterInfo();
        info.Remove(field);
        var body = BindingApi.WifiBody(device, await deviceSide.ReportNewCodeAsync());
        body["isMatter"] = true;
        body["matterInfo"] = info;
        Assert.Equal(expected, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());
    }

    [Fact]
    public async Task Matter_device_with_complete_info_binds_and_keeps_its_info()
    {
        var (_, device, deviceSide) = await DeviceAsync();
        var body = BindingApi.WifiBody(device, await deviceSide.ReportNewCodeAsync());
        body["isMatter"] = true;
        body["matterInfo"] = MatterInfo();
        Assert.Equal(200, (await BindingApi.BindWifiAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());
        var db = fx.App.Services.GetService(typeof(Bindery.Storage.IDatabase)) as Bindery.Storage.IDatabase;
        var stored = await db!.ReadAsync(c => Dapper.SqlMapper.QuerySingleAsync<string>(c,
            "SELECT matter_info FROM bindings WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk }));
        Assert.Contains("\"nodeId\":18446744073709551000", stored, StringComparison.Ordinal);
        Assert.Contains("\"discriminator\":3840", stored, StringComparison.Ordinal);
    }
}
