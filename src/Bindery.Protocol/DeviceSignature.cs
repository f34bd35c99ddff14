using System.Security.Cryptography;
using System.Text;

namespace Bindery.Protocol;

/// <summary>
/// The device API's request signature (docs/device-api.md): lowercase-hex HMAC-SHA256, keyed with the UTF-8
/// bytes of the device secret, over the canonical string
/// <c>METHOD \n PATH \n PK \n DK \n TIMESTAMP \n NONCE \n SHA256HEX(BODY)</c>.
/// </summary>
public static class DeviceSignature
{
    public const string PkHeader = "X-Bindery-Pk";
    public const string DkHeader = "X-Bindery-Dk";
    public const string TimestampHeader = "X-Bindery-Timestamp";
    public const string NonceHeader = "X-Bindery-Nonce";
    public const string SignatureHeader = "X-Bindery-Signature";

    /// <summary>Largest accepted difference between the device's timestamp and the server clock.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(300);

    public const int MinNonceLength = 16;
    public const int MaxNonceLength = 64;

    public static bool IsValidNonce(string? nonce) =>
        nonce is { Length: >= MinNonceLength and <= MaxNonceLength } && nonce.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The exact text that is signed. <paramref name="path"/> excludes the query string; pk and dk are as sent in the headers.</summary>
    public static string CanonicalString(string method, string path, string pk, string dk, string timestamp, string nonce, ReadOnlySpan<byte> body) =>
        string.Join('\n', method.ToUpperInvariant(), path, pk, dk, timestamp, nonce, Convert.ToHexStringLower(SHA256.HashData(body)));

    public static string Sign(string deviceSecret, string canonicalString) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(deviceSecret), Encoding.UTF8.GetBytes(canonicalString)));
}
