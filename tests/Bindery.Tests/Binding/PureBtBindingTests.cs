using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>POST /v2/binding/enduserapi/deviceBindingByPureBt, seed 002, with the encodings of docs/protocol.md.</summary>
public sealed class PureBtBindingTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private static string NewRandom() => DeviceClient.NewSecret()[..16];

    private async Task<(Tenant.Product Product, Tenant.Device Device, DeviceClient DeviceSide)> DeviceAsync(int mode = 2)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, methods: ["BT"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        return (product, device, fx.DeviceClient(device));
    }

    /// <summary>What the app sends after reading the device over Bluetooth.</summary>
    private Dictionary<string, object?> Body(Tenant.Product product, Tenant.Device device, string code, string newSecret,
        string? oldSecret = null, bool encryptCode = true, string? pwd = null, string? random = null)
    {
        random ??= NewRandom();
        var codeField = encryptCode ? PureBtCrypto.Encrypt(product.Ps, random, code) : code;
        var body = new Dictionary<string, object?>
        {
            ["pk"] = device.Pk,
            ["dk"] = device.Dk,
            ["random"] = random,
            ["pwd"] = pwd,
            ["signature"] = PureBtCrypto.Signature(device.Pk, device.Dk, codeField, pwd, fx.Tenant.DomainSecret),
            ["encryptedNewBindingSecret"] = PureBtCrypto.Encrypt(product.Ps, random, $"{device.Pk},{device.Dk},{newSecret}"),
            ["encryptedOldBindingSecret"] = oldSecret is null ? null : PureBtCrypto.Encrypt(product.Ps, random, $"{device.Pk},{device.Dk},{oldSecret}"),
        };
        body[encryptCode ? "encryptedBindingCode" : "bindingCode"] = codeField;
        return body;
    }

    [Fact]
    public async Task Encrypted_code_proves_possession_and_answers_verified_1()
    {
        var (product, device, deviceSide) = await DeviceAsync();
        var code = await deviceSide.ReportNewCodeAsync();
        var envelope = await BindingApi.BindPureBtAsync((await fx.Tenant.CreateUserAsync()).Client, Body(product, device, code, DeviceClient.NewSecret(), pwd: "pin-1234"));
        Assert.Equal(200, envelope.Code());
        Assert.Equal("1", envelope.Data().GetProperty("verified").GetString());
        Assert.True(await deviceSide.IsAuthKeyValidAsync(envelope.Data().GetProperty("authKey").GetString()!));
        Assert.True((await deviceSide.StateAsync()).GetProperty("hasBindingSecret").GetBoolean());
    }

    [Fact]
    public async Task Plain_code_works_too()
    {
        var (product, device, deviceSide) = await DeviceAsync();
        var code = await deviceSide.ReportNewCodeAsync();
        var envelope = await BindingApi.BindPureBtAsync((await fx.Tenant.CreateUserAsync()).Client, Body(product, device, code, DeviceClient.NewSecret(), encryptCode: false));
        Assert.Equal(200, envelope.Code());
    }

    [Fact]
    public async Task Old_binding_secret_proves_possession_after_the_owner_unbinds_and_is_rotated()
    {
        var (product, device, deviceSide) = await DeviceAsync();
        var first = await fx.Tenant.CreateUserAsync();
        var secret1 = DeviceClient.NewSecret();
        Assert.Equal(200, (await BindingApi.BindPureBtAsync(first.Client, Body(product, device, await deviceSide.ReportNewCodeAsync(), secret1))).Code());
        Assert.Equal(200, (await BindingApi.UnbindAsync(first.Client, device.Pk, device.Dk)).Code());

        // No code on record now: only the old secret can prove possession.
        var second = await fx.Tenant.CreateUserAsync();
        var secret2 = DeviceClient.NewSecret();
        var bound = await BindingApi.BindPureBtAsync(second.Client, Body(product, device, "Whatever1", secret2, oldSecret: secret1));
        Assert.Equal(200, bound.Code());
        Assert.Equal("1", bound.Data().GetProperty("verified").GetString());
        await BindingApi.UnbindAsync(second.Client, device.Pk, device.Dk);

        // secret1 was rotated away.
        var third = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5009, (await BindingApi.BindPureBtAsync(third.Client, Body(product, device, "Whatever1", DeviceClient.NewSecret(), oldSecret: secret1))).Code());
        Assert.Equal(200, (await BindingApi.BindPureBtAsync(third.Client, Body(product, device, "Whatever1", DeviceClient.NewSecret(), oldSecret: secret2))).Code());
    }

    [Fact]
    public async Task Unproven_request_is_refused_not_bound_unverified()
    {
        var (product, device, _) = await DeviceAsync(mode: 1);
        var user = await fx.Tenant.CreateUserAsync();
        // No code reported answers like every other failed proof (docs/protocol.md): no oracle.
        Assert.Equal(Errors.DeviceVerificationFailed.Code, (await BindingApi.BindPureBtAsync(user.Client, Body(product, device, "NoSuchCode1", DeviceClient.NewSecret()))).Code());
        Assert.Equal(0, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Wrong_signature_is_5009_whatever_the_ciphertexts_hold()
    {
        var (product, device, deviceSide) = await DeviceAsync();
        var code = await deviceSide.ReportNewCodeAsync();
        var body = Body(product, device, code, DeviceClient.NewSecret());
        body["signature"] = PureBtCrypto.Signature(device.Pk, device.Dk, (string)body["encryptedBindingCode"]!, null, "wrong-domain-secret");
        Assert.Equal(5009, (await BindingApi.BindPureBtAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());

        // Garbage ciphertext with a bad signature is the same failure, never a decryption error.
        body["encryptedBindingCode"] = "!!not-base64!!";
        Assert.Equal(5009, (await BindingApi.BindPureBtAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());
    }

    [Fact]
    public async Task A_random_is_accepted_once_per_device()
    {
        var (product, device, deviceSide) = await DeviceAsync(mode: 1);
        var random = NewRandom();
        var alice = await fx.Tenant.CreateUserAsync();
        Assert.Equal(200, (await BindingApi.BindPureBtAsync(alice.Client, Body(product, device, await deviceSide.ReportNewCodeAsync(), DeviceClient.NewSecret(), random: random))).Code());
        var bob = await fx.Tenant.CreateUserAsync();
        Assert.Equal(5009, (await BindingApi.BindPureBtAsync(bob.Client, Body(product, device, await deviceSide.ReportNewCodeAsync(), DeviceClient.NewSecret(), random: random))).Code());
    }

    [Fact]
    public async Task New_secret_naming_another_device_is_refused()
    {
        var (product, device, deviceSide) = await DeviceAsync();
        var other = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var random = NewRandom();
        var body = Body(product, device, await deviceSide.ReportNewCodeAsync(), DeviceClient.NewSecret(), random: random);
        body["encryptedNewBindingSecret"] = PureBtCrypto.Encrypt(product.Ps, random, $"{other.Pk},{other.Dk},{DeviceClient.NewSecret()}");
        Assert.Equal(5009, (await BindingApi.BindPureBtAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());
    }

    [Fact]
    public async Task Encrypted_code_that_does_not_decrypt_answers_like_every_other_failed_proof()
    {
        var (product, device, deviceSide) = await DeviceAsync();
        await deviceSide.ReportNewCodeAsync();
        var body = Body(product, device, "Wrong0000", DeviceClient.NewSecret());
        var garbage = Convert.ToBase64String(new byte[32]);
        body["encryptedBindingCode"] = garbage;
        body["signature"] = PureBtCrypto.Signature(device.Pk, device.Dk, garbage, null, fx.Tenant.DomainSecret);
        Assert.Equal(Errors.DeviceVerificationFailed.Code, (await BindingApi.BindPureBtAsync((await fx.Tenant.CreateUserAsync()).Client, body)).Code());
    }

    [Fact]
    public async Task Field_rules()
    {
        var (product, device, _) = await DeviceAsync();
        var user = await fx.Tenant.CreateUserAsync();

        var neither = Body(product, device, "Code12345", DeviceClient.NewSecret());
        neither.Remove("encryptedBindingCode");
        Assert.Equal(5179, (await BindingApi.BindPureBtAsync(user.Client, neither)).Code());

        var both = Body(product, device, "Code12345", DeviceClient.NewSecret());
        both["bindingCode"] = "Code12345";
        Assert.Equal(5213, (await BindingApi.BindPureBtAsync(user.Client, both)).Code());

        Assert.Equal(5213, (await BindingApi.BindPureBtAsync(user.Client, Body(product, device, "bad code!", DeviceClient.NewSecret(), encryptCode: false))).Code());
        Assert.Equal(5357, (await BindingApi.BindPureBtAsync(user.Client, Body(product, device, "Code12345", DeviceClient.NewSecret(), pwd: "has space"))).Code());

        var noPk = Body(product, device, "Code12345", DeviceClient.NewSecret());
        noPk.Remove("pk");
        Assert.Equal(5066, (await BindingApi.BindPureBtAsync(user.Client, noPk)).Code());
        var noDk = Body(product, device, "Code12345", DeviceClient.NewSecret());
        noDk.Remove("dk");
        Assert.Equal(5067, (await BindingApi.BindPureBtAsync(user.Client, noDk)).Code());
        var badDk = Body(product, device, "Code12345", DeviceClient.NewSecret());
        badDk["dk"] = "12345";
        Assert.Equal(5361, (await BindingApi.BindPureBtAsync(user.Client, badDk)).Code());

        var badRandom = Body(product, device, "Code12345", DeviceClient.NewSecret());
        badRandom["random"] = "short";
        Assert.Equal(9001, (await BindingApi.BindPureBtAsync(user.Client, badRandom)).Code());
        var noNewSecret = Body(product, device, "Code12345", DeviceClient.NewSecret());
        noNewSecret.Remove("encryptedNewBindingSecret");
        Assert.Equal(9000, (await BindingApi.BindPureBtAsync(user.Client, noNewSecret)).Code());
    }

    [Fact]
    public async Task Rotation_mode_device_moves_to_whoever_proves_possession()
    {
        var (product, device, deviceSide) = await DeviceAsync(mode: 3);
        var alice = await fx.Tenant.CreateUserAsync();
        var first = await BindingApi.BindPureBtAsync(alice.Client, Body(product, device, await deviceSide.ReportNewCodeAsync(), DeviceClient.NewSecret()));
        var aliceKey = first.Data().GetProperty("authKey").GetString()!;
        var bob = await fx.Tenant.CreateUserAsync();
        Assert.Equal(200, (await BindingApi.BindPureBtAsync(bob.Client, Body(product, device, await deviceSide.ReportNewCodeAsync(), DeviceClient.NewSecret()))).Code());
        Assert.False(await deviceSide.IsAuthKeyValidAsync(aliceKey));
        Assert.Equal(0, (await BindingApi.ListAsync(alice.Client)).Data().GetProperty("total").GetInt64());
    }
}
