using System.Net;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Tests.Support;

namespace Bindery.Tests.Registry;

public sealed class DeviceApiTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private readonly HttpClient _admin = app.CreateAdminClient();

    private static int _serial;

    private static (string Imei, string Sn) NewKeys()
    {
        var n = Interlocked.Increment(ref _serial) + (Random.Shared.Next(1_000, 9_000) * 100_000L);
        return (DeviceKeys.ImeiFromBody("35" + n.ToString("D12")), "SN-D" + n);
    }

    private async Task<Tenant.Product> NewProductAsync() => await (await Tenant.CreateAsync(app)).CreateProductAsync(bindingMode: 1);

    [Fact]
    public async Task A_device_gets_a_generated_secret_the_products_module_type_and_this_data_center()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        Assert.Equal(32, device.DeviceSecret.Length);

        var read = await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{device.Dk}");
        read.AssertOk();
        Assert.Equal(product.Pk, read.Data.GetProperty("pk").GetString());
        Assert.Equal(device.Sn, read.Data.GetProperty("sn").GetString());
        Assert.Equal(device.DeviceSecret, read.Data.GetProperty("deviceSecret").GetString());
        Assert.Equal(product.ModuleType, read.Data.GetProperty("moduleType").GetString());
        Assert.Equal("dc-test", read.Data.GetProperty("dataCenter").GetString());
    }

    [Fact]
    public async Task Chosen_secret_module_type_and_data_center_are_kept()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 2);
        var other = await tenant.CreateDeviceAsync(product.Pk, dataCenter: "dc-eu");
        Assert.Equal("dc-eu", (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{other.Dk}")).Data.GetProperty("dataCenter").GetString());

        var (dk, sn) = NewKeys();
        var created = await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices",
            new { dk, sn, deviceSecret = "flashed-at-the-factory-0001", moduleType = "BG95-M3", dataCenter = "dc-us" });
        created.AssertOk();
        Assert.Equal("flashed-at-the-factory-0001", created.Data.GetProperty("deviceSecret").GetString());
        Assert.Equal("BG95-M3", created.Data.GetProperty("moduleType").GetString());
        Assert.Equal("dc-us", created.Data.GetProperty("dataCenter").GetString());
    }

    [Fact]
    public async Task A_MAC_device_key_is_stored_normalised_and_found_in_any_of_its_forms()
    {
        var product = await NewProductAsync();
        var mac = "a4:cf:12:" + Random.Shared.Next(0x100000, 0xFFFFFF).ToString("x6").Insert(2, ":").Insert(5, ":");
        var created = await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices", new { dk = mac, sn = NewKeys().Sn });
        created.AssertOk();
        var normalised = mac.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
        Assert.Equal(normalised, created.Data.GetProperty("dk").GetString());
        foreach (var form in new[] { mac, normalised, mac.Replace(':', '-').ToUpperInvariant() })
        {
            (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{form}")).AssertOk();
        }
        var again = await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices", new { dk = normalised.ToLowerInvariant(), sn = NewKeys().Sn });
        again.AssertError(Errors.AlreadyExists, HttpStatusCode.Conflict, "dk");
    }

    [Theory]
    [InlineData("490154203237519")]
    [InlineData("12345")]
    [InlineData("a1:b2:c3:d4:e5")]
    [InlineData("zz:zz:zz:zz:zz:zz")]
    public async Task A_bad_device_key_is_5361(string dk)
    {
        var product = await NewProductAsync();
        var answer = await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices", new { dk, sn = NewKeys().Sn });
        answer.AssertError(Errors.DkFormat, HttpStatusCode.BadRequest, "dk");
        (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{dk}")).AssertError(Errors.DkFormat, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{\"sn\":\"S1\"}", 5067, "dk is required")]
    [InlineData("{\"dk\":\"\",\"sn\":\"S1\"}", 5067, "dk is required")]
    [InlineData("{\"dk\":\"490154203237518\"}", 5088, "sn is required")]
    [InlineData("{\"dk\":\"490154203237518\",\"sn\":\" \"}", 5088, "sn is required")]
    [InlineData("{\"dk\":\"490154203237518\",\"sn\":\"has space\"}", 5090, "sn must be")]
    [InlineData("{\"dk\":490154203237518,\"sn\":\"S1\"}", 9000, "$.dk")]
    [InlineData("{\"dk\":\"490154203237518\",\"sn\":[\"S1\"]}", 9000, "$.sn")]
    [InlineData("{\"dk\":\"490154203237518\",\"sn\":\"S1\",\"deviceSecret\":\"short\"}", 9001, "deviceSecret")]
    [InlineData("{\"dk\":\"490154203237518\",\"sn\":\"S1\",\"dataCenter\":\"dc 1\"}", 9001, "dataCenter")]
    public async Task Bad_device_input_is_refused_with_the_seed_code_where_there_is_one(string body, int code, string extMsg)
    {
        var product = await NewProductAsync();
        var answer = await _admin.SendRawAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices", body);
        Assert.True(answer.Status == HttpStatusCode.BadRequest && answer.Code == code, answer.ToString());
        Assert.Contains(extMsg, answer.ExtMsg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_sn_is_unique_within_a_product_but_may_repeat_across_products()
    {
        var product = await NewProductAsync();
        var (dk1, sn) = NewKeys();
        var (dk2, _) = NewKeys();
        (await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices", new { dk = dk1, sn })).AssertOk();
        var duplicate = await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices", new { dk = dk2, sn });
        duplicate.AssertError(Errors.AlreadyExists, HttpStatusCode.Conflict, "sn");
        (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{dk2}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);

        var otherProduct = await NewProductAsync();
        (await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{otherProduct.Pk}/devices", new { dk = dk1, sn })).AssertOk();
    }

    [Fact]
    public async Task Devices_of_an_unknown_product_are_404()
    {
        var (dk, sn) = NewKeys();
        (await _admin.SendAsync(HttpMethod.Post, "/admin/v1/products/p-nope/devices", new { dk, sn })).AssertError(Errors.NotFound, HttpStatusCode.NotFound, "p-nope");
        (await _admin.GetAnswerAsync("/admin/v1/products/p-nope/devices")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
        (await _admin.GetAnswerAsync($"/admin/v1/products/p-nope/devices/{dk}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
        (await _admin.SendAsync(HttpMethod.Delete, $"/admin/v1/products/p-nope/devices/{dk}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_list_pages_through_a_products_devices_in_dk_order()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var dks = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            dks.Add((await tenant.CreateDeviceAsync(product.Pk)).Dk);
        }
        dks.Sort(StringComparer.Ordinal);
        var seen = new List<string>();
        for (var offset = 0; offset < 6; offset += 2)
        {
            var page = await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices?offset={offset}&limit=2");
            page.AssertOk();
            Assert.Equal(5, page.Data.GetProperty("total").GetInt64());
            Assert.Equal(offset, page.Data.GetProperty("offset").GetInt32());
            seen.AddRange(page.Data.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("dk").GetString()!));
        }
        Assert.Equal(dks, seen);
        (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices?limit=1001")).AssertError(Errors.InvalidParameterValue, HttpStatusCode.BadRequest, "limit");
        var defaults = await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices");
        Assert.Equal(100, defaults.Data.GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task Delete_removes_the_device_with_its_bindings_and_the_dk_can_be_registered_afresh()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var keep = await tenant.CreateDeviceAsync(product.Pk);
        for (var i = 0; i < 2; i++)
        {
            var user = await OtherFeaturesRows.InsertUserAsync(app, tenant.DomainId);
            await OtherFeaturesRows.InsertBindingAsync(app, product.Pk, device.Dk, user);
            await OtherFeaturesRows.InsertBindingAsync(app, product.Pk, keep.Dk, user);
        }

        var deleted = await _admin.SendAsync(HttpMethod.Delete, $"/admin/v1/products/{product.Pk}/devices/{device.Dk}");
        deleted.AssertOk();
        Assert.Equal(2, deleted.Data.GetProperty("removedBindings").GetInt32());
        (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{device.Dk}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
        Assert.Equal(0, await OtherFeaturesRows.CountAsync(app, "SELECT COUNT(*) FROM bindings WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk }));
        Assert.Equal(2, await OtherFeaturesRows.CountAsync(app, "SELECT COUNT(*) FROM bindings WHERE pk = @Pk AND dk = @Dk", new { keep.Pk, keep.Dk }));

        var again = await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices", new { dk = device.Dk, sn = device.Sn });
        again.AssertOk();
        Assert.NotEqual(device.DeviceSecret, again.Data.GetProperty("deviceSecret").GetString());
        (await _admin.SendAsync(HttpMethod.Delete, $"/admin/v1/products/{product.Pk}/devices/{DeviceKeys.ImeiFromBody("99000000000000")}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
    }
}
