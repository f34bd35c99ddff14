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
        var param = NonceParameters(request, clock.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            if (!db.Dialect.WritableCtes)
            {
                await db.WriteAsync(tx => SpendNonceAsync(tx, param));
            }
            // PostgreSQL: the device's expired nonces go in the same statement; one round trip, no transaction around it.
            else if (await db.ExecuteWriteAsync($"WITH expired AS ({DeleteExpiredNoncesSql} AND nonce <> @Nonce) {SpendNonceSql}", param) == 0)
            {
                throw new BinderyException(Errors.DeviceAuthFailed, "nonce already used");
            }
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
    public static Task<bool> SpendNonceAsync(DbTx tx, SignedDeviceRequest request, long now) =>
        SpendNonceAsync(tx, NonceParameters(request, now));

    private static async Task<bool> SpendNonceAsync(DbTx tx, NonceParameter param)
    {
        await tx.ExecuteAsync(DeleteExpiredNoncesSql, param);
        var fresh = await tx.ExecuteAsync(SpendNonceSql, param);
        return fresh != 0 ? true : throw new BinderyException(Errors.DeviceAuthFailed, "nonce already used");
    }

    /// <summary>The parameters of <see cref="SpendNonceCtes"/>: <c>@Pk</c>, <c>@Dk</c>, <c>@Nonce</c>, <c>@Now</c>, <c>@NonceExpiresAt</c>.</summary>
    public static NonceParameter NonceParameters(SignedDeviceRequest request, long now) =>
        new(request.Device.Pk, request.Device.Dk, request.Nonce, now, now + 2 * (long)DeviceSignature.MaxSkew.TotalMilliseconds);

    /// <summary>The parameters the nonce statements bind by name.</summary>
    public sealed record NonceParameter(string Pk, string Dk, string Nonce, long Now, long NonceExpiresAt);

    private const string DeleteExpiredNoncesSql = "DELETE FROM device_nonces WHERE pk = @Pk AND dk = @Dk AND expires_at < @Now";

    // A new nonce is inserted; a spent one that has expired is taken again; a live one changes nothing (0 rows: a
    // replay). Two requests racing with one nonce: the second waits for the first's commit, then changes nothing.
    private const string SpendNonceSql =
        """
        INSERT INTO device_nonces (pk, dk, nonce, expires_at) VALUES (@Pk, @Dk, @Nonce, @NonceExpiresAt)
        ON CONFLICT (pk, dk, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE device_nonces.expires_at < @Now
        """;

    /// <summary>
    /// PostgreSQL (<see cref="SqlDialect.WritableCtes"/>): the nonce spent by data-modifying CTEs, to put in front of
    /// the statement that carries out the request, so that both are one statement: <c>spent</c> holds one row when the
    /// nonce was fresh (make the main statement depend on <c>EXISTS (SELECT 1 FROM spent)</c>); the device's other
    /// expired nonces go in the same statement. Parameters: <see cref="NonceParameters"/>.
    /// </summary>
    public const string SpendNonceCtes =
        "expired AS (" + DeleteExpiredNoncesSql + " AND nonce <> @Nonce), spent AS (" + SpendNonceSql + " RETURNING 1)";

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
