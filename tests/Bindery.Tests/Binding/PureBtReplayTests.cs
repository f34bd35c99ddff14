using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// One server for the pure-BT replay and oracle suites, with one rotation-mode and one owner-mode product that
/// bind over Bluetooth: every test only creates devices and users, which is cheap.
/// </summary>
public sealed class PureBtReplayFixture : IAsyncLifetime
{
    public BindingFixture Binding { get; } = new();

    public Tenant Tenant => Binding.Tenant;

    /// <summary>Binding mode 3: a binding that proves possession displaces the holder.</summary>
    public Tenant.Product Rotation { get; private set; } = null!;

    /// <summary>Binding mode 2: the holder keeps the device until they unbind.</summary>
    public Tenant.Product Owner { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Binding.InitializeAsync();
        Rotation = await Tenant.CreateProductAsync(3, methods: ["BT"]);
        Owner = await Tenant.CreateProductAsync(2, methods: ["BT"]);
    }

    public Task DisposeAsync() => Binding.DisposeAsync();
}

/// <summary>
/// What an app reads from a pure-BT device and posts (docs/protocol.md), and a device that has been bound once,
/// with the body of that successful bind as an eavesdropper would have captured it.
/// </summary>
public static class PureBt
{
    /// <summary>A fresh <c>random</c> of letters only, so that every position has a letter case to flip.</summary>
    public static string LetterRandom() => System.Security.Cryptography.RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 16);

    /// <summary>A fresh <c>random</c> as a device makes them: 16 characters of [A-Za-z0-9].</summary>
    public static string NewRandom() => Secrets.RandomAlphanumeric(PureBtCrypto.RandomLength);

    /// <summary>The body a device produces: everything encrypted under <paramref name="random"/> with the product secret.</summary>
    public static Dictionary<string, object?> Body(Tenant tenant, Tenant.Product product, Tenant.Device device, string code, string newSecret,
        string? oldSecret = null, string? random = null, string? dkText = null)
    {
        random ??= NewRandom();
        var dk = dkText ?? device.Dk;
        var encryptedCode = PureBtCrypto.Encrypt(product.Ps, random, code);
        return new Dictionary<string, object?>
        {
            ["pk"] = device.Pk,
            ["dk"] = dk,
            ["random"] = random,
            ["encryptedBindingCode"] = encryptedCode,
            ["signature"] = PureBtCrypto.Signature(device.Pk, dk, encryptedCode, null, tenant.DomainSecret),
            ["encryptedNewBindingSecret"] = PureBtCrypto.Encrypt(product.Ps, random, $"{device.Pk},{dk},{newSecret}"),
            ["encryptedOldBindingSecret"] = oldSecret is null ? null : PureBtCrypto.Encrypt(product.Ps, random, $"{device.Pk},{dk},{oldSecret}"),
        };
    }

    /// <summary>Recomputes the signature the way anyone holding the app (and so the user domain's secret) can.</summary>
    public static Dictionary<string, object?> Resigned(Tenant tenant, Dictionary<string, object?> body)
    {
        var codeField = body.TryGetValue("encryptedBindingCode", out var encrypted) && encrypted is string e ? e : (string)body["bindingCode"]!;
        body["signature"] = PureBtCrypto.Signature((string)body["pk"]!, (string)body["dk"]!, codeField, null, tenant.DomainSecret);
        return body;
    }

    public static Dictionary<string, object?> Copy(Dictionary<string, object?> body) => new(body);

    /// <summary><paramref name="text"/> with the letter at <paramref name="index"/> in the other case.</summary>
    public static string FlipCase(string text, int index)
    {
        var c = text[index];
        var flipped = char.IsAsciiLetterUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c);
        Assert.NotEqual(c, flipped);
        return string.Concat(text.AsSpan(0, index), flipped.ToString(), text.AsSpan(index + 1));
    }

    /// <summary><paramref name="text"/> with the character at <paramref name="index"/> replaced by another letter or digit (not a case change).</summary>
    public static string ChangeValue(string text, int index)
    {
        var c = text[index];
        var other = char.ToLowerInvariant(c) == 'q' ? '7' : 'q';
        return string.Concat(text.AsSpan(0, index), other.ToString(), text.AsSpan(index + 1));
    }

    /// <summary>The Base64 ciphertext with one bit of its 16-byte block <paramref name="block"/> flipped.</summary>
    public static string FlipBlock(string base64, int block)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[(block * 16) + 15] ^= 0x01;
        return Convert.ToBase64String(bytes);
    }

    public static int Blocks(string base64) => Convert.FromBase64String(base64).Length / 16;
}

