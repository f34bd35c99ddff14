using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// AppSecureAddDeviceInFamily with a QR code's DeviceSignature (docs/binding.md, "QR secure add"): the maker issues
/// it with the admin API; the binding it makes is unverified, like one by serial number, because a label proves no
/// more than a serial number does.
/// </summary>
public sealed class SecureAddTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    private static readonly string[] QrAndSig = ["QR", "SIG"];

    /// <summary>POST /admin/v1/products/{pk}/devices/{dk}/qr-signature → the whole envelope.</summary>
    private async Task<JsonElement> IssueAsync(Tenant.Device device, long? expiresInSeconds = null) =>
        await (await fx.App.CreateAdminClient().PostAsJsonAsync(
            $"/admin/v1/products/{device.Pk}/devices/{device.Dk}/qr-signature", new { expiresInSeconds })).ReadEnvelopeAsync();

    private async Task<string> SignatureAsync(Tenant.Device device)
    {
        var envelope = await IssueAsync(device);
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data().GetProperty("deviceSignature").GetString()!;
    }

    /// <summary>The documented format, computed here: base64url(pk\ndk\nexpiresAt) "." base64url(HMAC-SHA256(secret, "bindery-qr-v1\n" + payload)).</summary>
    private static string LocalSignature(Tenant.Device device, long expiresAt, string? secret = null)
    {
        var payload = $"{device.Pk}\n{device.Dk}\n{expiresAt}";
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret ?? device.DeviceSecret), Encoding.UTF8.GetBytes("bindery-qr-v1\n" + payload));
        return B64(Encoding.UTF8.GetBytes(payload)) + "." + B64(mac);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A well-formed device key no device of the test's products has (registered under a throwaway product).</summary>
    private async Task<string> UnregisteredDkAsync() =>
        (await fx.Tenant.CreateDeviceAsync((await fx.Tenant.CreateProductAsync(1)).Pk)).Dk;

    private static Dictionary<string, object?> Add(string familyId, string signature) => new()
    {
        ["FamilyId"] = familyId,
        ["RoomId"] = "0",
        ["DeviceSignature"] = signature,
    };

    private static void AssertVerificationFailed(JsonElement response)
    {
        Assert.Equal(Errors.DeviceVerificationFailed.TencentCode, TencentApi.ErrorCode(response));
        Assert.Equal(Errors.DeviceVerificationFailed.English, response.GetProperty("Error").GetProperty("Message").GetString());
    }

    [Fact]
    public async Task The_admin_API_issues_a_QR_payload_the_app_binds_with_as_an_unverified_binding()
    {
        var (_, device, _) = await fx.DeviceAsync(2, QrAndSig);
        var issued = (await IssueAsync(device)).Data();
        var signature = issued.GetProperty("deviceSignature").GetString()!;
        Assert.Equal(signature, LocalSignature(device, issued.GetProperty("expiresAt").GetInt64()));
        var qr = JsonDocument.Parse(issued.GetProperty("qrPayload").GetString()!).RootElement;
        Assert.Equal(device.Pk, qr.GetProperty("ProductId").GetString());
        Assert.Equal(device.Dk, qr.GetProperty("DeviceName").GetString());
        Assert.Equal(signature, qr.GetProperty("DeviceSignature").GetString());

        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        var data = await api.OkAsync("AppSecureAddDeviceInFamily", Add(familyId, signature));
        Assert.Equal(device.Pk + "/" + device.Dk, data.GetProperty("AppDeviceInfo").GetProperty("DeviceId").GetString());
        var item = (await BindingApi.ListAsync(user.Client)).Data().GetProperty("list")[0];
        Assert.Equal(0, item.GetProperty("verified").GetInt32());
        Assert.Equal(1, item.GetProperty("bindingType").GetInt32());
        // Unverified: it cannot share the device.
        var other = await fx.Tenant.CreateUserAsync();
        Assert.Equal(Errors.UnverifiedBindingCannotShare.Code, (await BindingApi.ShareAsync(user.Client, device.Pk, device.Dk, other.Username)).Code());
    }

    [Fact]
    public async Task A_QR_binding_never_beats_possession()
    {
        var (_, device, _) = await fx.DeviceAsync(2, QrAndSig);
        var signature = await SignatureAsync(device);
        // Whoever photographed the label binds first ...
        var (squatter, squatterApi, squatterFamily) = await fx.UserWithFamilyAsync();
        await squatterApi.OkAsync("AppSecureAddDeviceInFamily", Add(squatterFamily, signature));
        // ... the buyer with the device in hand displaces them (owner mode) with the device's own signature ...
        var (_, buyerApi, buyerFamily) = await fx.UserWithFamilyAsync();
        var ts = fx.App.Clock.GetUtcNow().ToUnixTimeSeconds();
        await buyerApi.OkAsync("AppSigBindDeviceInFamily", new()
        {
            ["FamilyId"] = buyerFamily, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk, ["DeviceTimestamp"] = ts,
            ["ConnId"] = "qrtst", ["Signature"] = SignatureBindingTests.DeviceSignature(device, ts, "qrtst"),
        });
        Assert.Equal(0, (await BindingApi.ListAsync(squatter.Client)).Data().GetProperty("total").GetInt32());
        // ... and the label does not take it back: the same refusal as an SN binding of a device held with proof.
        Assert.Equal(Errors.UniqueBindingMode.TencentCode,
            TencentApi.ErrorCode(await squatterApi.CallAsync("AppSecureAddDeviceInFamily", Add(squatterFamily, signature))));
    }

    [Fact]
    public async Task Another_devices_QR_a_tampered_or_expired_one_and_unknown_devices_are_refused()
    {
        var (_, device, _) = await fx.DeviceAsync(2, QrAndSig);
        var other = await fx.Tenant.CreateDeviceAsync(device.Pk);
        var otherSignature = await SignatureAsync(other);
        var (user, api, familyId) = await fx.UserWithFamilyAsync();

        // The app names this device but carries the other device's QR.
        var foreign = Add(familyId, otherSignature);
        foreign["ProductId"] = device.Pk;
        foreign["DeviceName"] = device.Dk;
        AssertVerificationFailed(await api.CallAsync("AppSecureAddDeviceInFamily", foreign));
        // The other device's payload with this device's name swapped in (signature no longer matches).
        var swapped = LocalSignature(device, DateTimeOffset.UtcNow.AddYears(1).ToUnixTimeSeconds(), secret: other.DeviceSecret);
        AssertVerificationFailed(await api.CallAsync("AppSecureAddDeviceInFamily", Add(familyId, swapped)));
        // Expired.
        var expired = LocalSignature(device, fx.App.Clock.GetUtcNow().ToUnixTimeSeconds() - 1);
        AssertVerificationFailed(await api.CallAsync("AppSecureAddDeviceInFamily", Add(familyId, expired)));
        // Not a QR signature at all: a format error, told apart (it reveals nothing).
        Assert.Equal("InvalidParameterValue", TencentApi.ErrorCode(await api.CallAsync("AppSecureAddDeviceInFamily", Add(familyId, "not-a-signature"))));
        Assert.NotEqual(Errors.DeviceVerificationFailed.English,
            (await api.CallAsync("AppSecureAddDeviceInFamily", Add(familyId, "x.y"))).GetProperty("Error").GetProperty("Message").GetString());
        // A device that does not exist.
        var ghost = new Tenant.Device(device.Pk, await UnregisteredDkAsync(), "none", device.DeviceSecret);
        Assert.Equal(Errors.DeviceNotExist.TencentCode,
            TencentApi.ErrorCode(await api.CallAsync("AppSecureAddDeviceInFamily", Add(familyId, LocalSignature(ghost, DateTimeOffset.UtcNow.AddYears(1).ToUnixTimeSeconds())))));
        // Wrong family.
        var (_, _, strangersFamily) = await fx.UserWithFamilyAsync();
        Assert.Equal(Errors.FamilyNotExist.TencentCode,
            TencentApi.ErrorCode(await api.CallAsync("AppSecureAddDeviceInFamily", Add(strangersFamily, await SignatureAsync(device)))));

        Assert.Equal(0, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("total").GetInt32());
        await api.OkAsync("AppSecureAddDeviceInFamily", Add(familyId, await SignatureAsync(device)));
    }

    [Fact]
    public async Task A_product_that_requires_a_pairing_window_takes_a_QR_only_while_one_is_open_and_only_once()
    {
        var product = await fx.Tenant.CreateProductAsync(1, methods: QrAndSig, snPairingRequired: true);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var signature = await SignatureAsync(device);
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        AssertVerificationFailed(await api.CallAsync("AppSecureAddDeviceInFamily", Add(familyId, signature)));

        await fx.DeviceClient(device).OpenPairingWindowAsync();
        await api.OkAsync("AppSecureAddDeviceInFamily", Add(familyId, signature));
        // The window admitted one binding.
        var (_, second, secondFamily) = await fx.UserWithFamilyAsync();
        AssertVerificationFailed(await second.CallAsync("AppSecureAddDeviceInFamily", Add(secondFamily, signature)));
    }

    [Fact]
    public async Task The_admin_route_needs_the_key_a_QR_enabled_product_a_registered_device_and_a_sane_lifetime()
    {
        var (_, device, _) = await fx.DeviceAsync(2, QrAndSig);
        var anonymous = await fx.App.CreateClient().PostAsJsonAsync($"/admin/v1/products/{device.Pk}/devices/{device.Dk}/qr-signature", new { });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var (_, sigOnly, _) = await fx.DeviceAsync(2, ["SIG"]);
        Assert.Equal(Errors.MethodNotAllowedForProduct.Code, (await IssueAsync(sigOnly)).Code());
        Assert.Equal(Errors.NotFound.Code, (await IssueAsync(new Tenant.Device(device.Pk, await UnregisteredDkAsync(), "none", ""))).Code());
        Assert.Equal(Errors.InvalidParameterValue.Code, (await IssueAsync(device, expiresInSeconds: 1)).Code());
        Assert.Equal(200, (await IssueAsync(device, expiresInSeconds: 600)).Code());
    }

    [Fact]
    public async Task Fifty_users_scanning_one_label_of_an_owner_mode_device_exactly_one_binds()
    {
        var (_, device, _) = await fx.DeviceAsync(2, QrAndSig);
        var signature = await SignatureAsync(device);
        var users = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fx.UserWithFamilyAsync()));
        var answers = await Task.WhenAll(users.Select(u => u.Api.CallAsync("AppSecureAddDeviceInFamily", Add(u.FamilyId, signature))));
        Assert.Single(answers, a => !a.TryGetProperty("Error", out _));
        Assert.All(answers.Where(a => a.TryGetProperty("Error", out _)),
            a => Assert.Equal(Errors.UniqueBindingMode.TencentCode, TencentApi.ErrorCode(a)));
    }
}
