using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>The proof fields of a pure-Bluetooth bind request, exactly as the app sent them.</summary>
public sealed record PureBtFields(
    string Pk,
    string Dk,
    string? BindingCode,
    string? EncryptedBindingCode,
    string? Pwd,
    string? Random,
    string? Signature,
    string? EncryptedNewBindingSecret,
    string? EncryptedOldBindingSecret);

/// <summary>
/// Pure-BT possession proof (docs/protocol.md, "Replay and tampering"; docs/binding.md). The signature does not
/// cover <c>random</c> (the AES-CBC IV) nor the secret ciphertexts, and under CBC a changed IV changes the first
/// plaintext block as the attacker likes, so a captured body must be worthless once presented:
/// <list type="bullet">
/// <item>presenting a body <b>spends</b> its <c>random</c> and the fingerprint (SHA-256 of the decoded bytes) of each
/// of its ciphertexts for the device, in a transaction of its own that commits before the bind is decided, so a body
/// refused later (5412, 5049, …) is spent all the same;</item>
/// <item>the bind then requires that this very request spent them (exact, byte-wise), that its ciphertexts differ
/// from each other, that each decrypted payload names the request's <c>pk</c> and <c>dk</c> byte for byte, and the
/// signature, the old secret or the current code;</item>
/// <item>every one of those checks runs, whatever fails first, and any failure is the same 5009 with the same text
/// and counts as one failed guess, so the endpoint tells nothing about which one failed.</item>
/// </list>
/// Nothing unproven is ever bound; on success the device's bindingSecret is rotated to the new one.
/// </summary>
public sealed class PureBtProof : IPossessionProof
{
    public const int MaxPwdLength = 64;

    /// <summary>Compared against when the device has no code or no secret on record, so the work is the same.</summary>
    private static readonly string NoHash = Secrets.Sha256Hex("no secret on record");

    private readonly PureBtFields _fields;
    private readonly string _dk;
    private readonly string _presentationId = Secrets.NewId();
    private readonly List<string> _fingerprints;
    private bool _spent;

    private PureBtProof(PureBtFields fields)
    {
        _fields = fields;
        _dk = BindingCore.RequireDk(fields.Dk);
        _fingerprints = new[] { fields.EncryptedBindingCode, fields.EncryptedNewBindingSecret, fields.EncryptedOldBindingSecret }
            .Where(c => !string.IsNullOrEmpty(c))
            .Select(c => PureBtCrypto.Fingerprint(c!))
            .ToList();
    }

    /// <summary>The one answer to every failed proof (signature, replay, decryption, pk/dk, old secret, code).</summary>
    public static ProofResult Failure { get; } = ProofResult.Fail(Errors.DeviceVerificationFailed, null, countsAsGuess: true);

    /// <summary>
    /// Spends the body's <c>random</c> and ciphertexts for the device in a
    /// write of its own, committed before the bind decides anything: whatever the bind answers, they are spent.
    /// </summary>
    public async Task PresentAsync(IDatabase db, long now, CancellationToken cancellationToken)
    {
        await PureBtSpending.SpendAsync(db, _fields.Pk, _dk, _fields.Random!, _fingerprints, _presentationId, now, cancellationToken);
        _spent = true;
    }

