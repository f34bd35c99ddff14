using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bindery.Protocol;

/// <summary>
/// The signature a Tencent-protocol device computes for <c>AppSigBindDeviceInFamily</c> (docs/binding.md, "Signature
/// binding"): lowercase hex HMAC-SHA1 (the default) or HMAC-SHA256 of
/// <c>DeviceName={dk}&amp;DeviceTimestamp={unix s}&amp;ProductId={pk}&amp;ConnId={connId}</c>, keyed with the
/// base64-decoded device secret (Tencent's PSK). Shared by the server, which checks it, and the simulator, which plays
/// the device.
/// </summary>
public static class TencentBindSignature
{
    public const string HmacSha1 = TencentHmac.HmacSha1;
    public const string HmacSha256 = TencentHmac.HmacSha256;

    /// <summary>The text the device signs.</summary>
    public static string Plaintext(string pk, string dk, long deviceTimestamp, string connId) =>
        $"DeviceName={dk}&DeviceTimestamp={deviceTimestamp.ToString(CultureInfo.InvariantCulture)}&ProductId={pk}&ConnId={connId}";

    /// <summary>
    /// The signature under <paramref name="signMethod"/> (hmacsha1 or hmacsha256); null when the method is neither or
    /// the device secret is not base64 (such a device cannot sign).
    /// </summary>
    public static string? Sign(string deviceSecret, string pk, string dk, long deviceTimestamp, string connId, string signMethod)
    {
        var key = new byte[deviceSecret.Length];
        if (!Convert.TryFromBase64String(deviceSecret, key, out var length))
        {
            return null;
        }
        return TencentHmac.HexDigest(key.AsSpan(0, length), Plaintext(pk, dk, deviceTimestamp, connId), signMethod);
    }
}

/// <summary>
/// The <c>DeviceSignature</c> of a QR code for <c>AppSecureAddDeviceInFamily</c> (docs/binding.md, "QR secure add"):
/// <c>{payload}.{mac}</c>, both base64url without padding, where payload = UTF-8 of <c>{pk}\n{dk}\n{expiresAt}</c>
/// (expiresAt in Unix seconds) and mac = HMAC-SHA256(key = the device secret's UTF-8 bytes, message =
/// <c>bindery-qr-v1\n</c> + payload). Issued by the admin API or computed by the device maker's own tools.
/// </summary>
public static class QrDeviceSignature
{
    /// <summary>Domain separation: no other Bindery MAC under the device secret starts with this line.</summary>
    public const string Context = "bindery-qr-v1\n";

    /// <summary>Longest DeviceSignature accepted (pk 64 + dk 48 + the rest, base64url).</summary>
    public const int MaxLength = 512;

    public sealed record Parsed(string Pk, string Dk, long ExpiresAt, byte[] Mac, string Payload);

    public static string Issue(string deviceSecret, string pk, string dk, long expiresAt)
    {
        var payload = Payload(pk, dk, expiresAt);
        return Base64Url(Encoding.UTF8.GetBytes(payload)) + "." + Base64Url(Mac(deviceSecret, payload));
    }

    /// <summary>The QR code's text: the JSON an app scans (ProductId, DeviceName, DeviceSignature).</summary>
    public static string QrPayload(string pk, string dk, string deviceSignature) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["ProductId"] = pk,
            ["DeviceName"] = dk,
            ["DeviceSignature"] = deviceSignature,
        });

    public static byte[] Mac(string deviceSecret, string payload) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(deviceSecret), Encoding.UTF8.GetBytes(Context + payload));

    /// <summary>The signature's parts, or null when it is not of the form (nothing is verified here).</summary>
    public static Parsed? Parse(string? signature)
    {
        if (signature is null || signature.Length > MaxLength)
        {
            return null;
        }
        var dot = signature.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot != signature.LastIndexOf('.') || FromBase64Url(signature[..dot]) is not { } payloadBytes
            || FromBase64Url(signature[(dot + 1)..]) is not { Length: 32 } mac)
        {
            return null;
        }
        string payload;
        try
        {
            payload = new UTF8Encoding(false, true).GetString(payloadBytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        var fields = payload.Split('\n');
        if (fields is not [var pk, var dk, var expiry] || pk.Length == 0 || dk.Length == 0
            || !long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt))
        {
            return null;
        }
        return new Parsed(pk, dk, expiresAt, mac, payload);
    }

    private static string Payload(string pk, string dk, long expiresAt) =>
        $"{pk}\n{dk}\n{expiresAt.ToString(CultureInfo.InvariantCulture)}";

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string text)
    {
        if (text.Length == 0 || text.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            return null;
        }
        var padded = text.Replace('-', '+').Replace('_', '/') + new string('=', (4 - text.Length % 4) % 4);
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
