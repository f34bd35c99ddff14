using System.Security.Cryptography;
using System.Text;

namespace Bindery.Webhooks;

/// <summary>
/// How a webhook POST is signed (docs/events.md, "Webhooks"): <c>X-Bindery-Signature: v1=&lt;hex&gt;</c>, the lowercase hex
/// HMAC-SHA256, keyed with the endpoint's secret (its UTF-8 bytes, as shown at registration), of
/// <c>&lt;X-Bindery-Timestamp&gt; + "." + &lt;the raw body&gt;</c>. The same as
/// <c>printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET"</c>.
/// </summary>
public static class WebhookSignature
{
    public const string EventIdHeader = "X-Bindery-Event-Id";
    public const string EventKindHeader = "X-Bindery-Event-Kind";
    public const string TimestampHeader = "X-Bindery-Timestamp";
    public const string SignatureHeader = "X-Bindery-Signature";
    public const string Version = "v1";

    /// <summary>The secret an endpoint is given: "whsec_" and 32 random bytes, base64url.</summary>
    public static string NewSecret() => "whsec_" + Protocol.Secrets.NewToken();

    /// <summary>The header value: <c>v1=</c> and the hex HMAC-SHA256 of <c>timestamp + "." + body</c>.</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body) => Sign(Key(secret), timestamp, body);

    /// <summary>The HMAC key of a secret (its UTF-8 bytes); the worker keeps it per endpoint rather than per POST.</summary>
    public static byte[] Key(string secret) => Encoding.UTF8.GetBytes(secret);

    /// <summary>
    /// <see cref="Sign(string, long, ReadOnlySpan{byte})"/> with the key already made: the HMAC runs incrementally
    /// over the timestamp, the dot and the body, with no copy of the body.
    /// </summary>
    public static string Sign(byte[] key, long timestamp, ReadOnlySpan<byte> body)
    {
        Span<byte> prefix = stackalloc byte[24];
        timestamp.TryFormat(prefix, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        prefix[written++] = (byte)'.';
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix[..written]);
        hmac.AppendData(body);
        Span<byte> mac = stackalloc byte[32];
        hmac.GetHashAndReset(mac);
        return string.Create(3 + 64, mac.ToArray(), static (chars, bytes) =>
        {
            "v1=".CopyTo(chars);
            Convert.TryToHexStringLower(bytes, chars[3..], out _);
        });
    }
}
