using Bindery.Infrastructure;
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
/// Pure-BT possession proof (docs/protocol.md, docs/binding.md): the signature is checked before anything is
/// decrypted; each <c>random</c> is accepted once per device; possession is proven by the device's current
/// bindingCode or by the old bindingSecret; on success the device's bindingSecret is rotated to the new one.
/// Nothing unproven is ever bound.
/// </summary>
public sealed class PureBtProof : IPossessionProof
{
    public const int MaxPwdLength = 64;

    private readonly PureBtFields _fields;

    private PureBtProof(PureBtFields fields) => _fields = fields;

    /// <summary>Checks the shape of every field (no secrets needed) and returns the proof to hand to the core.</summary>
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
        var f = _fields;
        var device = context.Device;
        var codeField = f.EncryptedBindingCode is { Length: > 0 } encrypted ? encrypted : f.BindingCode!;

        // 1. The signature, before any decryption.
        var expected = PureBtCrypto.Signature(f.Pk, f.Dk, codeField, f.Pwd, context.UserDomainSecret);
        if (!PureBtCrypto.SignatureMatches(f.Signature!, expected))
        {
            return ProofResult.Fail(Errors.DeviceVerificationFailed, "signature mismatch", countsAsGuess: true);
        }

        // 2. Each random (the IV) once per device: a captured request cannot be replayed.
        var fresh = await context.Tx.ExecuteAsync(
            "INSERT INTO bt_randoms (pk, dk, random, used_at) VALUES (@Pk, @Dk, @Random, @Now) ON CONFLICT (pk, dk, random) DO NOTHING",
            new { device.Pk, device.Dk, f.Random, context.Now });
        if (fresh == 0)
        {
            return ProofResult.Fail(Errors.DeviceVerificationFailed, "random already used", countsAsGuess: true);
        }

        var key = PureBtCrypto.KeyOf(context.Product.Ps);
        if (key is null)
        {
            return ProofResult.Fail(Errors.UnsupportedOperation, "the product secret is not a 16-character AES key", countsAsGuess: false);
        }

        // 3. The binding code. A ciphertext that does not decrypt to a well-formed code answers exactly like a wrong
        //    code, so the endpoint is no padding oracle.
        var code = f.BindingCode;
        if (f.EncryptedBindingCode is { Length: > 0 })
        {
            code = PureBtCrypto.TryDecrypt(key, f.Random!, f.EncryptedBindingCode);
            if (!BindingCodes.IsWellFormed(code))
            {
                return ProofResult.Fail(Errors.BindingCodeVerificationFailed, null, countsAsGuess: true);
            }
        }

        // 4. The new binding secret must name this very device.
        var newSecret = DecryptSecret(key, f.Random!, f.EncryptedNewBindingSecret!, device);
        if (newSecret is null)
        {
            return ProofResult.Fail(Errors.DeviceVerificationFailed, "encryptedNewBindingSecret does not hold this device's PK,DK,bindingSecret", countsAsGuess: true);
        }

        // 5. The old binding secret, when sent, must name this device and match the one on record (if any).
        var provenBySecret = false;
        if (f.EncryptedOldBindingSecret is { Length: > 0 })
        {
            var oldSecret = DecryptSecret(key, f.Random!, f.EncryptedOldBindingSecret, device);
            if (oldSecret is null)
            {
                return ProofResult.Fail(Errors.DeviceVerificationFailed, "encryptedOldBindingSecret does not hold this device's PK,DK,bindingSecret", countsAsGuess: true);
            }
            if (device.BindingSecretHash is not null)
            {
                if (!Secrets.MatchesHash(oldSecret, device.BindingSecretHash))
                {
                    return ProofResult.Fail(Errors.DeviceVerificationFailed, "old bindingSecret mismatch", countsAsGuess: true);
                }
                provenBySecret = true;
            }
        }

        // 6. Without the old secret, only the device's current bindingCode proves possession.
        if (!provenBySecret)
        {
            var byCode = await BindingCodes.VerifyAndConsumeAsync(context, code!);
            if (byCode is not ProofResult.ProvenResult)
            {
                return byCode;
            }
        }

        await context.Tx.ExecuteAsync(
            "UPDATE devices SET binding_secret_hash = @Hash, binding_secret_reported_at = @Now WHERE pk = @Pk AND dk = @Dk",
            new { Hash = Secrets.Sha256Hex(newSecret), context.Now, device.Pk, device.Dk });
        return ProofResult.Proven;
    }

    private static string? DecryptSecret(byte[] key, string random, string base64, BindingDevice device)
    {
        var payload = PureBtCrypto.ParseSecretPayload(PureBtCrypto.TryDecrypt(key, random, base64));
        if (payload is not { } p
            || !string.Equals(p.Pk, device.Pk, StringComparison.Ordinal)
            || DeviceKeys.Normalize(p.Dk) != device.Dk)
        {
            return null;
        }
        return p.Secret;
    }
}
