using System.Security.Cryptography;
using System.Text;

namespace Bindery.Protocol;

/// <summary>
/// The HMAC a Tencent-protocol device signs with, named by its <c>SignMethod</c>: <c>hmacsha1</c> (Tencent's C SDK
/// default) or <c>hmacsha256</c> (esp-qcloud). One place for the MQTT login, the signature binding and the gateway's
/// sub-device signatures, on the device side and the server side alike.
/// </summary>
public static class TencentHmac
{
    public const string HmacSha1 = "hmacsha1";
    public const string HmacSha256 = "hmacsha256";

    /// <summary>The HMAC of <paramref name="message"/> under <paramref name="signMethod"/>; null for any other method.</summary>
    public static byte[]? Digest(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, string? signMethod) => signMethod switch
    {
        // What Tencent's devices send; an HMAC (unlike a bare hash) is not weakened by SHA-1's collisions.
#pragma warning disable CA5350
        HmacSha1 => HMACSHA1.HashData(key, message),
#pragma warning restore CA5350
        HmacSha256 => HMACSHA256.HashData(key, message),
        _ => null,
    };

    /// <summary>The lowercase hex HMAC of the UTF-8 <paramref name="message"/>; null for an unknown method.</summary>
    public static string? HexDigest(ReadOnlySpan<byte> key, string message, string? signMethod) =>
        Digest(key, Encoding.UTF8.GetBytes(message), signMethod) is { } digest ? Convert.ToHexStringLower(digest) : null;
}
