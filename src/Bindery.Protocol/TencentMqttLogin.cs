using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bindery.Protocol;

/// <summary>
/// The CONNECT of a Tencent-protocol device (docs/device-api.md, "Devices over MQTT"): client id
/// <c>{ProductId}{DeviceName}</c>, username <c>{ProductId}{DeviceName};21010406;{connid};{expiry}</c>, password the
/// lowercase hex HMAC (SHA-256 as esp-qcloud, SHA-1 as Tencent's C SDK) of the username, keyed with the base64-decoded
/// device secret, suffixed <c>;hmacsha256</c> / <c>;hmacsha1</c>. For the simulator and the benchmark; the server
/// checks with its own code (Mqtt/MqttDeviceAuth) and the tests with a third, written from the SDKs' rules.
/// </summary>
public sealed record TencentMqttLogin(string ClientId, string Username, string Password)
{
    /// <summary>The C SDK's expiry (LONG_MAX: the password never expires).</summary>
    public const long NeverExpires = long.MaxValue;

    /// <summary>Tencent's SDK app id, sent in every username and not checked.</summary>
    public const string SdkAppId = "21010406";

    /// <summary>
    /// The login of <paramref name="device"/>. <paramref name="sha1"/>: the C SDK's HMAC-SHA1 instead of
    /// esp-qcloud's HMAC-SHA256. Throws <see cref="FormatException"/> when the device secret is not base64 (such a
    /// device can never connect over MQTT).
    /// </summary>
    public static TencentMqttLogin Of(DeviceIdentity device, bool sha1 = false, long expiry = NeverExpires, string? connId = null)
    {
        var clientId = device.Pk + device.Dk;
        connId ??= RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 5);
        var username = $"{clientId};{SdkAppId};{connId};{expiry.ToString(CultureInfo.InvariantCulture)}";
        var key = Convert.FromBase64String(device.DeviceSecret);
        var method = sha1 ? TencentHmac.HmacSha1 : TencentHmac.HmacSha256;
        return new TencentMqttLogin(clientId, username, TencentHmac.HexDigest(key, username, method) + ";" + method);
    }

    /// <summary><c>$thing/up/{type}/{pk}/{dk}</c>: where the device publishes (<c>service</c> for Tencent's messages, <c>bindery</c> for Bindery's).</summary>
    public static string UpTopic(string type, DeviceIdentity device) => $"$thing/up/{type}/{device.Pk}/{device.Dk}";

    /// <summary><c>$thing/down/+/{pk}/{dk}</c>: every message to the device.</summary>
    public static string DownFilter(DeviceIdentity device) => $"$thing/down/+/{device.Pk}/{device.Dk}";

    /// <summary>No password in a log, a dump or an exception message.</summary>
    public override string ToString() => $"TencentMqttLogin {{ ClientId = {ClientId} }}";
}