    /// <summary>Checks the shape of every field (no secrets needed): 5179, 5213, 5357, 9000, 9001.</summary>
    public static PureBtProof Create(PureBtFields fields)
    {
        var hasPlain = !string.IsNullOrEmpty(fields.BindingCode);
        var hasEncrypted = !string.IsNullOrEmpty(fields.EncryptedBindingCode);
        if (!hasPlain && !hasEncrypted)
        {
            throw new BinderyException(Errors.BindingCodeMissing, "send bindingCode or encryptedBindingCode");
        }
        if (hasPlain && hasEncrypted)
        {
            throw new BinderyException(Errors.BindingCodeFormat, "send either bindingCode or encryptedBindingCode, not both");
        }
        if (hasPlain && !BindingCodes.IsWellFormed(fields.BindingCode))
        {
            throw new BinderyException(Errors.BindingCodeFormat, $"bindingCode is {BindingCodes.MinLength}-{BindingCodes.MaxLength} characters of [A-Za-z0-9]");
        }
        if (hasEncrypted && fields.EncryptedBindingCode!.Length > PureBtCrypto.MaxCiphertextBase64Length)
        {
            throw new BinderyException(Errors.BindingCodeFormat, "encryptedBindingCode is too long");
        }
        if (!string.IsNullOrEmpty(fields.Pwd) && (fields.Pwd.Length > MaxPwdLength || !fields.Pwd.All(c => c is > ' ' and <= '~')))
        {
            throw new BinderyException(Errors.PwdFormat, $"pwd is 1-{MaxPwdLength} printable ASCII characters without spaces");
        }
        if (string.IsNullOrEmpty(fields.Random))
        {
            throw new BinderyException(Errors.InvalidParameter, "random is required");
        }
        if (!PureBtCrypto.IsValidRandom(fields.Random))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "random is 16 characters of [A-Za-z0-9]");
        }
        if (string.IsNullOrEmpty(fields.Signature))
        {
            throw new BinderyException(Errors.InvalidParameter, "signature is required");
        }
        if (fields.Signature.Length != 64 || !fields.Signature.All(char.IsAsciiHexDigit))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "signature is 64 hex digits");
        }
        if (string.IsNullOrEmpty(fields.EncryptedNewBindingSecret))
        {
            throw new BinderyException(Errors.InvalidParameter, "encryptedNewBindingSecret is required");
        }
        if (fields.EncryptedNewBindingSecret.Length > PureBtCrypto.MaxCiphertextBase64Length
            || fields.EncryptedOldBindingSecret is { Length: > PureBtCrypto.MaxCiphertextBase64Length })
        {
            throw new BinderyException(Errors.InvalidParameterValue, "encrypted bindingSecret is too long");
        }
        return new PureBtProof(fields);
    }

    public async Task<ProofResult> VerifyAsync(ProofContext context)
    {
        if (!_spent)
        {
            throw new InvalidOperationException("a pure-BT proof must be presented (PresentAsync) before it is verified");
        }
        var f = _fields;
        var device = context.Device;
        var key = PureBtCrypto.KeyOf(context.Product.Ps);
        if (key is null)
        {
            // A product misconfiguration, the same for every request: it reveals nothing about this device.
            return ProofResult.Fail(Errors.UnsupportedOperation, "the product secret is not a 16-character AES key", countsAsGuess: false);
        }

        // Every check runs and `ok` only collects the verdict (non-short-circuiting &), so a refusal does the same
        // work and gives the same answer whichever check failed.
        var codeField = f.EncryptedBindingCode is { Length: > 0 } encrypted ? encrypted : f.BindingCode!;
        var ok = PureBtCrypto.SignatureMatches(f.Signature!, PureBtCrypto.Signature(f.Pk, f.Dk, codeField, f.Pwd, context.UserDomainSecret));

        // This request, and no earlier one, spent the random and each ciphertext (compared byte for byte).
        ok &= await PureBtSpending.SpentByAsync(context.Tx, device, f.Random!, _fingerprints, _presentationId);
        // No ciphertext twice in one body (e.g. encryptedOldBindingSecret = encryptedNewBindingSecret).
        ok &= _fingerprints.Distinct().Count() == _fingerprints.Count;

        // Decrypt everything. The encrypted code must hold a well-formed code even when the old secret is the proof.
        var code = f.BindingCode;
        if (f.EncryptedBindingCode is { Length: > 0 })
        {
            code = PureBtCrypto.TryDecrypt(key, f.Random!, f.EncryptedBindingCode);
            ok &= BindingCodes.IsWellFormed(code);
        }
        var newSecret = DecryptSecret(key, f.EncryptedNewBindingSecret!);
        ok &= newSecret is not null;
        var oldSent = f.EncryptedOldBindingSecret is { Length: > 0 };
        var oldSecret = oldSent ? DecryptSecret(key, f.EncryptedOldBindingSecret!) : null;
        ok &= !oldSent | oldSecret is not null;

        // The old secret, when sent and the device has one on record, must match it: a match proves possession.
        var secretOnRecord = device.BindingSecretHash is not null;
        var secretMatches = Secrets.MatchesHash(oldSecret ?? "", device.BindingSecretHash ?? NoHash) & secretOnRecord & oldSecret is not null;
        ok &= !(oldSent & secretOnRecord) | secretMatches;
        var provenBySecret = oldSent & secretMatches;

        // Otherwise the device's current code: reported, unused, unexpired and equal.
        var codeMatches = Secrets.MatchesHash(code ?? "", device.BindingCodeHash ?? NoHash)
            & device.BindingCodeHash is not null
            & device.BindingCodeUsedAt is null
            & device.BindingCodeExpiresAt > context.Now;
        ok &= provenBySecret | codeMatches;

        if (!ok)
        {
            return Failure;
        }
        if (!provenBySecret)
        {
            // The conditional update, not the read above, decides who gets a single-use code.
            var consumed = await context.Tx.ExecuteAsync(
                """
                UPDATE devices SET binding_code_used_at = @Now
                WHERE pk = @Pk AND dk = @Dk AND binding_code_used_at IS NULL
                  AND binding_code_hash = @Hash AND binding_code_expires_at > @Now
                """,
                new { context.Now, device.Pk, device.Dk, Hash = device.BindingCodeHash });
            if (consumed != 1)
            {
                return Failure;
            }
        }

        await context.Tx.ExecuteAsync(
            "UPDATE devices SET binding_secret_hash = @Hash, binding_secret_reported_at = @Now WHERE pk = @Pk AND dk = @Dk",
            new { Hash = Secrets.Sha256Hex(newSecret!), context.Now, device.Pk, device.Dk });
        return ProofResult.Proven;
    }

    /// <summary>
    /// The bindingSecret of a <c>PK,DK,bindingSecret</c> payload that names this request's <c>pk</c> and <c>dk</c> byte
    /// for byte, exactly as sent (the sent dk is the one that was normalised to find the device); null otherwise.
    /// </summary>
    private string? DecryptSecret(byte[] key, string base64)
    {
        if (PureBtCrypto.ParseSecretPayload(PureBtCrypto.TryDecrypt(key, _fields.Random!, base64)) is not { } payload)
        {
            return null;
        }
        var named = string.Equals(payload.Pk, _fields.Pk, StringComparison.Ordinal)
            & string.Equals(payload.Dk, _fields.Dk, StringComparison.Ordinal);
        return named ? payload.Secret : null;
    }
}

