using System.Net;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Registry;

public sealed class ProductApiTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private readonly HttpClient _admin = app.CreateAdminClient();

    private static object ValidProduct(string? domain = null, string? pk = null, string? ps = null) => new
    {
        pk,
        ps,
        name = "Smart plug",
        logoUrl = "https://example.invalid/plug.png",
        moduleType = "EC200U",
        bindingMode = 1,
        userCap = 3,
        methods = new[] { "SN", "BT" },
        userDomains = domain is null ? Array.Empty<string>() : [domain],
    };

    [Fact]
    public async Task Creating_returns_every_field_with_a_generated_pk_and_a_16_character_ps()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 2, userCap: 7, methods: ["WIFI", "TOKEN"]);
        Assert.False(string.IsNullOrEmpty(product.Pk));
        Assert.Equal(16, product.Ps.Length);
        Assert.All(product.Ps, c => Assert.InRange(c, '!', '~'));
        Assert.Equal((2, 7, "EC200U"), (product.BindingMode, product.UserCap, product.ModuleType));

        var read = await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}");
        read.AssertOk();
        Assert.Equal(product.Ps, read.Data.GetProperty("ps").GetString());
        Assert.Equal(["WIFI", "TOKEN"], read.Data.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal([tenant.DomainId], read.Data.GetProperty("userDomains").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("https://example.invalid/logo.png", read.Data.GetProperty("logoUrl").GetString());
    }

    [Fact]
    public async Task A_chosen_pk_and_ps_are_kept_and_the_user_cap_defaults_to_10()
    {
        var pk = "p" + Guid.NewGuid().ToString("N")[..10];
        var created = await _admin.SendAsync(HttpMethod.Post, "/admin/v1/products", new
        {
            pk, ps = "0123456789ABCDEF", name = "Lamp", logoUrl = "http://example.invalid/l.png", moduleType = "BG95",
            bindingMode = 3, methods = new[] { "bt" },
        });
        created.AssertOk();
        Assert.Equal(pk, created.Data.GetProperty("pk").GetString());
        Assert.Equal("0123456789ABCDEF", created.Data.GetProperty("ps").GetString());
        Assert.Equal(10, created.Data.GetProperty("userCap").GetInt32());
        Assert.Equal(["BT"], created.Data.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(0, created.Data.GetProperty("userDomains").GetArrayLength());

        var again = await _admin.SendAsync(HttpMethod.Post, "/admin/v1/products", ValidProduct(pk: pk));
        again.AssertError(Errors.AlreadyExists, HttpStatusCode.Conflict, pk);
    }

    public static TheoryData<string, int, string> BadProducts => new()
    {
        { """{"logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9000, "name is required" },
        { """{"name":"  ","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9000, "name is required" },
        { """{"name":"N","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9000, "logoUrl is required" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","bindingMode":1,"methods":["SN"]}""", 9000, "moduleType is required" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","methods":["SN"]}""", 9000, "bindingMode is required" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1}""", 9000, "methods is required" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":4,"methods":["SN"]}""", 9001, "bindingMode" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"userCap":0,"methods":["SN"]}""", 9001, "userCap" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"userCap":1001,"methods":["SN"]}""", 9001, "userCap" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":[]}""", 9001, "methods" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["NFC"]}""", 9001, "methods" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":"SN"}""", 9000, "$.methods" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":"one","methods":["SN"]}""", 9000, "$.bindingMode" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1.5,"methods":["SN"]}""", 9000, "$.bindingMode" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"],"userDomains":"C.DM.1"}""", 9000, "$.userDomains" },
        { """{"name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"],"userDomains":["C.DM.none"]}""", 9001, "C.DM.none" },
        { """{"name":"N","logoUrl":"ftp://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9001, "logoUrl" },
        { """{"name":"N","logoUrl":"not a url","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9001, "logoUrl" },
        { """{"ps":"short","name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9001, "ps must be exactly 16" },
        { """{"ps":"0123456789ABCDEFG","name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9001, "ps must be exactly 16" },
        { """{"ps":"0123456789ABCDE\u00e9","name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9001, "ps must be exactly 16" },
        { """{"pk":"p/1","name":"N","logoUrl":"https://x.invalid/a.png","moduleType":"M","bindingMode":1,"methods":["SN"]}""", 9001, "pk must be" },
    };

    [Theory]
    [MemberData(nameof(BadProducts))]
    public async Task Bad_input_is_refused_and_names_the_field(string body, int code, string extMsg)
    {
        var answer = await _admin.SendRawAsync(HttpMethod.Post, "/admin/v1/products", body);
        Assert.True(answer.Status == HttpStatusCode.BadRequest && answer.Code == code, answer.ToString());
        Assert.Contains(extMsg, answer.ExtMsg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strings_over_their_length_limit_are_refused()
    {
        var body = JsonSerializer.Serialize(new
        {
            name = new string('n', 129), logoUrl = "https://x.invalid/a.png", moduleType = "M", bindingMode = 1, methods = new[] { "SN" },
        });
        var answer = await _admin.SendRawAsync(HttpMethod.Post, "/admin/v1/products", body);
        answer.AssertError(Errors.InvalidParameterValue, HttpStatusCode.BadRequest, "name");
    }

    [Fact]
    public async Task An_unknown_product_is_404()
    {
        (await _admin.GetAnswerAsync("/admin/v1/products/p-nope")).AssertError(Errors.NotFound, HttpStatusCode.NotFound, "p-nope");
        (await _admin.SendAsync(HttpMethod.Patch, "/admin/v1/products/p-nope", new { name = "x" })).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
        (await _admin.SendAsync(HttpMethod.Delete, "/admin/v1/products/p-nope")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Patch_changes_only_the_fields_sent_and_replaces_the_user_domain_list()
    {
        var tenant = await Tenant.CreateAsync(app);
        var other = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var patched = await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new
        {
            name = "Renamed", userCap = 20, methods = new[] { "TOKEN" }, userDomains = new[] { other.DomainId },
        });
        patched.AssertOk();
        var read = (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}")).Data;
        Assert.Equal("Renamed", read.GetProperty("name").GetString());
        Assert.Equal(20, read.GetProperty("userCap").GetInt32());
        Assert.Equal(["TOKEN"], read.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal([other.DomainId], read.GetProperty("userDomains").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(product.Ps, read.GetProperty("ps").GetString());
        Assert.Equal(product.ModuleType, read.GetProperty("moduleType").GetString());
        Assert.Equal(patched.Data.ToString(), read.ToString());
    }

    [Fact]
    public async Task A_failed_patch_changes_nothing()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var answer = await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new { name = "Renamed", userDomains = new[] { "C.DM.none" } });
        answer.AssertError(Errors.InvalidParameterValue, HttpStatusCode.BadRequest, "C.DM.none");
        var read = (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}")).Data;
        Assert.Equal(product.Name, read.GetProperty("name").GetString());
        Assert.Equal([tenant.DomainId], read.GetProperty("userDomains").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task The_binding_mode_cannot_change_while_devices_are_bound()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        (await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new { bindingMode = 3 })).AssertOk();
        var user = await OtherFeaturesRows.InsertUserAsync(app, tenant.DomainId);
        await OtherFeaturesRows.InsertBindingAsync(app, product.Pk, device.Dk, user);
        var refused = await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new { bindingMode = 2 });
        refused.AssertError(Errors.UnsupportedOperation, HttpStatusCode.BadRequest, "bindingMode");
        (await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new { bindingMode = 3, name = "same mode is fine" })).AssertOk();
    }

    [Fact]
    public async Task Patch_validates_like_create()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        (await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new { ps = "too-short" })).AssertError(Errors.InvalidParameterValue, HttpStatusCode.BadRequest, "ps");
        (await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new { name = "" })).AssertError(Errors.InvalidParameter, HttpStatusCode.BadRequest, "name");
        (await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new { methods = Array.Empty<string>() })).AssertError(Errors.InvalidParameterValue, HttpStatusCode.BadRequest, "methods");
        var rotated = await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/products/{product.Pk}", new { ps = "fedcba9876543210" });
        Assert.Equal("fedcba9876543210", rotated.Data.GetProperty("ps").GetString());
    }

    [Fact]
    public async Task Delete_is_refused_while_the_product_has_devices_and_works_once_it_has_none()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        (await _admin.SendAsync(HttpMethod.Delete, $"/admin/v1/products/{product.Pk}")).AssertError(Errors.UnsupportedOperation, HttpStatusCode.BadRequest, "devices");
        (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}")).AssertOk();

        (await _admin.SendAsync(HttpMethod.Delete, $"/admin/v1/products/{product.Pk}/devices/{device.Dk}")).AssertOk();
        (await _admin.SendAsync(HttpMethod.Delete, $"/admin/v1/products/{product.Pk}")).AssertOk();
        (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
        Assert.Equal(0, await OtherFeaturesRows.CountAsync(app, "SELECT COUNT(*) FROM product_user_domains WHERE pk = @Pk", new { product.Pk }));
    }

    [Fact]
    public async Task The_list_pages_with_each_products_user_domains()
    {
        var tenant = await Tenant.CreateAsync(app);
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            created.Add((await tenant.CreateProductAsync(bindingMode: 1 + i)).Pk);
        }
        var all = await _admin.GetAnswerAsync("/admin/v1/products?limit=1000");
        all.AssertOk();
        var items = all.Data.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(all.Data.GetProperty("total").GetInt64(), items.Count);
        foreach (var pk in created)
        {
            var item = items.Single(p => p.GetProperty("pk").GetString() == pk);
            Assert.Equal([tenant.DomainId], item.GetProperty("userDomains").EnumerateArray().Select(d => d.GetString()));
        }
        var page = await _admin.GetAnswerAsync("/admin/v1/products?offset=1&limit=1");
        Assert.Equal(items[1].GetProperty("pk").GetString(), page.Data.GetProperty("items")[0].GetProperty("pk").GetString());
    }
}