/// <summary>
/// A captured, successful pure-BT bind must be worthless to whoever captured it (finding 1 of the security review):
/// every single-field edit of it, and the body as it was, is refused, and the refusal changes nothing — the owner
/// keeps the device and their authKey, nobody else is bound, and the device's bindingSecret stays the one the owner
/// installed. docs/protocol.md, "Replay and tampering", explains each defence.
/// </summary>
public sealed class PureBtReplayTests(PureBtReplayFixture fx) : IClassFixture<PureBtReplayFixture>
{
    private static readonly int Refused = Errors.DeviceVerificationFailed.Code;

    private Tenant Tenant => fx.Tenant;

    /// <summary>A device its owner bound over Bluetooth, and the body of that bind as captured on the way.</summary>
    private sealed record Owned(Tenant.Product Product, Tenant.Device Device, DeviceClient Side, Tenant.User Owner, string AuthKey,
        Dictionary<string, object?> Captured, string InstalledSecret);

    /// <summary>
    /// A MAC-addressed device ("AB…": its dk starts with letters, which share the first AES block with the pk) bound
    /// by a fresh owner with the device's current code; <paramref name="withOldSecret"/> makes the device report a
    /// bindingSecret first and the captured body carry it as encryptedOldBindingSecret.
    /// </summary>
    private async Task<Owned> OwnedAsync(bool withOldSecret = false, Tenant.Product? product = null)
    {
        product ??= fx.Rotation;
        var device = await Tenant.CreateDeviceAsync(product.Pk, mac: true);
        var side = fx.Binding.DeviceClient(device);
        string? oldSecret = null;
        if (withOldSecret)
        {
            oldSecret = DeviceClient.NewSecret();
            await side.ReportBindingSecretAsync(oldSecret);
        }
        var owner = await Tenant.CreateUserAsync();
        var installed = DeviceClient.NewSecret();
        // A code of 20 letters fills the first AES block, so a case flip in random keeps it a well-formed code.
        var code = PureBt.LetterRandom() + "Code";
        await side.ReportBindingCodeAsync(code);
        var body = PureBt.Body(Tenant, product, device, code, installed, oldSecret, PureBt.LetterRandom());
        var bound = await BindingApi.BindPureBtAsync(owner.Client, body);
        Assert.True(bound.Code() == 200, bound.ToString());
        return new Owned(product, device, side, owner, bound.Data().GetProperty("authKey").GetString()!, PureBt.Copy(body), installed);
    }

    /// <summary>Users to send tampered bodies, each retired before the per-user failure window could refuse it first.</summary>
    private sealed class Attackers(Tenant tenant)
    {
        private Tenant.User? _current;
        private int _uses;

        public List<Tenant.User> All { get; } = [];

        public async Task<Tenant.User> NextAsync()
        {
            if (_current is null || _uses == 5)
            {
                _current = await tenant.CreateUserAsync();
                All.Add(_current);
                _uses = 0;
            }
            _uses++;
            return _current;
        }
    }

    private static async Task AssertRefusedAsync(Tenant.User sender, Dictionary<string, object?> body, string what)
    {
        var answer = await BindingApi.BindPureBtAsync(sender.Client, body);
        Assert.True(answer.Code() == Refused, $"{what}: expected {Refused} (DeviceVerificationFailed), got {answer}");
    }

