using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>POST /v2/binding/enduserapi/bindDeviceSn, seed 000 (query parameters), and the SN policy of docs/binding.md.</summary>
public sealed class SnBindingTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private async Task<(Tenant.Product Product, Tenant.Device Device)> DeviceAsync(int mode = 1, Tenant tenant = null!, string[]? methods = null)
    {
        tenant ??= fx.Tenant;
        var product = await tenant.CreateProductAsync(mode, methods: methods);
        return (product, await tenant.CreateDeviceAsync(product.Pk));
    }

    [Fact]
    public async Task Binding_by_sn_answers_the_seed_shape()
    {
        var (product, device) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        var envelope = await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn, ("deviceName", "Garage"), ("capabilitiesBitmask", 1));
        Assert.Equal(200, envelope.Code());
        var data = envelope.Data();
        Assert.Equal(device.Pk, data.GetProperty("pk").GetString());
        Assert.Equal(device.Dk, data.GetProperty("dk").GetString());
        Assert.Equal(product.ModuleType, data.GetProperty("moduleType").GetString());
        Assert.False(string.IsNullOrEmpty(data.GetProperty("authKey").GetString()));
        var list = (await BindingApi.ListAsync(user.Client)).Data().GetProperty("list");
        Assert.Equal("Garage", list[0].GetProperty("deviceName").GetString());
        Assert.Equal(1, list[0].GetProperty("bindingType").GetInt32());
    }

    [Theory]
    [InlineData(null, "SN1", 5066)]
    [InlineData("pk", null, 5088)]
    public async Task Missing_pk_or_sn(string? pk, string? sn, int expected)
    {
        var user = await fx.Tenant.CreateUserAsync();
        Assert.Equal(expected, (await BindingApi.BindSnAsync(user.Client, pk, sn)).Code());
    }

    [Fact]
    public async Task Unknown_sn_and_sn_of_another_product_answer_the_same()
    {
        var (product, _) = await DeviceAsync();
        var (_, otherDevice) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        var unknown = await BindingApi.BindSnAsync(user.Client, product.Pk, "SN-DOES-NOT-EXIST");
        var foreign = await BindingApi.BindSnAsync(user.Client, product.Pk, otherDevice.Sn);
        Assert.Equal(5090, unknown.Code());
        Assert.Equal(unknown.ToString(), foreign.ToString());
        Assert.Equal(5553, (await BindingApi.BindSnAsync(user.Client, "no-such-product", "SN1")).Code());
    }

    [Fact]
    public async Task Sn_never_takes_an_owner_mode_device_someone_holds()
    {
        var (_, device) = await DeviceAsync(mode: 2);
        var owner = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx, owner, device);
        var thief = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5412, (await BindingApi.BindSnAsync(thief.Client, device.Pk, device.Sn)).Code());
        Assert.Equal(1, (await BindingApi.ListAsync(owner.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Sn_never_rotates_a_rotation_mode_device()
    {
        var (_, device) = await DeviceAsync(mode: 3);
        var owner = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx, owner, device);
        Assert.Equal(5412, (await BindingApi.BindSnAsync((await fx.Tenant.CreateUserAsync()).Client, device.Pk, device.Sn)).Code());
    }

    [Fact]
    public async Task Sn_method_not_enabled_is_9012()
    {
        var (_, device) = await DeviceAsync(methods: ["WIFI"]);
        Assert.Equal(9012, (await BindingApi.BindSnAsync((await fx.Tenant.CreateUserAsync()).Client, device.Pk, device.Sn)).Code());
    }

    [Fact]
    public async Task Bad_query_values_are_envelopes()
    {
        var (_, device) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        Assert.Equal(9001, (await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn, ("capabilitiesBitmask", 99))).Code());
        Assert.Equal(9000, (await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn, ("capabilitiesBitmask", "abc"))).Code());
        Assert.Equal(5333, (await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn, ("deviceName", new string('x', 65)))).Code());
    }

    [Fact]
    public async Task Multi_user_device_is_shared_by_several_users_up_to_the_cap()
    {
        var product = await fx.Tenant.CreateProductAsync(1, userCap: 2);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        Assert.Equal(200, (await BindingApi.BindSnAsync((await fx.Tenant.CreateUserAsync()).Client, device.Pk, device.Sn)).Code());
        Assert.Equal(200, (await BindingApi.BindSnAsync((await fx.Tenant.CreateUserAsync()).Client, device.Pk, device.Sn)).Code());
        Assert.Equal(9013, (await BindingApi.BindSnAsync((await fx.Tenant.CreateUserAsync()).Client, device.Pk, device.Sn)).Code());
    }

    [Fact]
    public async Task Home_mode_family_rules()
    {
        var home = fx.HomeTenant;
        var (_, device) = await DeviceAsync(tenant: home);
        var owner = await home.CreateUserAsync();
        var admin = await home.CreateUserAsync();
        var member = await home.CreateUserAsync();
        var stranger = await home.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(owner);
        var frid = await Tenant.CreateRoomAsync(owner, fid);
        await Tenant.AddMemberAsync(owner, fid, admin, 2);
        await Tenant.AddMemberAsync(owner, fid, member, 3);
        var strangersFid = await Tenant.CreateFamilyAsync(stranger);
        var strangersRoom = await Tenant.CreateRoomAsync(stranger, strangersFid);

        Assert.Equal(5636, (await BindingApi.BindSnAsync(owner.Client, device.Pk, device.Sn)).Code());
        Assert.Equal(5669, (await BindingApi.BindSnAsync(member.Client, device.Pk, device.Sn, ("fid", fid))).Code());
        var notMine = await BindingApi.BindSnAsync(owner.Client, device.Pk, device.Sn, ("fid", strangersFid));
        var noSuch = await BindingApi.BindSnAsync(owner.Client, device.Pk, device.Sn, ("fid", "0123456789abcdef01234567"));
        Assert.Equal(5041, notMine.Code());
        Assert.Equal(notMine.ToString(), noSuch.ToString());
        Assert.Equal(9114, (await BindingApi.BindSnAsync(owner.Client, device.Pk, device.Sn, ("fid", fid), ("frid", strangersRoom))).Code());

        var bound = await BindingApi.BindSnAsync(admin.Client, device.Pk, device.Sn, ("fid", fid), ("frid", frid), ("isCommonDevice", false));
        Assert.Equal(200, bound.Code());
        var item = (await BindingApi.ListAsync(admin.Client)).Data().GetProperty("list")[0];
        Assert.Equal(fid, item.GetProperty("fid").GetString());
        Assert.Equal(frid, item.GetProperty("frid").GetString());
    }

    [Fact]
    public async Task Family_id_without_home_mode_is_5624()
    {
        var (_, device) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5624, (await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn, ("fid", "f1"))).Code());
    }

    [Fact]
    public async Task Unknown_sn_guesses_lock_the_user_out()
    {
        var (product, device) = await DeviceAsync();
        var mallory = await fx.Tenant.CreateUserAsync();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(5090, (await BindingApi.BindSnAsync(mallory.Client, product.Pk, $"SN-GUESS-{i}")).Code());
        }
        Assert.Equal(9007, (await BindingApi.BindSnAsync(mallory.Client, product.Pk, device.Sn)).Code());
    }
}
