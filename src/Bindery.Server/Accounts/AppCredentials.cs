using System.Security.Cryptography;
using System.Text;
using Bindery.Protocol;

namespace Bindery.Accounts;

/// <summary>
/// The password transport and request signatures of the Quectel app SDK (docs/quectel-api.md, "Accounts"):
/// <c>pwd</c> = Base64(AES-128-CBC-PKCS5(password, key, iv)) with key = characters 8–23 of the upper-case MD5 hex
/// of <c>random</c> (as ASCII bytes) and iv = key[8..16] + key[0..8]; <c>signature</c> = hex SHA-256 of the
/// documented concatenation ending in the user domain's secret.
/// </summary>
public static class AppCredentials
{
    public const int MaxRandomLength = 64;

    /// <summary>The password inside <paramref name="pwd"/>, or null when it is not Base64 or does not decrypt under <paramref name="random"/>.</summary>
    public static string? DecryptPassword(string pwd, string random)
    {
        byte[] cipherText;
        try
        {
            cipherText = Convert.FromBase64String(pwd.Trim());
        }
        catch (FormatException)
        {
            return null;
        }
        if (cipherText.Length == 0 || cipherText.Length % 16 != 0)
        {
            return null;
        }
        var (key, iv) = KeyAndIv(random);
        using var aes = Aes.Create();
        aes.Key = key;
        try
        {
            var plain = aes.DecryptCbc(cipherText, iv, PaddingMode.PKCS7);
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(plain);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    private static (byte[] Key, byte[] Iv) KeyAndIv(string random)
    {
        // MD5 is what the SDK derives the key with (a key derivation fixed by the wire format, not a security choice).
#pragma warning disable CA5351
        var md5 = Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(random)));
#pragma warning restore CA5351
        var key = md5[8..24];
        return (Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(key[8..16] + key[..8]));
    }

    /// <summary>Whether <paramref name="presented"/> (hex, either case) is the SHA-256 of <paramref name="signedText"/>; constant time.</summary>
    public static bool SignatureMatches(string? presented, string signedText) =>
        presented is { Length: 64 } && Secrets.FixedTimeEquals(presented.ToLowerInvariant(), Secrets.Sha256Hex(signedText));
}
