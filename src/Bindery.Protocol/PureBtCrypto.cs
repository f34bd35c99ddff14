using System.Security.Cryptography;
using System.Text;

namespace Bindery.Protocol;

/// <summary>
/// The byte encodings of the pure-Bluetooth flow (docs/protocol.md): AES-128-CBC with PKCS#7 padding, the key
/// being the 16 ASCII characters of the product secret and the IV the 16 ASCII characters of <c>random</c>;
/// ciphertext in standard Base64; the signature a lowercase-hex SHA-256 over UTF-8 text.
/// </summary>
public static class PureBtCrypto
{
    public const int RandomLength = 16;
    public const int MaxCiphertextBase64Length = 512;
    public const int MinSecretLength = 8;
    public const int MaxSecretLength = 64;

    /// <summary>A <c>random</c> is exactly 16 characters of [A-Za-z0-9]; its ASCII bytes are the IV.</summary>
    public static bool IsValidRandom(string? random) =>
        random is { Length: RandomLength } && random.All(char.IsAsciiLetterOrDigit);

    /// <summary>A bindingSecret is 8–64 characters of [A-Za-z0-9] (so it never contains the payload's comma).</summary>
    public static bool IsValidBindingSecret(string? secret) =>
        secret is { Length: >= MinSecretLength and <= MaxSecretLength } && secret.All(char.IsAsciiLetterOrDigit);

    /// <summary>The AES key: the product secret's 16 ASCII characters, or null when it is not exactly that.</summary>
    public static byte[]? KeyOf(string productSecret)
    {
        if (productSecret.Length != 16 || !productSecret.All(char.IsAscii))
        {
            return null;
        }
        return Encoding.ASCII.GetBytes(productSecret);
    }

    public static string Encrypt(string productSecret, string random, string plaintext)
    {
        var key = KeyOf(productSecret) ?? throw new ArgumentException("product secret must be 16 ASCII characters", nameof(productSecret));
        if (!IsValidRandom(random))
        {
            throw new ArgumentException("random must be 16 characters of [A-Za-z0-9]", nameof(random));
        }
        using var aes = Aes.Create();
        aes.Key = key;
        var cipher = aes.EncryptCbc(Encoding.UTF8.GetBytes(plaintext), Encoding.ASCII.GetBytes(random), PaddingMode.PKCS7);
        return Convert.ToBase64String(cipher);
    }

    /// <summary>The ciphertext bytes of a Base64 field, or null when it is not Base64 of a whole number of AES blocks.</summary>
    public static byte[]? TryDecode(string? base64)
    {
        if (base64 is null || base64.Length > MaxCiphertextBase64Length)
        {
            return null;
        }
        var buffer = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, buffer, out var length) || length == 0 || length % 16 != 0)
        {
            return null;
        }
        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>
    /// What identifies a ciphertext whatever its Base64 spelling: lowercase hex SHA-256 of its decoded bytes (of the
    /// UTF-8 text when it is not Base64, so that every presented ciphertext has one).
    /// </summary>
    public static string Fingerprint(string base64) =>
        Convert.ToHexStringLower(SHA256.HashData(TryDecode(base64) ?? Encoding.UTF8.GetBytes(base64)));

    /// <summary>The plaintext, or null for bad Base64, a wrong length, bad padding or non-UTF-8 bytes.</summary>
    public static string? TryDecrypt(byte[] key, string random, string base64) =>
        TryDecode(base64) is { } cipher ? TryDecrypt(key, random, cipher) : null;

    /// <summary>The plaintext of decoded ciphertext bytes, or null for a wrong length, bad padding or non-UTF-8 bytes.</summary>
    public static string? TryDecrypt(byte[] key, string random, byte[] cipher)
    {
        if (!IsValidRandom(random) || cipher.Length == 0 || cipher.Length % 16 != 0)
        {
            return null;
        }
        try
        {
            using var aes = Aes.Create();
            aes.Key = key;
            var plain = aes.DecryptCbc(cipher, Encoding.ASCII.GetBytes(random), PaddingMode.PKCS7);
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(plain);
        }
        catch (CryptographicException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>SHA-256 of pk + dk + (encryptedBindingCode or bindingCode) + pwd + userDomainSecret, lowercase hex.</summary>
    public static string Signature(string pk, string dk, string bindingCodeField, string? pwd, string userDomainSecret) =>
        Secrets.Sha256Hex(pk + dk + bindingCodeField + (pwd ?? "") + userDomainSecret);

    /// <summary>Constant-time comparison; the presented hex may be in either case.</summary>
    public static bool SignatureMatches(string presented, string expected) =>
        Secrets.FixedTimeEquals(presented.ToLowerInvariant(), expected);

    /// <summary>Splits a decrypted <c>PK,DK,bindingSecret</c> payload; null when it is not exactly three well-formed parts.</summary>
    public static (string Pk, string Dk, string Secret)? ParseSecretPayload(string? plaintext)
    {
        if (plaintext is null)
        {
            return null;
        }
        var parts = plaintext.Split(',');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || !IsValidBindingSecret(parts[2]))
        {
            return null;
        }
        return (parts[0], parts[1], parts[2]);
    }
}
