using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bindery.Protocol;

/// <summary>
/// What a sub-device proves to the cloud through its gateway: Tencent's gateway bind signature
/// (the <c>$gateway/operation</c> <c>bind</c> message, Tencent IoT C SDK): text = <c>{pk}{dk};{random};{timestamp}</c>,
/// signature = Base64(lowercase hex(HMAC-SHA1 or HMAC-SHA256(key = the sub-device's secret as stored, text))). Only a
/// party that holds the sub-device's secret (the sub-device, or a gateway it was paired with and gave it to) can
/// compute it, so a gateway cannot claim devices it never paired. Base64 of the raw digest is accepted too.
/// </summary>
public static class SubDeviceSignature
{
    public const string HmacSha1 = TencentHmac.HmacSha1;
    public const string HmacSha256 = TencentHmac.HmacSha256;

    /// <summary>How far the signature's timestamp may be from the server's clock, either way.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    public static string Text(string pk, string dk, long random, long timestamp) =>
        string.Create(CultureInfo.InvariantCulture, $"{pk}{dk};{random};{timestamp}");

    /// <summary>The signature as Tencent's SDK sends it (what the simulator and tests compute).</summary>
    public static string Compute(string deviceSecret, string pk, string dk, long random, long timestamp, string signMethod = HmacSha256)
    {
        var digest = Digest(deviceSecret, Text(pk, dk, random, timestamp), signMethod)
            ?? throw new ArgumentOutOfRangeException(nameof(signMethod));
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(digest)));
    }

    /// <summary>
    /// Whether <paramref name="signature"/> is the sub-device's signature over the text (constant time; both accepted
    /// encodings are compared, whichever matches).
    /// </summary>
    public static bool Matches(string deviceSecret, string pk, string dk, long random, long timestamp, string? signMethod, string? signature)
    {
        var digest = Digest(deviceSecret, Text(pk, dk, random, timestamp), signMethod ?? HmacSha1);
        if (digest is null || string.IsNullOrEmpty(signature) || signature.Length > 512)
        {
            return false;
        }
        var sent = Encoding.ASCII.GetBytes(signature.Trim());
        var hexForm = Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(digest))));
        var rawForm = Encoding.ASCII.GetBytes(Convert.ToBase64String(digest));
        return CryptographicOperations.FixedTimeEquals(sent, hexForm) | CryptographicOperations.FixedTimeEquals(sent, rawForm);
    }

    public static bool IsKnownMethod(string? signMethod) => signMethod is null or HmacSha1 or HmacSha256;

    private static byte[]? Digest(string deviceSecret, string text, string signMethod) =>
        TencentHmac.Digest(Encoding.UTF8.GetBytes(deviceSecret), Encoding.UTF8.GetBytes(text), signMethod);
}