    /// <summary>
    /// The owner still holds the device with the same authKey, nobody else holds it, and the device's bindingSecret is
    /// still the one the owner installed (a fresh body from the device proving it gets past the proof to 5049).
    /// </summary>
    private async Task AssertNothingChangedAsync(Owned owned, IEnumerable<Tenant.User> others)
    {
        Assert.True(await owned.Side.IsAuthKeyValidAsync(owned.AuthKey), "the owner's authKey was voided");
        var list = (await BindingApi.ListAsync(owned.Owner.Client)).Data();
        Assert.Contains(list.GetProperty("list").EnumerateArray(), d => d.GetProperty("deviceKey").GetString() == owned.Device.Dk);
        Assert.Equal(1, (await owned.Side.StateAsync()).GetProperty("boundUsers").GetInt32());
        foreach (var other in others)
        {
            Assert.Equal(0, (await BindingApi.ListAsync(other.Client)).Data().GetProperty("total").GetInt64());
        }
        var proof = PureBt.Body(Tenant, owned.Product, owned.Device, "NoCurrentCode1", DeviceClient.NewSecret(), owned.InstalledSecret);
        Assert.Equal(Errors.DeviceAlreadyBound.Code, (await BindingApi.BindPureBtAsync(owned.Owner.Client, proof)).Code());
    }

    [Fact]
    public async Task The_reported_attack_is_refused_random_letter_case_flipped_over_the_dk_and_the_new_secret_presented_as_the_old()
    {
        var owned = await OwnedAsync();
        var attacker = await Tenant.CreateUserAsync();
        var body = PureBt.Copy(owned.Captured);
        // pk is 13 characters, so "pk," fills bytes 0-13 of the first block and the dk's first letter is byte 14:
        // flipping the case of random[14] flips the case of that letter in the decrypted payload.
        Assert.Equal(13, owned.Device.Pk.Length);
        body["random"] = PureBt.FlipCase((string)body["random"]!, 14);
        body["encryptedOldBindingSecret"] = body["encryptedNewBindingSecret"];

        await AssertRefusedAsync(attacker, body, "the reported attack");
        await AssertNothingChangedAsync(owned, [attacker]);
    }

    [Fact]
    public async Task The_attack_is_refused_even_when_the_attacker_re_signs_with_the_matching_case_variant_of_the_dk()
    {
        // The user domain's secret ships in every app, so the signature is no barrier: the attacker sends the dk in the
        // case the tampered payload decrypts to, a plain made-up bindingCode, and signs that. The captured old secret
        // (under the edited random) then names exactly the sent pk and dk and serves as the "new" secret, so neither
        // the exact pk/dk comparison nor the equal-ciphertext rule stops this: only the single use of ciphertexts does.
        var owned = await OwnedAsync(withOldSecret: true);
        var attackers = new Attackers(Tenant);

        var body = PureBt.Copy(owned.Captured);
        body["random"] = PureBt.FlipCase((string)body["random"]!, 14);
        body["dk"] = PureBt.FlipCase(owned.Device.Dk, 0);
        body.Remove("encryptedBindingCode");
        body["bindingCode"] = "MadeUp123";
        body["encryptedOldBindingSecret"] = owned.Captured["encryptedNewBindingSecret"];
        body["encryptedNewBindingSecret"] = owned.Captured["encryptedOldBindingSecret"];
        await AssertRefusedAsync(await attackers.NextAsync(), PureBt.Resigned(Tenant, body), "captured secrets swapped, dk case matched, re-signed");

        body["encryptedNewBindingSecret"] = owned.Captured["encryptedNewBindingSecret"];
        await AssertRefusedAsync(await attackers.NextAsync(), PureBt.Resigned(Tenant, body), "captured new secret as both, dk case matched, re-signed");

        await AssertNothingChangedAsync(owned, attackers.All);
    }

    public static TheoryData<int, bool> RandomEdits()
    {
        var data = new TheoryData<int, bool>();
        for (var position = 0; position < PureBtCrypto.RandomLength; position++)
        {
            data.Add(position, true);
            data.Add(position, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RandomEdits))]
    public async Task Changing_one_character_of_random_in_case_or_in_value_is_refused(int position, bool caseOnly)
    {
        var owned = await OwnedAsync();
        var attackers = new Attackers(Tenant);
        var random = (string)owned.Captured["random"]!;
        var edited = caseOnly ? PureBt.FlipCase(random, position) : PureBt.ChangeValue(random, position);

        var body = PureBt.Copy(owned.Captured);
        body["random"] = edited;
        await AssertRefusedAsync(await attackers.NextAsync(), body, $"random[{position}] edited");

        body["encryptedOldBindingSecret"] = body["encryptedNewBindingSecret"];
        await AssertRefusedAsync(await attackers.NextAsync(), body, $"random[{position}] edited, new secret as the old");

        await AssertNothingChangedAsync(owned, attackers.All);
    }

