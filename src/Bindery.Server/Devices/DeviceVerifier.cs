using System.Globalization;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Dapper;

namespace Bindery.Devices;

/// <summary>A device whose request carried a valid, fresh, never-seen signature.</summary>
public sealed record AuthenticatedDevice(string Pk, string Dk);

/// <summary>
/// A request whose signature checked out but whose nonce is not spent yet: whoever holds it spends the nonce with
/// <see cref="DeviceVerifier.SpendNonceAsync"/> in the write that carries out the request (one durable write instead
/// of two), or with <see cref="DeviceVerifier.SpendAsync"/> on its own, before answering anything.
/// </summary>
public sealed record SignedDeviceRequest(AuthenticatedDevice Device, string Nonce);

/// <summary>
/// What a device presents with a request, whatever carries it (HTTP headers today): pk and dk as sent (dk in any
/// accepted spelling), Unix-seconds timestamp, nonce and the hex HMAC-SHA256 signature.
/// </summary>
public sealed record DeviceCredentials(string Pk, string Dk, string Timestamp, string Nonce, string Signature);

/// <summary>
/// Verifies a device's signed request, knowing nothing of the transport (docs/device-api.md): the transport hands in
/// the credentials and the canonical string it built over exactly what it received (for HTTP:
/// <see cref="DeviceSignature.CanonicalString"/> over METHOD, PATH, the credentials and the body). Every refusal is
/// 9011 without saying whether the device, its secret or the signature was wrong; stale timestamps and reused nonces
/// are named, as they reveal nothing. Each nonce is spent in <c>device_nonces</c> (single use per device); signature
/// failures are counted per device in guess_counters.
/// </summary>
public sealed class DeviceVerifier(IDatabase db, TimeProvider clock, ILogger<DeviceVerifier> logger, Audit.SecurityAudit audit)
{
    public const string FailureScope = "device-auth";

    /// <summary>Failures within <see cref="FailureWindow"/> after which a warning is logged (pk/dk only).</summary>
    public const int FailureWarningThreshold = 20;

    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(15);

    private sealed class SecretRow
    {
        public string Dk { get; set; } = "";
        public string DeviceSecret { get; set; } = "";
    }

    /// <summary>
    /// The device, once <paramref name="credentials"/> and the signature over <paramref name="canonicalString"/> check
    /// out and the nonce is spent; otherwise throws <see cref="Errors.DeviceAuthFailed"/>. The canonical string must
    /// contain the credentials' pk, dk, timestamp and nonce as sent, so that a signature covers them.
    /// </summary>
    public async Task<AuthenticatedDevice> VerifyAsync(DeviceCredentials credentials, string canonicalString)
    {
        var request = await CheckSignatureAsync(credentials, canonicalString);
        await SpendAsync(request);
        return request.Device;
    }

