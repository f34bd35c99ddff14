using System.Globalization;

namespace Bindery.Infrastructure;

/// <summary>How the Quectel-style <c>/v2</c> answers write the values several lists share (devices in a user's or a family's list).</summary>
public static class QuectelFields
{
    /// <summary>
    /// The real cloud's integer binding types: 1 SN (and a QR secure add, unverified like it), 2 Wi-Fi (and a Tencent signature binding), 3 PKDK, 4 Bluetooth. A Tencent-style token
    /// binding is 2: the device was provisioned onto Wi-Fi by the app and proved itself by reporting the app's token
    /// over the network, as a Wi-Fi device reports its bindingCode. Anything else (never stored today) is 0.
    /// </summary>
    public static int BindingType(string method) => method switch
    {
        "SN" or "QR" => 1,
        "WIFI" or "TOKEN" or "SIG" => 2,
        "DK" => 3,
        "BT" => 4,
        _ => 0,
    };

    /// <summary>The real API's time strings: UTC, <c>yyyy-MM-dd HH:mm:ss</c> (each has a <c>…Ts</c> twin in Unix ms).</summary>
    public static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
