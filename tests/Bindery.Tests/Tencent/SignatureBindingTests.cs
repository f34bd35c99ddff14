using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// AppSigBindDeviceInFamily (docs/binding.md, "Signature binding"): the app relays a signature the device computed
/// over <c>DeviceName=…&amp;DeviceTimestamp=…&amp;ProductId=…&amp;ConnId=…</c> with its base64-decoded secret.
/// The signatures here are computed from Tencent's documented rule, independently of the server's code.
/// </summary>
public sealed class SignatureBindingTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    private static readonly string[] SigOnly = ["SIG"];

    /// <summary>The device's signature as Tencent's docs define it: lowercase hex HMAC, key = base64-decode(PSK).</summary>
    public static string DeviceSignature(Tenant.Device device, long timestamp, string connId, string method = "hmacsha1", string? dk = null)
    {
        var key = Convert.FromBase64String(device.DeviceSecret);
        var text = Encoding.UTF8.GetBytes($"DeviceName={dk ?? device.Dk}&DeviceTimestamp={timestamp}&ProductId={device.Pk}&ConnId={connId}");
#pragma warning disable CA5350 // Tencent's default is HMAC-SHA1
        var mac = method == "hmacsha256" ? HMACSHA256.HashData(key, text) : HMACSHA1.HashData(key, text);
#pragma warning restore CA5350
        return Convert.ToHexStringLower(mac);
    }

    private long Now => fx.App.Clock.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>The action's parameters with a fresh, correct signature (the parts a test then spoils).</summary>
    private Dictionary<string, object?> Signed(Tenant.Device device, string familyId, string method = "hmacsha1", long? timestamp = null, string? connId = null)
    {
        var ts = timestamp ?? Now;
        connId ??= RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 5);
        return new()
        {
            ["FamilyId"] = familyId,
            ["RoomId"] = "0",
            ["ProductId"] = device.Pk,
            ["DeviceName"] = device.Dk,
            ["DeviceTimestamp"] = ts,
            ["ConnId"] = connId,
            ["Signature"] = DeviceSignature(device, ts, connId, method),
            ["SignMethod"] = method,
            ["BindType"] = "wifi_sign",
        };
    }

    private async Task<(Tenant.Device Device, TencentApi Api, string FamilyId, Tenant.User User)> SetupAsync(int mode = 2)
    {
        var (_, device, _) = await fx.DeviceAsync(mode, SigOnly);
        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        return (device, api, familyId, user);
    }

    /// <summary>A refusal as the Tencent dialect writes 5009: the same code and the same message, whatever failed.</summary>
    private static void AssertVerificationFailed(JsonElement response)
    {
        Assert.Equal(Errors.DeviceVerificationFailed.TencentCode, TencentApi.ErrorCode(response));
        Assert.Equal(Errors.DeviceVerificationFailed.English, response.GetProperty("Error").GetProperty("Message").GetString());
    }

    [Theory]
    [InlineData("hmacsha1")]
    [InlineData("hmacsha256")]
    public async Task The_devices_signature_binds_it_into_the_family_as_a_verified_binding(string method)
    {
        var (device, api, familyId, user) = await SetupAsync();
        var data = await api.OkAsync("AppSigBindDeviceInFamily", Signed(device, familyId, method));
        var info = data.GetProperty("AppDeviceInfo");
        Assert.Equal(device.Pk + "/" + device.Dk, info.GetProperty("DeviceId").GetString());
        Assert.Equal(familyId, info.GetProperty("FamilyId").GetString());
        Assert.Equal(user.Uid, info.GetProperty("UserID").GetString());

        var list = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId });
        Assert.Equal("SIG", Assert.Single(list.GetProperty("DeviceList").EnumerateArray()).GetProperty("BindType").GetString());
        // Possession proven: verified, listed under the real cloud's Wi-Fi binding type.
        var item = (await BindingApi.ListAsync(user.Client)).Data().GetProperty("list")[0];
        Assert.Equal(1, item.GetProperty("verified").GetInt32());
        Assert.Equal(2, item.GetProperty("bindingType").GetInt32());
    }

    [Fact]
    public async Task DeviceTimestamp_as_a_string_SignMethod_and_BindType_left_out_and_no_ConnId()
    {
        var (device, api, familyId, _) = await SetupAsync();
        var ts = Now;
        await api.OkAsync("AppSigBindDeviceInFamily", new()
        {
            ["FamilyId"] = familyId,
            ["ProductId"] = device.Pk,
            ["DeviceName"] = device.Dk,
            ["DeviceTimestamp"] = ts.ToString(CultureInfo.InvariantCulture),
            ["Signature"] = DeviceSignature(device, ts, ""),
        });
    }

    [Fact]
    public async Task Every_failed_proof_is_the_same_refusal_and_binds_nothing()
    {
        var (device, api, familyId, user) = await SetupAsync();
        var (_, other, _) = await fx.DeviceAsync(2, SigOnly);

        var bad = Signed(device, familyId);
        var signature = (string)bad["Signature"]!;
        bad["Signature"] = (signature[0] == 'a' ? "b" : "a") + signature[1..];
        AssertVerificationFailed(await api.CallAsync("AppSigBindDeviceInFamily", bad));

        // Another device's signature over this device's name (signed with the other device's secret).
        var foreign = Signed(device, familyId);
        foreign["Signature"] = DeviceSignature(other, (long)foreign["DeviceTimestamp"]!, (string)foreign["ConnId"]!, dk: device.Dk);
        AssertVerificationFailed(await api.CallAsync("AppSigBindDeviceInFamily", foreign));

        // Stale (older than 10 minutes) and too far ahead (more than 2 minutes), though correctly signed.
        AssertVerificationFailed(await api.CallAsync("AppSigBindDeviceInFamily", Signed(device, familyId, timestamp: Now - 11 * 60)));
        AssertVerificationFailed(await api.CallAsync("AppSigBindDeviceInFamily", Signed(device, familyId, timestamp: Now + 3 * 60)));

        // Signed with SHA-256 but sent as SHA-1.
        var mislabelled = Signed(device, familyId, "hmacsha256");
        mislabelled["SignMethod"] = "hmacsha1";
        AssertVerificationFailed(await api.CallAsync("AppSigBindDeviceInFamily", mislabelled));

        Assert.Equal(0, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("total").GetInt32());
        // Within the window a correctly signed, fresh signature still binds.
        await api.OkAsync("AppSigBindDeviceInFamily", Signed(device, familyId, timestamp: Now - 9 * 60));
    }

    [Fact]
    public async Task A_signature_binds_once_even_after_an_unbind()
    {
        var (device, api, familyId, _) = await SetupAsync();
        var signed = Signed(device, familyId);
        await api.OkAsync("AppSigBindDeviceInFamily", signed);
        await api.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });

        AssertVerificationFailed(await api.CallAsync("AppSigBindDeviceInFamily", signed));
        // Another user who captured it fares no better.
        var (_, thief, thiefFamily) = await fx.UserWithFamilyAsync();
        signed["FamilyId"] = thiefFamily;
        AssertVerificationFailed(await thief.CallAsync("AppSigBindDeviceInFamily", signed));
        // A new signature (new ConnId) binds again.
        await api.OkAsync("AppSigBindDeviceInFamily", Signed(device, familyId));
    }

    [Fact]
    public async Task A_signature_refused_by_the_binding_mode_is_spent_all_the_same()
    {
        var (device, owner, ownerFamily, _) = await SetupAsync(mode: 2);
        await owner.OkAsync("AppSigBindDeviceInFamily", Signed(device, ownerFamily));
        var (_, late, lateFamily) = await fx.UserWithFamilyAsync();
        var signed = Signed(device, lateFamily);
        Assert.Equal(Errors.UniqueBindingMode.TencentCode, TencentApi.ErrorCode(await late.CallAsync("AppSigBindDeviceInFamily", signed)));
        await owner.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = ownerFamily, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });
        AssertVerificationFailed(await late.CallAsync("AppSigBindDeviceInFamily", signed));
    }

    [Fact]
    public async Task Unknown_device_wrong_family_or_room_and_a_product_without_signature_binding()
    {
        var (device, api, familyId, _) = await SetupAsync();
        var unknown = Signed(device, familyId);
        unknown["DeviceName"] = (await fx.Tenant.CreateDeviceAsync((await fx.Tenant.CreateProductAsync(1)).Pk)).Dk;
        Assert.Equal(Errors.DeviceNotExist.TencentCode, TencentApi.ErrorCode(await api.CallAsync("AppSigBindDeviceInFamily", unknown)));

        var (_, _, strangersFamily) = await fx.UserWithFamilyAsync();
        Assert.Equal(Errors.FamilyNotExist.TencentCode, TencentApi.ErrorCode(await api.CallAsync("AppSigBindDeviceInFamily", Signed(device, strangersFamily))));
        var noRoom = Signed(device, familyId);
        noRoom["RoomId"] = "no-such-room";
        Assert.Equal(Errors.RoomNotExist.TencentCode, TencentApi.ErrorCode(await api.CallAsync("AppSigBindDeviceInFamily", noRoom)));

        var (_, tokenOnly, _) = await fx.DeviceAsync(2, ["TOKEN"]);
        Assert.Equal(Errors.AppNoPermissionToProduct.TencentCode,
            TencentApi.ErrorCode(await api.CallAsync("AppSigBindDeviceInFamily", Signed(tokenOnly, familyId))));

        var badMethod = Signed(device, familyId);
        badMethod["SignMethod"] = "md5";
        Assert.Equal("InvalidParameterValue", TencentApi.ErrorCode(await api.CallAsync("AppSigBindDeviceInFamily", badMethod)));
        var badType = Signed(device, familyId);
        badType["BindType"] = "nfc_sign";
        Assert.Equal("InvalidParameterValue", TencentApi.ErrorCode(await api.CallAsync("AppSigBindDeviceInFamily", badType)));
        var noSignature = Signed(device, familyId);
        noSignature.Remove("Signature");
        Assert.Equal("InvalidParameter", TencentApi.ErrorCode(await api.CallAsync("AppSigBindDeviceInFamily", noSignature)));
        // None of the above bound the device: the right signature still does.
        await api.OkAsync("AppSigBindDeviceInFamily", Signed(device, familyId));
    }

    [Fact]
    public async Task Wrong_signatures_are_guesses_the_user_runs_out_of()
    {
        var (device, api, familyId, _) = await SetupAsync();
        for (var i = 0; i < 10; i++)
        {
            var bad = Signed(device, familyId);
            bad["Signature"] = new string('0', 40);
            AssertVerificationFailed(await api.CallAsync("AppSigBindDeviceInFamily", bad));
        }
        // Locked out for the window, the right signature included.
        Assert.Equal(Errors.TooManyAttempts.TencentCode, TencentApi.ErrorCode(await api.CallAsync("AppSigBindDeviceInFamily", Signed(device, familyId))));
    }

    [Fact]
    public async Task Fifty_users_relaying_one_signature_exactly_one_binds()
    {
        // Multi-user mode: nothing but the signature's single use decides.
        var (_, device, _) = await fx.DeviceAsync(1, SigOnly);
        var users = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fx.UserWithFamilyAsync()));
        var signed = Signed(device, "");
        var answers = await Task.WhenAll(users.Select(u =>
        {
            var parameters = new Dictionary<string, object?>(signed) { ["FamilyId"] = u.FamilyId };
            return u.Api.CallAsync("AppSigBindDeviceInFamily", parameters);
        }));
        Assert.Single(answers, a => !a.TryGetProperty("Error", out _));
        Assert.All(answers.Where(a => a.TryGetProperty("Error", out _)), AssertVerificationFailed);
    }

    [Fact]
    public async Task Fifty_users_each_with_a_signature_of_the_owner_mode_device_exactly_one_binds()
    {
        var (_, device, _) = await fx.DeviceAsync(2, SigOnly);
        var users = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fx.UserWithFamilyAsync()));
        var answers = await Task.WhenAll(users.Select(u => u.Api.CallAsync("AppSigBindDeviceInFamily", Signed(device, u.FamilyId))));
        Assert.Single(answers, a => !a.TryGetProperty("Error", out _));
        Assert.All(answers.Where(a => a.TryGetProperty("Error", out _)),
            a => Assert.Equal(Errors.UniqueBindingMode.TencentCode, TencentApi.ErrorCode(a)));
    }
}
