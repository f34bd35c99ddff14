using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>
/// A pure-Bluetooth device's proof, relayed by the app to <c>unbundlingDeviceDk</c>, that the app is at the device
/// now: <c>pureBtResetCredentials</c> = Base64(AES-128-CBC-PKCS5(<c>PK,DK,bindingSecret</c>, key = the product
/// secret, IV = <c>random</c>)), the same payload encoding as a pure-BT bind's secrets (docs/protocol.md). It holds
/// when:
/// <list type="bullet">
/// <item>this request spent its <c>random</c> and its ciphertext for the device (the same single-use records as a
/// pure-BT bind: a random or ciphertext a bind or an earlier reset used is refused — so the
/// <c>encryptedNewBindingSecret</c> the binder once sent, which encrypts exactly this payload, cannot be replayed);</item>
/// <item>the payload names the request's <c>pk</c> and <c>dk</c> byte for byte;</item>
/// <item>its bindingSecret equals the one on record (SHA-256, compared in constant time).</item>
/// </list>
/// Every check runs whatever fails first; a failure is one answer (5009) and counts as a failed guess of the user.
/// </summary>
public sealed class PureBtResetProof
{
    /// <summary>Compared against when the device has no secret on record, so the work is the same.</summary>
    private static readonly string NoHash = Secrets.Sha256Hex("no secret on record");

    /// <summary>Decrypts with this when the product secret is no AES key, so a refusal does the same work.</summary>
    private static readonly byte[] NoKey = new byte[16];

    private readonly string _pk;
    private readonly string _dk;
    private readonly string _credentials;
    private readonly string _random;
    private readonly string _fingerprint;
    private readonly string _presentationId = Secrets.NewId();
    private bool _spent;

    private PureBtResetProof(string pk, string dk, string credentials, string random)
    {
        _pk = pk;
        _dk = dk;
        _credentials = credentials;
        _random = random;
        _fingerprint = PureBtCrypto.Fingerprint(credentials);
    }

    /// <summary>
    /// Null when neither field is sent. Both go together (9000 otherwise); <c>random</c> is 16 characters of
    /// [A-Za-z0-9] and the credentials at most <see cref="PureBtCrypto.MaxCiphertextBase64Length"/> characters (9001).
    /// <paramref name="pk"/> and <paramref name="dk"/> are the request's, checked already.
    /// </summary>
    public static PureBtResetProof? Create(string pk, string dk, string? credentials, string? random)
    {
        var hasCredentials = !string.IsNullOrEmpty(credentials);
        var hasRandom = !string.IsNullOrEmpty(random);
        if (!hasCredentials && !hasRandom)
        {
            return null;
        }
        if (!hasCredentials || !hasRandom)
        {
            throw new BinderyException(Errors.InvalidParameter, "pureBtResetCredentials and random go together");
        }
        if (!PureBtCrypto.IsValidRandom(random))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "random is 16 characters of [A-Za-z0-9]");
        }
        if (credentials!.Length > PureBtCrypto.MaxCiphertextBase64Length)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "pureBtResetCredentials is too long");
        }
        return new PureBtResetProof(pk, dk, credentials, random!);
    }

    /// <summary>
    /// Spends the <c>random</c> and the ciphertext for the device in a write of its own, committed before the unbind
    /// decides anything: whatever the unbind answers, they are spent.
    /// </summary>
    public async Task PresentAsync(IDatabase db, long now, CancellationToken cancellationToken)
    {
        await PureBtSpending.SpendAsync(db, _pk, _dk, _random, [_fingerprint], _presentationId, now, cancellationToken);
        _spent = true;
    }

    /// <summary>Whether the proof holds for the locked <paramref name="device"/> of a product with secret <paramref name="productSecret"/>.</summary>
    public async Task<bool> VerifyAsync(DbTx tx, BindingDevice device, string productSecret)
    {
        if (!_spent)
        {
            throw new InvalidOperationException("a reset proof must be presented (PresentAsync) before it is verified");
        }
        var spentHere = await PureBtSpending.SpentByAsync(tx, device, _random, [_fingerprint], _presentationId);
        var key = PureBtCrypto.KeyOf(productSecret);
        var payload = PureBtCrypto.ParseSecretPayload(PureBtCrypto.TryDecrypt(key ?? NoKey, _random, _credentials));

        // Non-short-circuiting &: every check runs, whichever fails.
        var ok = key is not null;
        ok &= spentHere;
        ok &= payload is not null;
        ok &= string.Equals(payload?.Pk, _pk, StringComparison.Ordinal) & string.Equals(payload?.Dk, _dk, StringComparison.Ordinal);
        ok &= Secrets.MatchesHash(payload?.Secret ?? "", device.BindingSecretHash ?? NoHash) & device.BindingSecretHash is not null;
        return ok;
    }
}
