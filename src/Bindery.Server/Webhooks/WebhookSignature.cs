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
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Version + "=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }
}
