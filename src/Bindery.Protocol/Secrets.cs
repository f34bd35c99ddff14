using System.Security.Cryptography;
using System.Text;

namespace Bindery.Protocol;

/// <summary>Random identifiers, tokens and the hashing used to store them.</summary>
public static class Secrets
{
    private const string Alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private const string LowerHex = "0123456789abcdef";

    /// <summary>A random string of <paramref name="length"/> characters from [A-Za-z0-9].</summary>
    public static string RandomAlphanumeric(int length) => RandomNumberGenerator.GetString(Alphanumeric, length);

    /// <summary>A random lowercase-hex identifier (e.g. fid, frid, binding id).</summary>
    public static string NewId(int length = 24) => RandomNumberGenerator.GetString(LowerHex, length);

    /// <summary>
    /// A lowercase-hex identifier of 24 characters, like <see cref="NewId"/>, that sorts by creation time: 11 hex
    /// digits of <paramref name="unixMilliseconds"/>, then 13 random ones (52 bits). For the keys of rows inserted on the
    /// hot path (binding id, event id, push id): a new key lands at the right end of its index instead of on a random
    /// page, so a group commit writes a few index pages instead of one per row. Not for anything that must be
    /// unguessable: its first half is the time.
    /// </summary>
    public static string NewTimeOrderedId(long unixMilliseconds)
    {
        Span<char> id = stackalloc char[24];
        var time = (ulong)Math.Max(0, unixMilliseconds);
        for (var i = 10; i >= 0; i--)
        {
            id[i] = LowerHex[(int)(time & 0xF)];
            time >>= 4;
        }
        RandomNumberGenerator.GetItems(LowerHex, id[11..]);
        return new string(id);
    }

    /// <summary>A bearer-style token: 32 random bytes, base64url, no padding.</summary>
    public static string NewToken() => Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    /// <summary>Lowercase hex SHA-256 of the UTF-8 text: how tokens, codes and keys are stored.</summary>
    public static string Sha256Hex(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>Constant-time comparison of two strings (by their UTF-8 bytes).</summary>
    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>Constant-time check that <paramref name="candidate"/> hashes to <paramref name="storedHash"/>.</summary>
    public static bool MatchesHash(string candidate, string storedHash) =>
        FixedTimeEquals(Sha256Hex(candidate), storedHash);

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