    [Theory]
    [InlineData("encryptedBindingCode")]
    [InlineData("encryptedNewBindingSecret")]
    [InlineData("encryptedOldBindingSecret")]
    public async Task Flipping_a_bit_in_any_block_of_any_ciphertext_is_refused(string field)
    {
        var owned = await OwnedAsync(withOldSecret: true);
        var attackers = new Attackers(Tenant);
        var ciphertext = (string)owned.Captured[field]!;
        for (var block = 0; block < PureBt.Blocks(ciphertext); block++)
        {
            var body = PureBt.Copy(owned.Captured);
            body[field] = PureBt.FlipBlock(ciphertext, block);
            await AssertRefusedAsync(await attackers.NextAsync(), body, $"{field} block {block}");
            await AssertRefusedAsync(await attackers.NextAsync(), PureBt.Resigned(Tenant, body), $"{field} block {block}, re-signed");
        }
        await AssertNothingChangedAsync(owned, attackers.All);
    }

    [Fact]
    public async Task Old_and_new_secrets_swapped_or_made_equal_are_refused()
    {
        var owned = await OwnedAsync(withOldSecret: true);
        var attackers = new Attackers(Tenant);
        var captured = owned.Captured;

        var swapped = PureBt.Copy(captured);
        (swapped["encryptedOldBindingSecret"], swapped["encryptedNewBindingSecret"]) = (captured["encryptedNewBindingSecret"], captured["encryptedOldBindingSecret"]);
        await AssertRefusedAsync(await attackers.NextAsync(), swapped, "swapped");

        var bothNew = PureBt.Copy(captured);
        bothNew["encryptedOldBindingSecret"] = captured["encryptedNewBindingSecret"];
        await AssertRefusedAsync(await attackers.NextAsync(), bothNew, "old = new");

        var bothOld = PureBt.Copy(captured);
        bothOld["encryptedNewBindingSecret"] = captured["encryptedOldBindingSecret"];
        await AssertRefusedAsync(await attackers.NextAsync(), bothOld, "new = old");

        await AssertNothingChangedAsync(owned, attackers.All);
    }

    [Fact]
    public async Task Equal_old_and_new_ciphertexts_are_refused_even_in_a_fresh_body_from_the_device()
    {
        // A device that "rotates" to the secret it already has, under one random, sends the same ciphertext twice.
        var owned = await OwnedAsync();
        var user = await Tenant.CreateUserAsync();
        var body = PureBt.Body(Tenant, owned.Product, owned.Device, await owned.Side.ReportNewCodeAsync(), owned.InstalledSecret, owned.InstalledSecret);
        Assert.Equal(body["encryptedOldBindingSecret"], body["encryptedNewBindingSecret"]);
        await AssertRefusedAsync(user, body, "old ciphertext = new ciphertext");
        Assert.True(await owned.Side.IsAuthKeyValidAsync(owned.AuthKey));
    }

    [Fact]
    public async Task A_signature_taken_from_another_request_is_refused()
    {
        var owned = await OwnedAsync();
        var other = await OwnedAsync();
        var attacker = await Tenant.CreateUserAsync();
        var body = PureBt.Copy(owned.Captured);
        body["signature"] = other.Captured["signature"];
        await AssertRefusedAsync(attacker, body, "another request's signature");
        await AssertNothingChangedAsync(owned, [attacker]);
    }

    [Fact]
    public async Task The_captured_body_replayed_as_is_is_refused_whoever_sends_it()
    {
        var owned = await OwnedAsync();
        var stranger = await Tenant.CreateUserAsync();
        await AssertRefusedAsync(owned.Owner, PureBt.Copy(owned.Captured), "replayed by its sender");
        await AssertRefusedAsync(stranger, PureBt.Copy(owned.Captured), "replayed by another user");
        await AssertNothingChangedAsync(owned, [stranger]);
    }

