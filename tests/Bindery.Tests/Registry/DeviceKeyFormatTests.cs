using System.Net;
using System.Net.Http.Json;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.Registry;

/// <summary>
/// Products' device-key formats (docs/admin-api.md, "Device-key formats"): imei-or-mac (the default), custom (Quectel
/// custom DK) and tencent (Tencent device name), through the admin API, the binding APIs, the device API and the
/// Tencent-style API.
/// </summary>
public sealed class DeviceKeyFormatTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    private static long _serial = Random.Shared.NextInt64(100, 900) * 100_000_000;

    private HttpClient Admin { get; } = fx.App.CreateAdminClient();

    /// <summary>A unique suffix, so that every test's keys are new to the shared server.</summary>
    private static string Next() => Interlocked.Increment(ref _serial).ToString("D11");

    private Task<Tenant.Product> ProductAsync(string format, string[]? methods = null) =>
        fx.Tenant.CreateProductAsync(1, methods: methods, deviceKeyFormat: format);

    private Task<AdminAnswer> CreateAsync(string pk, string dk, string? secret = null) =>
        Admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{pk}/devices", new { dk, sn = "SN" + Next(), deviceSecret = secret });

    private static string Repeat(char c, int count) => new(c, count);

    public static TheoryData<string, string, bool> Keys => new()
    {
        // Tencent device names: 1-48 of [A-Za-z0-9:_-], exact.
        { "tencent", "light1", true },
        { "tencent", "df2eSJyY", true },
        { "tencent", "ESP32_D1", true },
        { "tencent", "llsync_wifi_001", true },
        { "tencent", "dev:01-a", true },
        { "tencent", "a", true },
        { "tencent", Repeat('n', 48), true },
        { "tencent", Repeat('n', 49), false },
        { "tencent", "light 1", false },
        { "tencent", "lümen1", false },
        { "tencent", "light.1", false },
        { "tencent", "light@1", false },
        // Quectel custom DKs: 1-16 of [A-Za-z0-9], exact.
        { "custom", "12345678", true },
        { "custom", "AbC123", true },
        { "custom", Repeat('7', 16), true },
        { "custom", Repeat('7', 17), false },
        { "custom", "dk_01", false },
        { "custom", "dk 01", false },
        { "custom", "dké1", false },
        // imei-or-mac keeps today's rule.
        { "imei-or-mac", "490154203237518", true },
        { "imei-or-mac", "aa:bb:cc:dd:ee:01", true },
        { "imei-or-mac", "490154203237519", false },
        { "imei-or-mac", "light1", false },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task Create_and_import_accept_the_products_format_and_refuse_others_with_5361(string format, string dk, bool valid)
    {
        var product = await ProductAsync(format);
        var created = await CreateAsync(product.Pk, dk);
        if (valid)
        {
            created.AssertOk();
            var stored = created.Data.GetProperty("dk").GetString()!;
            Assert.Equal(format == "imei-or-mac" ? DeviceKeys.Normalize(dk) : dk, stored);
            (await Admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{Uri.EscapeDataString(dk)}")).AssertOk();
        }
        else
        {
            created.AssertError(Errors.DkFormat, HttpStatusCode.BadRequest, "dk");
        }

        var other = await ProductAsync(format);
        var line = DeviceImportTests.JsonLine(dk, "S" + Next());
        var imported = await Admin.SendRawAsync(HttpMethod.Post, $"/admin/v1/products/{other.Pk}/devices/import", line, "application/x-ndjson");
        imported.AssertOk();
        Assert.Equal(valid ? 1 : 0, imported.Data.GetProperty("imported").GetInt32());
        if (!valid)
        {
            var error = Assert.Single(imported.Data.GetProperty("errors").EnumerateArray());
            Assert.Equal(Errors.DkFormat.Code, error.GetProperty("code").GetInt32());
        }

        var csv = $"dk,sn,deviceSecret\n{dk},S{Next()},secret-0123456789\n";
        var third = await ProductAsync(format);
        var fromCsv = await Admin.SendRawAsync(HttpMethod.Post, $"/admin/v1/products/{third.Pk}/devices/import", csv, "text/csv");
        fromCsv.AssertOk();
        Assert.Equal(valid ? 1 : 0, fromCsv.Data.GetProperty("imported").GetInt32());
    }

    [Fact]
    public async Task The_format_is_a_product_field_with_a_default_and_cannot_change_while_the_product_has_devices()
    {
        var plain = await fx.Tenant.CreateProductAsync(1);
        var view = await Admin.GetAnswerAsync($"/admin/v1/products/{plain.Pk}");
        Assert.Equal("imei-or-mac", view.Data.GetProperty("deviceKeyFormat").GetString());

        (await Admin.SendAsync(HttpMethod.Post, "/admin/v1/products", new
        {
            name = "x", logoUrl = "https://example.invalid/l.png", moduleType = "ESP32", bindingMode = 1, methods = new[] { "WIFI" },
            deviceKeyFormat = "Tencent",
        })).AssertError(Errors.InvalidParameterValue, HttpStatusCode.BadRequest, "deviceKeyFormat");

        var patched = await Admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{plain.Pk}", new { deviceKeyFormat = "tencent" });
        patched.AssertOk();
        Assert.Equal("tencent", patched.Data.GetProperty("deviceKeyFormat").GetString());
        (await CreateAsync(plain.Pk, "light" + Next())).AssertOk();
        (await Admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{plain.Pk}", new { deviceKeyFormat = "custom" }))
            .AssertError(Errors.UnsupportedOperation, HttpStatusCode.BadRequest, "deviceKeyFormat");
        // The same value is no change.
        (await Admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{plain.Pk}", new { deviceKeyFormat = "tencent" })).AssertOk();
    }

    [Fact]
    public async Task Tencent_names_are_case_sensitive_and_never_normalised()
    {
        var product = await ProductAsync("tencent");
        var name = "light" + Next();
        var upper = "L" + name[1..];
        (await CreateAsync(product.Pk, name)).AssertOk();
        (await CreateAsync(product.Pk, upper)).AssertOk();
        (await Admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{"LIGHT" + name[5..]}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);

        // A hex-looking name stays as written (a MAC would be upper-cased under imei-or-mac).
        var hexName = "aabbcc" + Next()[5..];
        var created = await CreateAsync(product.Pk, hexName);
        created.AssertOk();
        Assert.Equal(hexName, created.Data.GetProperty("dk").GetString());
        (await Admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{hexName.ToUpperInvariant()}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);

        var deleted = await Admin.SendAsync(HttpMethod.Delete, $"/admin/v1/products/{product.Pk}/devices/{upper}");
        deleted.AssertOk();
        Assert.Equal(upper, deleted.Data.GetProperty("dk").GetString());
        (await Admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{name}")).AssertOk();
    }

    [Fact]
    public async Task A_tencent_base64_psk_imports_as_it_is()
    {
        var product = await ProductAsync("tencent");
        const string psk = "dGhpc2lzYXRlc3Rwc2sxMg=="; // 24 characters, base64 of a 16-byte key
        var name = "ESP32_" + Next();
        var answer = await Admin.SendRawAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices/import",
            DeviceImportTests.JsonLine(name, "S" + Next(), psk), "application/x-ndjson");
        answer.AssertOk();
        Assert.Equal(1, answer.Data.GetProperty("imported").GetInt32());
        var stored = await Admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{name}");
        Assert.Equal(psk, stored.Data.GetProperty("deviceSecret").GetString());
        var csvName = "ESP32_" + Next();
        var csv = await Admin.SendRawAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices/import",
            $"dk,sn,deviceSecret\n{csvName},S{Next()},{psk}\n", "text/csv");
        Assert.Equal(1, csv.Data.GetProperty("imported").GetInt32());
        Assert.Equal(psk, (await Admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{csvName}")).Data.GetProperty("deviceSecret").GetString());
    }

    [Fact]
    public async Task A_tencent_named_device_binds_over_wifi_reports_through_the_device_api_and_unbinds()
    {
        var product = await ProductAsync("tencent", ["WIFI", "SN"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk, dk: "llsync_wifi_" + Next());
        var deviceSide = fx.DeviceClient(device);
        var (user, _, fid) = await fx.UserWithFamilyAsync();

        // The device API authenticates the device by its exact name (the client signs with it).
        var code = await deviceSide.ReportNewCodeAsync();
        var wrongCase = BindingApi.WifiBody(device, code);
        wrongCase["deviceKey"] = device.Dk.ToUpperInvariant();
        wrongCase["fid"] = fid;
        Assert.Equal(Errors.ProductOrDeviceNotFound.Code, (await BindingApi.BindWifiAsync(user.Client, wrongCase)).Code());
        var notAName = BindingApi.WifiBody(device, code);
        notAName["deviceKey"] = device.Dk + ".1";
        notAName["fid"] = fid;
        Assert.Equal(Errors.DkFormat.Code, (await BindingApi.BindWifiAsync(user.Client, notAName)).Code());

        var body = BindingApi.WifiBody(device, code);
        body["fid"] = fid;
        var bound = await BindingApi.BindWifiAsync(user.Client, body);
        Assert.True(bound.Code() == 200, bound.ToString());
        var authKey = bound.Data().GetProperty("authKey").GetString()!;
        Assert.True(await deviceSide.IsAuthKeyValidAsync(authKey));
        Assert.Equal(1, (await deviceSide.StateAsync()).GetProperty("boundUsers").GetInt64());

        var list = await BindingApi.ListAsync(user.Client);
        Assert.Contains(list.Data().GetProperty("list").EnumerateArray(), d => d.GetProperty("deviceKey").GetString() == device.Dk);

        // Family device operations and sharing take the name exactly too.
        const string Family = "/v2/family/enduserapi";
        var room = await Tenant.CreateRoomAsync(user, fid);
        Assert.Equal(200, (await (await user.Client.PostAsJsonAsync($"{Family}/addCommonUsedDevice",
            new { fid, deviceList = new[] { new { pk = device.Pk, dk = device.Dk } } })).ReadEnvelopeAsync()).Code());
        var wrongCaseMove = await (await user.Client.PostAsJsonAsync($"{Family}/addDeviceInFamilyRoom",
            new[] { new { pk = device.Pk, dk = device.Dk.ToUpperInvariant(), newFrid = room } })).ReadEnvelopeAsync();
        Assert.Equal(Errors.DeviceNotBound.Code, wrongCaseMove.Data().GetProperty("failureList")[0].GetProperty("code").GetInt32());
        Assert.Equal(Errors.DkFormat.Code, (await DeleteCommonAsync(user.Client, fid, device.Pk, "llsync.wifi")).Code());
        Assert.Equal(200, (await DeleteCommonAsync(user.Client, fid, device.Pk, device.Dk)).Code());
        var friend = await fx.Tenant.CreateUserAsync();
        Assert.Equal(Errors.DeviceNotBound.Code, (await BindingApi.ShareAsync(user.Client, device.Pk, device.Dk.ToUpperInvariant(), friend.Username)).Code());
        var shared = await BindingApi.ShareAsync(user.Client, device.Pk, device.Dk, friend.Username);
        Assert.True(shared.Code() == 200, shared.ToString());
        Assert.StartsWith("share_dv_", shared.Data().GetString());

        Assert.Equal(Errors.DkFormat.Code, (await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk + " x")).Code());
        Assert.Equal(Errors.DeviceNotBound.Code, (await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk.ToUpperInvariant())).Code());
        Assert.Equal(200, (await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code());
        Assert.False(await deviceSide.IsAuthKeyValidAsync(authKey));
    }

    [Fact]
    public async Task A_tencent_named_device_binds_by_token_through_the_tencent_api_and_is_deleted_from_the_family()
    {
        var product = await ProductAsync("tencent");
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk, dk: "llsync_wifi_001");
        var deviceSide = fx.DeviceClient(device);
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        await deviceSide.ReportTokenOkAsync(token);

        var bind = TencentApi.BindParameters(token, device, familyId);
        bind["DeviceName"] = "LLSYNC_WIFI_001";
        Assert.Equal("ResourceNotFound.DeviceNotExist", await api.ErrorAsync("AppTokenBindDeviceFamily", bind));
        bind["DeviceName"] = "llsync wifi 001";
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppTokenBindDeviceFamily", bind));

        await api.OkAsync("AppTokenBindDeviceFamily", TencentApi.BindParameters(token, device, familyId));
        var devices = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId });
        Assert.Contains(devices.GetProperty("DeviceList").EnumerateArray(), d => d.GetProperty("DeviceName").GetString() == "llsync_wifi_001");

        await api.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = "llsync_wifi_001" });
        devices = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId });
        Assert.DoesNotContain(devices.GetProperty("DeviceList").EnumerateArray(), d => d.GetProperty("DeviceName").GetString() == "llsync_wifi_001");
    }

    [Fact]
    public async Task A_custom_dk_is_exact_and_an_imei_or_mac_product_still_normalises()
    {
        var custom = await ProductAsync("custom", ["WIFI", "SN"]);
        var device = await fx.Tenant.CreateDeviceAsync(custom.Pk, dk: "Ab" + Next()[..8]);
        var deviceSide = fx.DeviceClient(device);
        await deviceSide.ReportNewCodeAsync();
        Assert.Equal("active", (await deviceSide.StateAsync()).GetProperty("bindingCode").GetString());
        // The same key in other case is another (unknown) device to the device API.
        var impostor = new DeviceClient(fx.App.CreateClient(), device with { Dk = device.Dk.ToUpperInvariant() });
        var refused = await impostor.SendAsync(HttpMethod.Get, "/device/v1/binding-state");
        Assert.Equal(Errors.DeviceAuthFailed.Code, (await refused.ReadEnvelopeAsync()).Code());

        var mac = await ProductAsync("imei-or-mac", ["WIFI", "SN"]);
        var macDevice = await fx.Tenant.CreateDeviceAsync(mac.Pk, mac: true);
        var lower = new DeviceClient(fx.App.CreateClient(), macDevice with { Dk = macDevice.Dk.ToLowerInvariant() });
        var code = await lower.ReportNewCodeAsync();
        var (user, _, fid) = await fx.UserWithFamilyAsync();
        var body = BindingApi.WifiBody(macDevice, code);
        body["deviceKey"] = string.Join(':', macDevice.Dk.ToLowerInvariant().Chunk(2).Select(c => new string(c)));
        body["fid"] = fid;
        Assert.Equal(200, (await BindingApi.BindWifiAsync(user.Client, body)).Code());
    }

    private static async Task<System.Text.Json.JsonElement> DeleteCommonAsync(HttpClient client, string fid, string pk, string dk)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/v2/family/enduserapi/deleteCommonUsedDevice")
        {
            Content = JsonContent.Create(new { fid, deviceList = new[] { new { pk, dk } } }),
        };
        return await (await client.SendAsync(request)).ReadEnvelopeAsync();
    }
}
