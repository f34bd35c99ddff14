using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bindery.Devices;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Mqtt;

/// <summary>
/// Authenticates an MQTT connect the way Tencent's device SDKs sign it (docs/device-api.md, "Devices over MQTT"),
/// knowing nothing of MQTTnet: client id <c>{pk}{dk}</c>; username <c>{pk}{dk};{sdkappid};{connid};{expiry}</c>;
/// password <c>hex(HMAC(key = base64-decode(device secret), message = username));hmacsha1</c> or
/// <c>…;hmacsha256</c>. Every refusal looks the same to the caller (null) and in the log. Failures are counted in
/// guess_counters per remote address and device, per remote address, and per device (a warning only).
/// </summary>
public sealed class MqttDeviceAuth(IDatabase db, TimeProvider clock, IOptions<MqttOptions> options, ILogger<MqttDeviceAuth> logger)
{
    /// <summary>Per remote address and username's first field (<c>{ip}|{pk}{dk}</c>): refuses at <see cref="MqttOptions.AuthFailuresPerAddressAndDevice"/>.</summary>
    public const string AddressDeviceScope = "mqtt-auth-address-device";

    /// <summary>Per remote address: refuses at <see cref="MqttOptions.AuthFailuresPerAddress"/>.</summary>
    public const string AddressScope = "mqtt-auth-address";

    /// <summary>Per device (<c>pk/dk</c>), whatever the address: a warning at <see cref="FailureWarningThreshold"/>, never a lock-out.</summary>
    public const string DeviceScope = "mqtt-auth";

    public const int FailureWarningThreshold = 20;

    public const string HmacSha1 = TencentHmac.HmacSha1;
    public const string HmacSha256 = TencentHmac.HmacSha256;

    /// <summary>Longest first field of a username: the longest pk (64) and the longest dk (48).</summary>
    private const int MaxClientIdLength = 64 + 48;

    private MqttOptions Options => options.Value;

    /// <summary>The four fields of a Tencent-style username.</summary>
    public sealed record Username(string ClientId, string SdkAppId, string ConnId, long Expiry);

    private sealed class Candidate
    {
        public string Pk { get; set; } = "";

        public string Dk { get; set; } = "";

        public string DeviceSecret { get; set; } = "";
    }

    /// <summary>
    /// <c>{pk}{dk};{sdkappid};{connid};{expiry}</c>, expiry decimal Unix seconds compared as an integer (the SDKs send
    /// 9223372036854775807 or 2147483647); null when it is not of that form.
    /// </summary>
    public static Username? ParseUsername(string? username)
    {
        var fields = username?.Split(';');
        if (fields is not { Length: 4 } || fields.Any(f => f.Length == 0) || fields[0].Length > MaxClientIdLength
            || !long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var expiry))
        {
            return null;
        }
        return new Username(fields[0], fields[1], fields[2], expiry);
    }

    /// <summary>The lowercase hex HMAC of <paramref name="username"/> under <paramref name="algorithm"/> (hmacsha1 or hmacsha256).</summary>
    public static string? Sign(byte[] key, string username, string algorithm) => TencentHmac.HexDigest(key, username, algorithm);

    /// <summary>
    /// The device, when the connect checks out; null for every refusal (malformed username, client id not the
    /// username's first field, expiry past, unknown device, a secret that is not base64, a wrong password, a limit
    /// reached), so that nothing tells them apart.
    /// </summary>
    public async Task<AuthenticatedDevice?> AuthenticateAsync(string? clientId, string? username, byte[]? password, string remoteAddress)
    {
        var now = clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var parsed = ParseUsername(username);
        var subject = parsed?.ClientId ?? "";
        var (addressFailures, pairFailures, candidates) = await db.ReadAsync(async c =>
        {
            var address = await GuessCounters.FailuresAsync(c, AddressScope, remoteAddress, Options.AuthFailureWindow, nowMs);
            var pair = await GuessCounters.FailuresAsync(c, AddressDeviceScope, remoteAddress + "|" + subject, Options.AuthFailureWindow, nowMs);
            var found = parsed is null || parsed.ClientId != clientId || parsed.Expiry <= now.ToUnixTimeSeconds()
                ? []
                : (await c.QueryAsync<Candidate>(
                    $"SELECT pk, dk, device_secret FROM devices WHERE {db.Dialect.InList("pk", "@Pks")} AND pk || dk = @ClientId",
                    new { Pks = Prefixes(parsed.ClientId), parsed.ClientId })).ToList();
            return (address, pair, found);
        });
        if (addressFailures >= Options.AuthFailuresPerAddress || pairFailures >= Options.AuthFailuresPerAddressAndDevice)
        {
            // Refused unchecked, and not counted: a flood does not turn into a flood of writes.
            return null;
        }
        var device = Verify(candidates, username!, password);
        if (device is null)
        {
            await RecordFailureAsync(remoteAddress, subject, candidates.Count == 1 ? candidates[0] : null, nowMs);
        }
        return device;
    }

    /// <summary>Every split of the client id whose first part may be a product key (1-64 characters, a non-empty rest).</summary>
    private static string[] Prefixes(string clientId) =>
        Enumerable.Range(1, Math.Min(64, clientId.Length - 1)).Select(n => clientId[..n]).ToArray();

    private static AuthenticatedDevice? Verify(List<Candidate> candidates, string username, byte[]? password)
    {
        if (candidates.Count == 0 || password is null)
        {
            return null;
        }
        var text = Encoding.UTF8.GetString(password);
        var separator = text.LastIndexOf(';');
        if (separator < 0)
        {
            return null;
        }
        var presented = text[..separator].ToLowerInvariant();
        var algorithm = text[(separator + 1)..];
        foreach (var candidate in candidates)
        {
            // A dk that cannot stand in a topic level cannot have topics of its own.
            if (candidate.Pk.Concat(candidate.Dk).Any(ch => ch is '/' or '+' or '#'))
            {
                continue;
            }
            var key = new byte[candidate.DeviceSecret.Length];
            if (!Convert.TryFromBase64String(candidate.DeviceSecret, key, out var length))
            {
                continue;
            }
            var expected = Sign(key.AsSpan(0, length).ToArray(), username, algorithm);
            if (expected is not null && Secrets.FixedTimeEquals(presented, expected))
            {
                return new AuthenticatedDevice(candidate.Pk, candidate.Dk);
            }
        }
        return null;
    }

    private async Task RecordFailureAsync(string remoteAddress, string subject, Candidate? device, long now)
    {
        var deviceFailures = await db.WriteAsync(async tx =>
        {
            await GuessCounters.RecordFailureAsync(tx, AddressScope, remoteAddress, Options.AuthFailureWindow, now);
            await GuessCounters.RecordFailureAsync(tx, AddressDeviceScope, remoteAddress + "|" + subject, Options.AuthFailureWindow, now);
            return device is null ? 0 : await GuessCounters.RecordFailureAsync(tx, DeviceScope, device.Pk + "/" + device.Dk, Options.AuthFailureWindow, now);
        });
        if (deviceFailures == FailureWarningThreshold)
        {
            // Only public identifiers: never the username's other fields or the password.
            logger.LogWarning("MQTT: {Failures} failed connects as {Pk}/{Dk} within {Window}", deviceFailures, device!.Pk, device.Dk, Options.AuthFailureWindow);
        }
    }
}