    [Fact]
    public async Task The_captured_body_replayed_after_the_owner_unbinds_is_refused()
    {
        foreach (var withOldSecret in new[] { false, true })
        {
            var owned = await OwnedAsync(withOldSecret);
            Assert.Equal(200, (await BindingApi.UnbindAsync(owned.Owner.Client, owned.Device.Pk, owned.Device.Dk)).Code());
            var stranger = await Tenant.CreateUserAsync();
            await AssertRefusedAsync(stranger, PureBt.Copy(owned.Captured), "replayed after unbind");
            Assert.Equal(0, (await owned.Side.StateAsync()).GetProperty("boundUsers").GetInt32());
            Assert.Equal(0, (await BindingApi.ListAsync(stranger.Client)).Data().GetProperty("total").GetInt64());
        }
    }

    [Fact]
    public async Task A_body_refused_after_its_proof_passed_is_spent_and_cannot_bind_later()
    {
        // Owner mode: Bob holds the device, proves possession, and is refused 5412 — the transaction rolls back, so
        // his code is not used up and the device's secret is not rotated. His body must still be spent.
        var owned = await OwnedAsync(product: fx.Owner);
        var bob = await Tenant.CreateUserAsync();
        var byCode = PureBt.Body(Tenant, fx.Owner, owned.Device, await owned.Side.ReportNewCodeAsync(), DeviceClient.NewSecret());
        Assert.Equal(Errors.UniqueBindingMode.Code, (await BindingApi.BindPureBtAsync(bob.Client, byCode)).Code());
        var bySecret = PureBt.Body(Tenant, fx.Owner, owned.Device, "NoCurrentCode1", DeviceClient.NewSecret(), owned.InstalledSecret);
        Assert.Equal(Errors.UniqueBindingMode.Code, (await BindingApi.BindPureBtAsync(bob.Client, bySecret)).Code());

        Assert.Equal(200, (await BindingApi.UnbindAsync(owned.Owner.Client, owned.Device.Pk, owned.Device.Dk)).Code());
        var mallory = await Tenant.CreateUserAsync();
        await AssertRefusedAsync(mallory, byCode, "a 5412 body (code) replayed after the holder left");
        await AssertRefusedAsync(mallory, bySecret, "a 5412 body (old secret) replayed after the holder left");
        Assert.Equal(0, (await owned.Side.StateAsync()).GetProperty("boundUsers").GetInt32());
    }

    [Fact]
    public async Task The_same_fresh_body_posted_by_two_users_at_once_binds_at_most_once()
    {
        // Both requests spend the body at the same moment; only the one whose rows were recorded first may bind.
        var owned = await OwnedAsync();
        var body = PureBt.Body(Tenant, owned.Product, owned.Device, await owned.Side.ReportNewCodeAsync(), DeviceClient.NewSecret(), owned.InstalledSecret);
        var users = new[] { await Tenant.CreateUserAsync(), await Tenant.CreateUserAsync(), await Tenant.CreateUserAsync() };
        var answers = await Task.WhenAll(users.Select(u => BindingApi.BindPureBtAsync(u.Client, PureBt.Copy(body))));
        Assert.Equal(1, answers.Count(a => a.Code() == 200));
        Assert.All(answers.Where(a => a.Code() != 200), a => Assert.Equal(Refused, a.Code()));
        Assert.Equal(1, (await owned.Side.StateAsync()).GetProperty("boundUsers").GetInt32());
    }

    [Fact]
    public async Task A_random_that_differs_from_a_used_one_only_in_letter_case_is_a_different_random()
    {
        // Positive control that both stores compare randoms byte for byte: a genuine fresh body from the device whose
        // random differs from the captured one only in the case of one letter is accepted.
        var owned = await OwnedAsync();
        var random = PureBt.FlipCase((string)owned.Captured["random"]!, 3);
        var next = await Tenant.CreateUserAsync();
        var body = PureBt.Body(Tenant, owned.Product, owned.Device, await owned.Side.ReportNewCodeAsync(), DeviceClient.NewSecret(), owned.InstalledSecret, random);
        var answer = await BindingApi.BindPureBtAsync(next.Client, body);
        Assert.True(answer.Code() == 200, answer.ToString());
        Assert.False(await owned.Side.IsAuthKeyValidAsync(owned.AuthKey), "rotation mode: the proven binding displaces the owner");
    }
}
