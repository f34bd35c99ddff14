using Bindery.Infrastructure;
using System.Net.Http.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>Around the bind: unbind per mode, the device list, the pre-check, sharing, rotation and reset.</summary>
public sealed class BindingLifecycleTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private async Task<(Tenant.Product Product, Tenant.Device Device, DeviceClient DeviceSide)> DeviceAsync(int mode, int userCap = 5)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, userCap, methods: ["SN", "WIFI"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        return (product, device, fx.DeviceClient(device));
    }

    [Fact]
    public async Task Owner_unbinding_frees_an_owner_mode_device()
    {
        var (_, device, deviceSide) = await DeviceAsync(2);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        var key = (await BindingApi.BindWifiOkAsync(fx, alice, device)).GetProperty("authKey").GetString()!;
        Assert.Equal(5412, (await BindingApi.BindSnAsync(bob.Client, device.Pk, device.Sn)).Code());

        var unbound = await BindingApi.UnbindAsync(alice.Client, device.Pk, device.Dk);
        Assert.Equal(200, unbound.Code());
        Assert.False(await deviceSide.IsAuthKeyValidAsync(key));
        Assert.Equal(200, (await BindingApi.BindSnAsync(bob.Client, device.Pk, device.Sn)).Code());
    }

    [Fact]
    public async Task Unbinding_a_device_you_do_not_hold_is_5052_whoever_holds_it()
    {
        var (_, device, _) = await DeviceAsync(1);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5052, (await BindingApi.UnbindAsync(bob.Client, device.Pk, device.Dk)).Code());
        await BindingApi.BindWifiOkAsync(fx, alice, device);
        Assert.Equal(5052, (await BindingApi.UnbindAsync(bob.Client, device.Pk, device.Dk)).Code());
        Assert.Equal(5052, (await BindingApi.UnbindAsync(bob.Client, device.Pk, global::Bindery.Registry.DeviceKeys.ImeiFromBody("35888888888888"))).Code());
        Assert.Equal(1, (await BindingApi.ListAsync(alice.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Multi_user_unbind_removes_only_the_callers_binding()
    {
        var (_, device, _) = await DeviceAsync(1);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindSnAsync(alice.Client, device.Pk, device.Sn);
        await BindingApi.BindSnAsync(bob.Client, device.Pk, device.Sn);
        Assert.Equal(200, (await BindingApi.UnbindAsync(alice.Client, device.Pk, device.Dk)).Code());
        Assert.Equal(0, (await BindingApi.ListAsync(alice.Client)).Data().GetProperty("total").GetInt64());
        Assert.Equal(1, (await BindingApi.ListAsync(bob.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Rotation_voids_the_previous_users_auth_key_at_once()
    {
        var (_, device, deviceSide) = await DeviceAsync(3);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        var aliceKey = (await BindingApi.BindWifiOkAsync(fx, alice, device)).GetProperty("authKey").GetString()!;
        Assert.True(await deviceSide.IsAuthKeyValidAsync(aliceKey));
        var bobKey = (await BindingApi.BindWifiOkAsync(fx, bob, device)).GetProperty("authKey").GetString()!;
        Assert.False(await deviceSide.IsAuthKeyValidAsync(aliceKey));
        Assert.True(await deviceSide.IsAuthKeyValidAsync(bobKey));
        Assert.Equal(0, (await BindingApi.ListAsync(alice.Client)).Data().GetProperty("total").GetInt64());
        Assert.Equal(5052, (await BindingApi.UnbindAsync(alice.Client, device.Pk, device.Dk)).Code());
    }

    [Fact]
    public async Task Device_list_is_paged_newest_first_with_binding_types()
    {
        var product = await fx.Tenant.CreateProductAsync(1, methods: ["SN", "WIFI"]);
        var user = await fx.Tenant.CreateUserAsync();
        var devices = new List<Tenant.Device>();
        for (var i = 0; i < 3; i++)
        {
            devices.Add(await fx.Tenant.CreateDeviceAsync(product.Pk));
        }
        await BindingApi.BindSnAsync(user.Client, devices[0].Pk, devices[0].Sn);
        await BindingApi.BindWifiOkAsync(fx, user, devices[1]);
        fx.App.Clock.Advance(TimeSpan.FromMilliseconds(5));
        await BindingApi.BindSnAsync(user.Client, devices[2].Pk, devices[2].Sn);

        var page1 = (await BindingApi.ListAsync(user.Client, page: 1, pageSize: 2)).Data();
        Assert.Equal(3, page1.GetProperty("total").GetInt64());
        Assert.Equal(2, page1.GetProperty("list").GetArrayLength());
        var first = page1.GetProperty("list")[0];
        Assert.Equal(devices[2].Dk, first.GetProperty("deviceKey").GetString());
        Assert.Equal(product.Name, first.GetProperty("productName").GetString());
        Assert.True(first.GetProperty("deviceBindTimeTs").GetInt64() > 0);
        var page2 = (await BindingApi.ListAsync(user.Client, page: 2, pageSize: 2)).Data().GetProperty("list");
        Assert.Equal(1, page2.GetArrayLength());
        var types = page1.GetProperty("list").EnumerateArray().Concat(page2.EnumerateArray()).Select(d => d.GetProperty("bindingType").GetInt32()).Order().ToArray();
        Assert.Equal(new[] { 1, 1, 2 }, types);
        Assert.Equal(9001, (await BindingApi.ListAsync(user.Client, page: -1)).Code());
    }

    [Fact]
    public async Task Another_users_list_never_shows_my_devices()
    {
        var (_, device, _) = await DeviceAsync(1);
        var alice = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindSnAsync(alice.Client, device.Pk, device.Sn);
        var bob = await fx.Tenant.CreateUserAsync();
        Assert.Equal(0, (await BindingApi.ListAsync(bob.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Accepted_share_shows_in_the_list_and_binding_on_top_of_it_is_6040()
    {
        var (_, device, _) = await DeviceAsync(2);
        var owner = await fx.Tenant.CreateUserAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx, owner, device);
        var share = await BindingApi.ShareAsync(owner.Client, device.Pk, device.Dk, guest.Username);
        Assert.Equal(200, share.Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await BindingApi.AcceptShareAsync(owner.Client, share.Data().GetString()!)).Code());
        Assert.Equal(200, (await BindingApi.AcceptShareAsync(guest.Client, share.Data().GetString()!)).Code());

        var item = (await BindingApi.ListAsync(guest.Client)).Data().GetProperty("list")[0];
        Assert.Equal(2, item.GetProperty("deviceType").GetInt32());
        Assert.Equal(device.Dk, item.GetProperty("deviceKey").GetString());

        Assert.Equal(6040, (await BindingApi.BindSnAsync(guest.Client, device.Pk, device.Sn)).Code());

        // The share lives as long as the owner's binding.
        await BindingApi.UnbindAsync(owner.Client, device.Pk, device.Dk);
        Assert.Equal(0, (await BindingApi.ListAsync(guest.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Only_a_holder_can_share_and_a_guest_can_leave()
    {
        var (_, device, _) = await DeviceAsync(1);
        var owner = await fx.Tenant.CreateUserAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5052, (await BindingApi.ShareAsync(guest.Client, device.Pk, device.Dk, owner.Username)).Code());
        await BindingApi.BindWifiOkAsync(fx, owner, device);
        Assert.Equal(9003, (await BindingApi.ShareAsync(owner.Client, device.Pk, device.Dk, "nobody-" + Guid.NewGuid().ToString("N"))).Code());
        var shareCode = (await BindingApi.ShareAsync(owner.Client, device.Pk, device.Dk, guest.Username)).Data().GetString()!;
        Assert.Equal(Bindery.Infrastructure.Errors.AlreadyExists.Code, (await BindingApi.ShareByAsync(owner.Client, device.Pk, device.Dk, ("username", guest.Username), ("coverMark", 2))).Code());
        await BindingApi.AcceptShareAsync(guest.Client, shareCode);
        var left = await BindingApi.UnbindAsync(guest.Client, device.Pk, device.Dk);
        Assert.Equal(1, left.Data().GetProperty("bindingSum").GetInt32());
        Assert.Equal(1, (await BindingApi.ListAsync(owner.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Factory_reset_frees_owner_and_multi_user_devices_but_rotation_keeps_the_holder()
    {
        var (_, owned, ownedSide) = await DeviceAsync(2);
        var (_, shared, sharedSide) = await DeviceAsync(1);
        var (_, rotating, rotatingSide) = await DeviceAsync(3);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx, alice, owned);
        await BindingApi.BindSnAsync(alice.Client, shared.Pk, shared.Sn);
        await BindingApi.BindSnAsync(bob.Client, shared.Pk, shared.Sn);
        var rotatingKey = (await BindingApi.BindWifiOkAsync(fx, alice, rotating)).GetProperty("authKey").GetString()!;

        Assert.Equal(1, (await ownedSide.ResetAsync()).GetProperty("bindingsRemoved").GetInt32());
        Assert.Equal(2, (await sharedSide.ResetAsync()).GetProperty("bindingsRemoved").GetInt32());
        Assert.Equal(0, (await rotatingSide.ResetAsync()).GetProperty("bindingsRemoved").GetInt32());

        Assert.True(await rotatingSide.IsAuthKeyValidAsync(rotatingKey));
        Assert.Equal(1, (await BindingApi.ListAsync(alice.Client)).Data().GetProperty("total").GetInt64());
        Assert.Equal(0, (await BindingApi.ListAsync(bob.Client)).Data().GetProperty("total").GetInt64());
        Assert.Equal(200, (await BindingApi.BindSnAsync(bob.Client, owned.Pk, owned.Sn)).Code());
        // After a reset the old code is gone too.
        Assert.Equal("none", (await rotatingSide.StateAsync()).GetProperty("bindingCode").GetString());
    }

    [Fact]
    public async Task Unknown_routes_and_methods_stay_envelopes()
    {
        var user = await fx.Tenant.CreateUserAsync();
        var response = await user.Client.PostAsJsonAsync($"{BindingApi.Base}/userDeviceList", new { });
        Assert.Equal(9003, (await response.ReadEnvelopeAsync()).Code());
    }
}
