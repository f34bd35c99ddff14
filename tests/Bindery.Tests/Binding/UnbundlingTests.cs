using System.Security.Cryptography;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Tests.Support;
using static Bindery.Tests.Binding.QuectelWire;

namespace Bindery.Tests.Binding;

/// <summary>
/// <c>DELETE unbundlingDeviceDk?pk&amp;dk[&amp;isInit&amp;pureBtResetCredentials&amp;random]</c> as the SDK sends it:
/// <c>bindingSum</c> counts the bindings left (unverified ones included), <c>isInit</c> voids the device's reported
/// code and secret for a holder whose device it is to reset, and a pure-BT reset proof is single-use and checked
/// without telling which part failed (docs/binding.md, "Unbind").
/// </summary>
public sealed class UnbundlingTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private async Task<(Tenant.Product Product, Tenant.Device Device, DeviceClient Side)> DeviceAsync(int mode, string[] methods, string? keyFormat = null, string? dk = null)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, methods: methods, deviceKeyFormat: keyFormat);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk, dk: dk);
        return (product, device, fx.DeviceClient(device));
    }

    private static async Task BindWifiAsync(DeviceClient side, Tenant.User user)
    {
        var code = await side.ReportNewCodeAsync();
        var bound = await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(side.Device, code));
        Assert.True(bound.Code() == 200, bound.ToString());
    }

    private static string NewRandom() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 16);

    private static (string Name, object? Value)[] ResetProof(Tenant.Product product, Tenant.Device device, string secret, string? random = null, string? dk = null)
    {
        random ??= NewRandom();
        return [("isInit", true), ("pureBtResetCredentials", PureBtCrypto.Encrypt(product.Ps, random, $"{device.Pk},{dk ?? device.Dk},{secret}")), ("random", random)];
    }

    [Fact]
    public async Task BindingSum_counts_the_bindings_left_unverified_ones_included()
    {
        var (_, device, _) = await DeviceAsync(1, ["SN", "WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        var carol = await fx.Tenant.CreateUserAsync();
        foreach (var user in new[] { alice, bob, carol })
        {
            Assert.Equal(200, (await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn)).Code());
        }

        Assert.Equal(2, (await OkAsync<UnbindBean>(await Unbind(alice.Client, device.Pk, device.Dk))).BindingSum);
        Assert.Equal(1, (await OkAsync<UnbindBean>(await Unbind(bob.Client, device.Pk, device.Dk))).BindingSum);
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await Unbind(bob.Client, device.Pk, device.Dk)));
        Assert.Equal(0, (await OkAsync<UnbindBean>(await Unbind(carol.Client, device.Pk, device.Dk))).BindingSum);
    }

    [Fact]
    public async Task Without_isInit_a_code_the_device_reported_still_binds_with_isInit_it_is_void()
    {
        foreach (var isInit in new[] { false, true })
        {
            var (_, device, side) = await DeviceAsync(2, ["WIFI"]);
            var alice = await fx.Tenant.CreateUserAsync();
            var bob = await fx.Tenant.CreateUserAsync();
            await BindWifiAsync(side, alice);
            var nextCode = await side.ReportNewCodeAsync();

            var unbound = await OkAsync<UnbindBean>(await Unbind(alice.Client, device.Pk, device.Dk, ("isInit", isInit)));

            Assert.Equal(0, unbound.BindingSum);
            var rebind = await BindingApi.BindWifiAsync(bob.Client, BindingApi.WifiBody(device, nextCode));
            Assert.Equal(isInit ? Errors.BindingCodeNotReported.Code : 200, rebind.Code());
            Assert.Equal(isInit ? "none" : "used", (await side.StateAsync()).GetProperty("bindingCode").GetString());
        }
    }

    [Fact]
    public async Task IsInit_voids_the_binding_secret_so_the_old_secret_no_longer_proves_anything()
    {
        var (_, device, side) = await DeviceAsync(3, ["WIFI", "BT"]);
        var alice = await fx.Tenant.CreateUserAsync();
        await side.ReportBindingSecretAsync(DeviceClient.NewSecret());
        await BindWifiAsync(side, alice);
        Assert.True((await side.StateAsync()).GetProperty("hasBindingSecret").GetBoolean());

        Assert.Equal(0, (await OkAsync<UnbindBean>(await Unbind(alice.Client, device.Pk, device.Dk, ("isInit", "true")))).BindingSum);

        Assert.False((await side.StateAsync()).GetProperty("hasBindingSecret").GetBoolean());
        // A product that also binds over Bluetooth needs a freshly reported secret before the next Wi-Fi binding.
        var code = await side.ReportNewCodeAsync();
        Assert.Equal(Errors.BindingSecretNotReported.Code, (await BindingApi.BindWifiAsync(alice.Client, BindingApi.WifiBody(device, code))).Code());
    }

    [Fact]
    public async Task IsInit_is_only_for_a_verified_holder_whose_device_it_is_to_reset()
    {
        // An unverified (SN) holder proved nothing: it may leave, not reset the device.
        var (_, snDevice, snSide) = await DeviceAsync(2, ["SN", "WIFI"]);
        var squatter = await fx.Tenant.CreateUserAsync();
        Assert.Equal(200, (await BindingApi.BindSnAsync(squatter.Client, snDevice.Pk, snDevice.Sn)).Code());
        await snSide.ReportNewCodeAsync();
        Assert.Equal(Errors.NoPermission.Code, await CodeAsync(await Unbind(squatter.Client, snDevice.Pk, snDevice.Dk, ("isInit", true))));
        Assert.Equal("active", (await snSide.StateAsync()).GetProperty("bindingCode").GetString());
        Assert.Single(await DevicesAsync(squatter));
        Assert.Equal(0, (await OkAsync<UnbindBean>(await Unbind(squatter.Client, snDevice.Pk, snDevice.Dk))).BindingSum);
        Assert.Equal("active", (await snSide.StateAsync()).GetProperty("bindingCode").GetString());

        // Multi-user: one of several holders cannot reset what the others hold; the last one can.
        var (_, shared, sharedSide) = await DeviceAsync(1, ["WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(sharedSide, alice);
        await BindWifiAsync(sharedSide, bob);
        Assert.Equal(Errors.NoPermission.Code, await CodeAsync(await Unbind(alice.Client, shared.Pk, shared.Dk, ("isInit", true))));
        Assert.Single(await DevicesAsync(alice));
        Assert.Equal(1, (await OkAsync<UnbindBean>(await Unbind(alice.Client, shared.Pk, shared.Dk))).BindingSum);
        Assert.Equal(0, (await OkAsync<UnbindBean>(await Unbind(bob.Client, shared.Pk, shared.Dk, ("isInit", true)))).BindingSum);

        // A share's recipient leaves the share; it never resets the sharer's device.
        var (_, owned, ownedSide) = await DeviceAsync(2, ["WIFI"]);
        var owner = await fx.Tenant.CreateUserAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(ownedSide, owner);
        var shareCode = (await OkAsync<string>(await ShareByUid(owner.Client, owned.Pk, owned.Dk, ("shareUid", guest.Uid))));
        Assert.Equal(200, await CodeAsync(await AcceptShare(guest.Client, shareCode)));
        Assert.Equal(Errors.NoPermission.Code, await CodeAsync(await Unbind(guest.Client, owned.Pk, owned.Dk, ("isInit", true))));
        Assert.Equal(1, (await OkAsync<UnbindBean>(await Unbind(guest.Client, owned.Pk, owned.Dk))).BindingSum);

        // A stranger is told nothing more than without isInit.
        var stranger = await fx.Tenant.CreateUserAsync();
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await Unbind(stranger.Client, owned.Pk, owned.Dk, ("isInit", true))));
    }

    [Fact]
    public async Task A_pure_bt_reset_proof_lets_a_holder_reset_a_device_others_hold_too()
    {
        var (product, device, side) = await DeviceAsync(1, ["WIFI", "BT"]);
        var secret = DeviceClient.NewSecret();
        await side.ReportBindingSecretAsync(secret);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(side, alice);
        await BindWifiAsync(side, bob);

        var unbound = await OkAsync<UnbindBean>(await Unbind(alice.Client, device.Pk, device.Dk, ResetProof(product, device, secret)));

        Assert.Equal(1, unbound.BindingSum);
        Assert.False((await side.StateAsync()).GetProperty("hasBindingSecret").GetBoolean());
        Assert.Empty(await DevicesAsync(alice));
        Assert.Single(await DevicesAsync(bob));
    }

    [Fact]
    public async Task A_reset_proof_that_fails_in_any_way_is_one_5009_and_changes_nothing()
    {
        var (product, device, side) = await DeviceAsync(1, ["WIFI", "BT"]);
        var (_, other, _) = await DeviceAsync(1, ["WIFI", "BT"]);
        var secret = DeviceClient.NewSecret();
        await side.ReportBindingSecretAsync(secret);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(side, alice);
        await BindWifiAsync(side, bob);

        var spent = NewRandom();
        var accepted = ResetProof(product, device, secret, spent);
        (string Name, object? Value)[][] refused =
        [
            ResetProof(product, device, DeviceClient.NewSecret()),                 // wrong secret
            ResetProof(product, device, secret, dk: other.Dk),                     // names another device
            [("isInit", true), ("pureBtResetCredentials", PureBtCrypto.Encrypt(new string('k', 16), spent.ToUpperInvariant(), $"{device.Pk},{device.Dk},{secret}")), ("random", spent.ToUpperInvariant())], // wrong key
            [("isInit", true), ("pureBtResetCredentials", "bm90IGEgY2lwaGVydGV4dA=="), ("random", NewRandom())], // not a ciphertext
        ];
        foreach (var proof in refused)
        {
            var answer = await ReadAsync<System.Text.Json.JsonElement>(await Unbind(alice.Client, device.Pk, device.Dk, proof));
            Assert.Equal(Errors.DeviceVerificationFailed.Code, answer.Code);
            Assert.Equal("", answer.ExtMsg);
        }
        Assert.True((await side.StateAsync()).GetProperty("hasBindingSecret").GetBoolean());
        Assert.Single(await DevicesAsync(alice));

        // The good proof works once; the same random (even with a fresh ciphertext) or the same body never again.
        Assert.Equal(1, (await OkAsync<UnbindBean>(await Unbind(alice.Client, device.Pk, device.Dk, accepted))).BindingSum);
        await side.ReportBindingSecretAsync(secret);
        Assert.Equal(Errors.DeviceVerificationFailed.Code, await CodeAsync(await Unbind(bob.Client, device.Pk, device.Dk, accepted)));
        Assert.Equal(Errors.DeviceVerificationFailed.Code, await CodeAsync(await Unbind(bob.Client, device.Pk, device.Dk, ResetProof(product, device, secret, spent))));
        Assert.Single(await DevicesAsync(bob));
        Assert.Equal(0, (await OkAsync<UnbindBean>(await Unbind(bob.Client, device.Pk, device.Dk, ResetProof(product, device, secret)))).BindingSum);

        // The two fields go together.
        Assert.Equal(Errors.InvalidParameter.Code, await CodeAsync(await Unbind(bob.Client, device.Pk, device.Dk, ("isInit", true), ("random", NewRandom()))));
    }

    [Fact]
    public async Task The_ciphertext_a_pure_bt_bind_sent_cannot_be_replayed_as_a_reset_proof()
    {
        var (product, device, side) = await DeviceAsync(1, ["BT"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        // Bob binds over Bluetooth: his body carries Base64(AES(PK,DK,newSecret)) under his random — exactly a reset proof's shape.
        var code = await side.ReportNewCodeAsync();
        var random = NewRandom();
        var newSecret = DeviceClient.NewSecret();
        var newSecretCipher = PureBtCrypto.Encrypt(product.Ps, random, $"{device.Pk},{device.Dk},{newSecret}");
        var bound = await BindingApi.BindPureBtAsync(bob.Client, new
        {
            pk = device.Pk,
            dk = device.Dk,
            bindingCode = code,
            random,
            signature = PureBtCrypto.Signature(device.Pk, device.Dk, code, null, fx.Tenant.DomainSecret),
            encryptedNewBindingSecret = newSecretCipher,
        });
        Assert.True(bound.Code() == 200, bound.ToString());
        var code2 = await side.ReportNewCodeAsync();
        var random2 = NewRandom();
        Assert.Equal(200, (await BindingApi.BindPureBtAsync(alice.Client, new
        {
            pk = device.Pk,
            dk = device.Dk,
            bindingCode = code2,
            random = random2,
            signature = PureBtCrypto.Signature(device.Pk, device.Dk, code2, null, fx.Tenant.DomainSecret),
            encryptedNewBindingSecret = PureBtCrypto.Encrypt(product.Ps, random2, $"{device.Pk},{device.Dk},{newSecret}"),
        })).Code());

        Assert.Equal(Errors.DeviceVerificationFailed.Code,
            await CodeAsync(await Unbind(bob.Client, device.Pk, device.Dk, ("isInit", true), ("pureBtResetCredentials", newSecretCipher), ("random", random))));
        Assert.Single(await DevicesAsync(alice));
    }
}