/// <summary>
/// The single-use records of the pure-Bluetooth flow, shared by the bind (<see cref="PureBtProof"/>) and the reset
/// proof of an unbind (<see cref="PureBtResetProof"/>): a <c>random</c> and each ciphertext fingerprint are spent for
/// a device once, by one presentation, whichever of the two presented them.
/// </summary>
internal static class PureBtSpending
{
    /// <summary>
    /// Records, in a write of its own that commits whatever the request answers, that presentation
    /// <paramref name="presentationId"/> spent <paramref name="random"/> and <paramref name="fingerprints"/> for the
    /// device — unless an earlier presentation did. Unknown devices (and dks not of the product's format) leave no rows.
    /// </summary>
    public static Task SpendAsync(IDatabase db, string pk, string dkAsSent, string random, IReadOnlyCollection<string> fingerprints,
        string presentationId, long now, CancellationToken cancellationToken) =>
        db.WriteAsync(async tx =>
        {
            var dk = DeviceKeys.Normalize(dkAsSent, await DeviceKeyFormats.ReadAsync(tx, pk));
            if (dk is null)
            {
                return 0;
            }
            await tx.ExecuteAsync(
                """
                INSERT INTO bt_randoms (pk, dk, random, used_at, request_id)
                SELECT pk, dk, @Random, @Now, @Id FROM devices WHERE pk = @Pk AND dk = @Dk
                ON CONFLICT (pk, dk, random) DO NOTHING
                """, new { Pk = pk, Dk = dk, Random = random, Now = now, Id = presentationId });
            foreach (var fingerprint in fingerprints.Distinct())
            {
                await tx.ExecuteAsync(
                    """
                    INSERT INTO bt_ciphertexts (pk, dk, fingerprint, request_id, seen_at)
                    SELECT pk, dk, @Fingerprint, @Id, @Now FROM devices WHERE pk = @Pk AND dk = @Dk
                    ON CONFLICT (pk, dk, fingerprint) DO NOTHING
                    """, new { Pk = pk, Dk = dk, Fingerprint = fingerprint, Now = now, Id = presentationId });
            }
            return 0;
        }, cancellationToken);

    /// <summary>Whether this very presentation spent the random and every fingerprint (all are read, whatever fails).</summary>
    public static async Task<bool> SpentByAsync(DbTx tx, BindingDevice device, string random, IEnumerable<string> fingerprints, string presentationId)
    {
        var randomOwner = await tx.QuerySingleOrDefaultAsync<string>(
            "SELECT request_id FROM bt_randoms WHERE pk = @Pk AND dk = @Dk AND random = @Random",
            new { device.Pk, device.Dk, Random = random });
        var ok = string.Equals(randomOwner, presentationId, StringComparison.Ordinal);
        foreach (var fingerprint in fingerprints)
        {
            var owner = await tx.QuerySingleOrDefaultAsync<string>(
                "SELECT request_id FROM bt_ciphertexts WHERE pk = @Pk AND dk = @Dk AND fingerprint = @Fingerprint",
                new { device.Pk, device.Dk, Fingerprint = fingerprint });
            ok &= string.Equals(owner, presentationId, StringComparison.Ordinal);
        }
        return ok;
    }
}
