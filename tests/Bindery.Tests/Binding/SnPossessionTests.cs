using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// An SN alone never proves possession (docs/binding.md, "Bind by SN"): an SN binding is unverified, whoever proves
/// possession displaces it, it cannot join a device someone proved possession of, it cannot share, and the device
/// can tell it apart. The real buyer with the device in hand always wins over someone who only read the box.
/// </summary>
public sealed class SnPossessionTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private static int Code(ErrorDef error) => error.Code;

    private async Task<(Tenant.Device Device, DeviceClient DeviceSide)> DeviceAsync(int mode, bool snPairingRequired = false, string[]? methods = null)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, methods: methods ?? ["SN", "WIFI"], snPairingRequired: snPairingRequired);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        return (device, fx.DeviceClient(device));
    }

    private static async Task<string> BindSnOkAsync(Tenant.User user, Tenant.Device device)
    {
        var envelope = await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn);
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data().GetProperty("authKey").GetString()!;
    }

    private static async Task<bool?> ListedVerifiedAsync(Tenant.User user, Tenant.Device device)
    {
        var list = (await BindingApi.ListAsync(user.Client, pageSize: 100)).Data().GetProperty("list");
        foreach (var item in list.EnumerateArray())
        {
            if (item.GetProperty("deviceKey").GetString() == device.Dk)
            {
                return item.GetProperty("verified").GetInt32() == 1;
            }
        }
        return null;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_squatter_who_only_knows_the_sn_loses_the_device_to_the_buyer_who_holds_it(int mode)
    {
        var (device, deviceSide) = await DeviceAsync(mode);
        var squatter = await fx.Tenant.CreateUserAsync();
        var buyer = await fx.Tenant.CreateUserAsync();

        var squatterKey = await BindSnOkAsync(squatter, device);
        Assert.False(await ListedVerifiedAsync(squatter, device));

        var buyerKey = (await BindingApi.BindWifiOkAsync(fx, buyer, device)).GetProperty("authKey").GetString()!;

        Assert.True(await ListedVerifiedAsync(buyer, device));
        Assert.Null(await ListedVerifiedAsync(squatter, device));
        Assert.False(await deviceSide.IsAuthKeyValidAsync(squatterKey));
        Assert.True(await deviceSide.IsAuthKeyValidAsync(buyerKey));
        // And the squatter cannot come back by SN while the buyer holds it.
        Assert.Equal(Code(Errors.UniqueBindingMode), (await BindingApi.BindSnAsync(squatter.Client, device.Pk, device.Sn)).Code());
        Assert.True(await deviceSide.IsAuthKeyValidAsync(buyerKey));
    }

    [Fact]
    public async Task After_a_factory_reset_a_squatter_polling_the_sn_still_loses_to_the_buyer()
    {
        var (device, deviceSide) = await DeviceAsync(mode: 2);
        var squatter = await fx.Tenant.CreateUserAsync();
        var buyer = await fx.Tenant.CreateUserAsync();
        await BindSnOkAsync(squatter, device);
        await deviceSide.ResetAsync();
        await BindSnOkAsync(squatter, device);   // the squatter polled and was first again

        await BindingApi.BindWifiOkAsync(fx, buyer, device);

        Assert.True(await ListedVerifiedAsync(buyer, device));
        Assert.Null(await ListedVerifiedAsync(squatter, device));
    }

    [Fact]
    public async Task A_buyer_who_bound_by_sn_first_is_upgraded_by_proving_possession()
    {
        var (device, deviceSide) = await DeviceAsync(mode: 2);
        var buyer = await fx.Tenant.CreateUserAsync();
        var snKey = await BindSnOkAsync(buyer, device);
        var provenKey = (await BindingApi.BindWifiOkAsync(fx, buyer, device)).GetProperty("authKey").GetString()!;
        Assert.True(await ListedVerifiedAsync(buyer, device));
        Assert.False(await deviceSide.IsAuthKeyValidAsync(snKey));
        Assert.True(await deviceSide.IsAuthKeyValidAsync(provenKey));
        Assert.Equal(1, (await BindingApi.ListAsync(buyer.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_stranger_who_knows_the_sn_cannot_join_a_multi_user_device_someone_proved_possession_of()
    {
        var (device, deviceSide) = await DeviceAsync(mode: 1);
        var owner = await fx.Tenant.CreateUserAsync();
        var ownerKey = (await BindingApi.BindWifiOkAsync(fx, owner, device)).GetProperty("authKey").GetString()!;
        var stranger = await fx.Tenant.CreateUserAsync();

        var refused = await BindingApi.BindSnAsync(stranger.Client, device.Pk, device.Sn);

        Assert.Equal(Code(Errors.UniqueBindingMode), refused.Code());
        Assert.False(refused.TryGetProperty("data", out var data) && data.ValueKind == System.Text.Json.JsonValueKind.Object && data.TryGetProperty("authKey", out _));
        Assert.Null(await ListedVerifiedAsync(stranger, device));
        Assert.Equal(1, (await deviceSide.StateAsync()).GetProperty("boundUsers").GetInt64());
        Assert.True(await deviceSide.IsAuthKeyValidAsync(ownerKey));
    }

    [Fact]
    public async Task The_device_can_tell_an_unverified_sn_binding_from_a_proven_one()
    {
        var (device, deviceSide) = await DeviceAsync(mode: 1);
        var snUser = await fx.Tenant.CreateUserAsync();
        var snKey = await BindSnOkAsync(snUser, device);

        var check = await deviceSide.VerifyAuthKeyAsync(snKey);

        Assert.True(check.GetProperty("valid").GetBoolean());
        Assert.False(check.GetProperty("verified").GetBoolean());
        Assert.Equal("SN", check.GetProperty("bindingType").GetString());

        // The first proven binding of a multi-user device displaces the unverified ones, then stands verified.
        var holder = await fx.Tenant.CreateUserAsync();
        var holderKey = (await BindingApi.BindWifiOkAsync(fx, holder, device)).GetProperty("authKey").GetString()!;
        var proven = await deviceSide.VerifyAuthKeyAsync(holderKey);
        Assert.True(proven.GetProperty("verified").GetBoolean());
        Assert.False((await deviceSide.VerifyAuthKeyAsync(snKey)).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task An_unverified_binding_cannot_share_the_device()
    {
        var (device, _) = await DeviceAsync(mode: 1);
        var snUser = await fx.Tenant.CreateUserAsync();
        var friend = await fx.Tenant.CreateUserAsync();
        await BindSnOkAsync(snUser, device);

        Assert.Equal(Code(Errors.UnverifiedBindingCannotShare), (await BindingApi.ShareAsync(snUser.Client, device.Pk, device.Dk, friend.Username)).Code());
        Assert.Null(await ListedVerifiedAsync(friend, device));
    }

    [Fact]
    public async Task Refusals_of_sn_binds_to_someone_elses_device_are_counted_failures()
    {
        var (device, _) = await DeviceAsync(mode: 2);
        await BindingApi.BindWifiOkAsync(fx, await fx.Tenant.CreateUserAsync(), device);
        var prober = await fx.Tenant.CreateUserAsync();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(Code(Errors.UniqueBindingMode), (await BindingApi.BindSnAsync(prober.Client, device.Pk, device.Sn)).Code());
        }
        // The per-user failure window is full: even a device nobody holds is refused now.
        var (free, _) = await DeviceAsync(mode: 2);
        Assert.Equal(Code(Errors.TooManyAttempts), (await BindingApi.BindSnAsync(prober.Client, free.Pk, free.Sn)).Code());
    }

    [Fact]
    public async Task A_product_that_requires_a_pairing_window_binds_by_sn_only_while_the_device_has_one_open()
    {
        var (device, deviceSide) = await DeviceAsync(mode: 2, snPairingRequired: true);
        var user = await fx.Tenant.CreateUserAsync();
        var other = await fx.Tenant.CreateUserAsync();

        // Without a window the answer is exactly that of a serial number that does not exist.
        var closed = await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn);
        var unknown = await BindingApi.BindSnAsync(user.Client, device.Pk, "SN-THAT-DOES-NOT-EXIST");
        Assert.Equal(Code(Errors.SnInvalid), closed.Code());
        Assert.Equal(unknown.ToString(), closed.ToString());

        var window = await deviceSide.OpenPairingWindowAsync(60);
        Assert.True(window.GetProperty("open").GetBoolean());
        await BindSnOkAsync(user, device);
        Assert.False(await ListedVerifiedAsync(user, device));

        // The window admitted one binding; after an unbind the next SN binding needs a new press of the button.
        await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk);
        Assert.Equal(Code(Errors.SnInvalid), (await BindingApi.BindSnAsync(other.Client, device.Pk, device.Sn)).Code());

        await deviceSide.OpenPairingWindowAsync(60);
        fx.App.Clock.Advance(TimeSpan.FromSeconds(61));
        try
        {
            Assert.Equal(Code(Errors.SnInvalid), (await BindingApi.BindSnAsync(other.Client, device.Pk, device.Sn)).Code());
        }
        finally
        {
            // Device requests carry real timestamps; keep the server's clock near them for the other tests.
            fx.App.Clock.Advance(TimeSpan.FromSeconds(-61));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(601)]
    public async Task A_pairing_window_is_0_to_600_seconds(int seconds)
    {
        var (_, deviceSide) = await DeviceAsync(mode: 2, snPairingRequired: true);
        var response = await deviceSide.SendAsync(HttpMethod.Post, "/device/v1/pairing-window", new { seconds });
        var envelope = await response.ReadEnvelopeAsync();
        Assert.Equal(Code(Errors.InvalidParameterValue), envelope.Code());
    }
}