    /// <summary>Spends the nonce of a signed request in a write of its own; a nonce already used refuses the request.</summary>
    public async Task SpendAsync(SignedDeviceRequest request)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            await db.WriteAsync(tx => SpendNonceAsync(tx, request, now));
        }
        catch (BinderyException replay) when (replay.Error == Errors.DeviceAuthFailed)
        {
            await RecordReplayAsync(request);
            throw;
        }
    }

    /// <summary>Records (throttled) that a correctly signed request replayed a spent nonce (audit log).</summary>
    public Task RecordReplayAsync(SignedDeviceRequest request) => audit.ReplayedNonceAsync(request.Device.Pk, request.Device.Dk);

    /// <summary>
    /// Spends the nonce in the caller's write transaction: throws <see cref="Errors.DeviceAuthFailed"/> ("nonce already
    /// used"), which rolls back whatever the transaction wrote, when the nonce was spent before. Also forgets the
    /// device's expired nonces.
    /// </summary>
    public static async Task<bool> SpendNonceAsync(DbTx tx, SignedDeviceRequest request, long now)
    {
        var (pk, dk) = request.Device;
        await tx.ExecuteAsync("DELETE FROM device_nonces WHERE pk = @Pk AND dk = @Dk AND expires_at < @Now",
            new { Pk = pk, Dk = dk, Now = now });
        var fresh = await tx.ExecuteAsync(
            "INSERT INTO device_nonces (pk, dk, nonce, expires_at) VALUES (@Pk, @Dk, @Nonce, @ExpiresAt) ON CONFLICT (pk, dk, nonce) DO NOTHING",
            new { Pk = pk, Dk = dk, request.Nonce, ExpiresAt = now + 2 * (long)DeviceSignature.MaxSkew.TotalMilliseconds });
        return fresh != 0 ? true : throw new BinderyException(Errors.DeviceAuthFailed, "nonce already used");
    }

    /// <summary>
    /// Checks <paramref name="credentials"/> and the signature over <paramref name="canonicalString"/> like
    /// <see cref="VerifyAsync"/>, but leaves the nonce unspent: the caller must spend it before it answers.
    /// </summary>
    public async Task<SignedDeviceRequest> CheckSignatureAsync(DeviceCredentials credentials, string canonicalString)
    {
        var (pk, dk, timestamp, nonce, signature) = credentials;
        if (pk.Length == 0 || dk.Length == 0 || timestamp.Length == 0 || nonce.Length == 0 || signature.Length == 0)
        {
            throw new BinderyException(Errors.DeviceAuthFailed, "pk, dk, timestamp, nonce and signature are required");
        }
        var now = clock.GetUtcNow();
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > (long)DeviceSignature.MaxSkew.TotalSeconds)
        {
            throw new BinderyException(Errors.DeviceAuthFailed, $"timestamp must be Unix seconds within {DeviceSignature.MaxSkew.TotalSeconds} s of server time");
        }
        if (!DeviceSignature.IsValidNonce(nonce))
        {
            throw new BinderyException(Errors.DeviceAuthFailed, $"nonce is {DeviceSignature.MinNonceLength}-{DeviceSignature.MaxNonceLength} characters of [A-Za-z0-9_-]");
        }

        // The dk as stored depends on the product's device-key format (normalised IMEI/MAC, or exact); the lookup
        // picks the spelling by the product in the same statement.
        var (dkNormalized, dkExact) = DeviceKeyFormats.LookupKeys(dk);
        var device = pk.Length <= 64 && DeviceKeys.IsPlausible(dk)
            ? await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SecretRow>(
                $"SELECT dk, device_secret FROM devices WHERE pk = @Pk AND dk = {DeviceKeyFormats.StoredDkSql}",
                new { Pk = pk, DkNormalized = dkNormalized, DkExact = dkExact }))
            : null;
        var normalizedDk = device?.Dk;
        var expected = device is null ? null : DeviceSignature.Sign(device.DeviceSecret, canonicalString);
        if (expected is null || !Secrets.FixedTimeEquals(signature.ToLowerInvariant(), expected))
        {
            if (device is not null)
            {
                await RecordFailureAsync(pk, normalizedDk!, now.ToUnixTimeMilliseconds());
            }
            throw new BinderyException(Errors.DeviceAuthFailed);
        }

        return new SignedDeviceRequest(new AuthenticatedDevice(pk, normalizedDk!), nonce);
    }

    private async Task RecordFailureAsync(string pk, string dk, long now)
    {
        var subject = pk + "/" + dk;
        var failures = await db.WriteAsync(async tx =>
        {
            var count = await GuessCounters.RecordFailureAsync(tx, FailureScope, subject, FailureWindow, now);
            if (count == FailureWarningThreshold)
            {
                await audit.RecordAsync(tx, now, new Audit.SecurityEvent(Audit.RefusalReasons.SignatureFailures, Audit.RefusalSubjects.Device, Audit.RefusalProofs.DeviceSignature, Pk: pk, Dk: dk));
            }
            return count;
        });
        if (failures == FailureWarningThreshold)
        {
            // Only public identifiers: the device key is printed on the device, never a secret.
            logger.LogWarning("Device API: {Failures} bad signatures for {Pk}/{Dk} within {Window}", failures, pk, dk, FailureWindow);
        }
    }
}
