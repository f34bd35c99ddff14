using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Sharing;
using Bindery.Storage;
using Bindery.Tencent;

namespace Bindery.Devices;

/// <summary>
/// Every operation of the device side, for a device some transport has already authenticated
/// (<see cref="DeviceVerifier"/>): what it tells the cloud (its bindingCode, its bindingSecret, a factory reset, a
/// pressed pairing button, the distribution-network token it was handed) and what it asks (whether an authKey is
/// valid, its binding state). Nothing here knows HTTP: the device API (<see cref="DeviceApiEndpoints"/>) is one
/// adapter over these methods, and another transport would be another.
/// </summary>
public sealed class DeviceReports(IDatabase db, TimeProvider clock, BindTokens tokens)
{
    public const int MaxCodeLifetimeSeconds = 3600;
    public const int DefaultCodeLifetimeSeconds = 600;

    public sealed record CodeReport(bool Active, long? ExpiresAt);

    public sealed record SecretReported(long ReportedAt);

    /// <summary>State 2 (reported by this device), when, and until when the app may bind with it (Unix ms).</summary>
    public sealed record TokenReported(int State, long ReportedAt, long ExpiresAt);

    public sealed record ResetResult(int BindingMode, int BindingsRemoved);

    public const int MaxPairingWindowSeconds = 600;
    public const int DefaultPairingWindowSeconds = 120;

    /// <summary>
    /// Whether an authKey belongs to a live binding, by which method, and whether that binding proved possession.
    /// A device should grant an unverified (SN) binding nothing it would not grant a stranger who read its box.
    /// </summary>
    public sealed record AuthKeyCheck(bool Valid, string? BindingType, bool Verified);

    public sealed record PairingWindow(bool Open, long? ExpiresAt);

    public sealed record BindingState(int BindingMode, long BoundUsers, string BindingCode, bool HasBindingSecret);

    private sealed class StateRow
    {
        public int BindingMode { get; set; }

        public string? BindingCodeHash { get; set; }

        public long? BindingCodeExpiresAt { get; set; }

        public long? BindingCodeUsedAt { get; set; }

        public string? BindingSecretHash { get; set; }

        public long BoundUsers { get; set; }
    }

    /// <summary>
    /// Replaces the device's bindingCode (a new code starts unused with no failures) or, with a lifetime of 0,
    /// cancels the current one.
    /// </summary>
    public Task<CodeReport> ReportBindingCodeAsync(AuthenticatedDevice device, string? bindingCode, int? lifetimeSeconds) =>
        ReportBindingCodeAsync(device, null, bindingCode, lifetimeSeconds);

    /// <summary>
    /// The same for a signed request whose nonce is not spent yet: the nonce is spent in the report's own write (a
    /// reused nonce refuses it and writes nothing); a refused report spends it on its own.
    /// </summary>
    public async Task<CodeReport> ReportBindingCodeAsync(DeviceReportRequest request, string? bindingCode, int? lifetimeSeconds)
    {
        try
        {
            return await ReportBindingCodeAsync(request.Checked.Device, request.Checked, bindingCode, lifetimeSeconds);
        }
        catch (BinderyException refused) when (refused.Error == Errors.InvalidParameterValue)
        {
            await request.Verifier.SpendAsync(request.Checked);
            throw;
        }
        catch (BinderyException replay) when (replay.Error == Errors.DeviceAuthFailed)
        {
            await request.Verifier.RecordReplayAsync(request.Checked);
            throw;
        }
    }

    private async Task<CodeReport> ReportBindingCodeAsync(AuthenticatedDevice device, SignedDeviceRequest? unspent, string? bindingCode, int? lifetimeSeconds)
    {
        var lifetime = lifetimeSeconds ?? DefaultCodeLifetimeSeconds;
        if (lifetime is < 0 or > MaxCodeLifetimeSeconds)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"lifetime is 0-{MaxCodeLifetimeSeconds} seconds");
        }
        if (lifetime > 0 && !BindingCodes.IsWellFormed(bindingCode))
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"bindingCode is {BindingCodes.MinLength}-{BindingCodes.MaxLength} characters of [A-Za-z0-9]");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var expiresAt = lifetime == 0 ? (long?)null : now + lifetime * 1000L;
        // Hashed before the writer: the writer runs only the statements.
        var hash = lifetime == 0 ? null : Secrets.Sha256Hex(bindingCode!);
        var reportedAt = lifetime == 0 ? (long?)null : now;
        if (db.Dialect.WritableCtes)
        {
            // PostgreSQL: the nonce spent and the code replaced by one statement (one round trip, no transaction
            // around it); nothing changes when the nonce was spent before.
            var nonce = unspent is null ? null : DeviceVerifier.NonceParameters(unspent, now);
            var changed = await db.ExecuteWriteAsync(
                (unspent is null ? "" : $"WITH {DeviceVerifier.SpendNonceCtes} ") + ReplaceCodeSql + (unspent is null ? "" : " AND EXISTS (SELECT 1 FROM spent)"),
                new
                {
                    Hash = hash,
                    ReportedAt = reportedAt,
                    ExpiresAt = expiresAt,
                    device.Pk,
                    device.Dk,
                    Nonce = nonce?.Nonce,
                    Now = now,
                    NonceExpiresAt = nonce?.NonceExpiresAt,
                });
            if (changed == 0 && unspent is not null)
            {
                throw new BinderyException(Errors.DeviceAuthFailed, "nonce already used");
            }
            return new CodeReport(lifetime > 0, expiresAt);
        }
        await db.WriteAsync(async tx =>
        {
            if (unspent is not null)
            {
                await DeviceVerifier.SpendNonceAsync(tx, unspent, now);
            }
            return await tx.ExecuteAsync(ReplaceCodeSql, new { Hash = hash, ReportedAt = reportedAt, ExpiresAt = expiresAt, device.Pk, device.Dk });
        });
        return new CodeReport(lifetime > 0, expiresAt);
    }

    private const string ReplaceCodeSql =
        """
        UPDATE devices SET binding_code_hash = @Hash, binding_code_reported_at = @ReportedAt,
            binding_code_expires_at = @ExpiresAt, binding_code_used_at = NULL, binding_code_failures = 0
        WHERE pk = @Pk AND dk = @Dk
        """;

    public async Task<SecretReported> ReportBindingSecretAsync(AuthenticatedDevice device, string? bindingSecret)
    {
        if (!PureBtCrypto.IsValidBindingSecret(bindingSecret))
        {
            throw new BinderyException(Errors.InvalidParameterValue,
                $"bindingSecret is {PureBtCrypto.MinSecretLength}-{PureBtCrypto.MaxSecretLength} characters of [A-Za-z0-9]");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await db.WriteAsync(tx => tx.ExecuteAsync(
            "UPDATE devices SET binding_secret_hash = @Hash, binding_secret_reported_at = @Now WHERE pk = @Pk AND dk = @Dk",
            new { Hash = Secrets.Sha256Hex(bindingSecret!), Now = now, device.Pk, device.Dk }));
        return new SecretReported(now);
    }

    /// <summary>
    /// The device reports the Tencent-style distribution-network token the app gave it during provisioning; the
    /// token rules (first device claims it, a second one voids it, refusals count) are <see cref="BindTokens.ReportAsync"/>.
    /// </summary>
    public async Task<TokenReported> ReportBindTokenAsync(AuthenticatedDevice device, string? token)
    {
        var reported = await tokens.ReportAsync(device.Pk, device.Dk, token);
        return new TokenReported(BindTokens.StateReported, reported.ReportedAt, reported.ExpiresAt);
    }

    /// <summary>
    /// Factory reset: the device forgets its bindingCode and bindingSecret. Multi-user and owner mode: every binding
    /// (and the shares hanging off it) is removed, so the device is free. Rotation mode: the current holder keeps the
    /// device until a new binding proves possession and replaces them.
    /// </summary>
    public Task<ResetResult> ResetAsync(AuthenticatedDevice device) => db.WriteAsync(async tx =>
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await BindingCore.LockDeviceAsync(tx, device.Pk, new DeviceTarget.ByDk(device.Dk));
        var mode = await tx.ExecuteScalarAsync<int>("SELECT binding_mode FROM products WHERE pk = @Pk", new { device.Pk });
        await tx.ExecuteAsync(
            """
            UPDATE devices SET binding_code_hash = NULL, binding_code_reported_at = NULL, binding_code_expires_at = NULL,
                binding_code_used_at = NULL, binding_code_failures = 0, binding_secret_hash = NULL,
                binding_secret_reported_at = NULL, pairing_window_expires_at = NULL, reset_at = @Now
            WHERE pk = @Pk AND dk = @Dk
            """,
            new { Now = now, device.Pk, device.Dk });
        var removed = (BindingMode)mode == BindingMode.Rotation
            ? 0
            : await BindingLifecycle.RemoveAllBindingsAsync(tx, device.Pk, device.Dk, BindingEventKinds.Reset, BindingActor.Device, now);
        return new ResetResult(mode, removed);
    });

    /// <summary>
    /// Whether an app's authKey belongs to a live binding of this device, or to a live accepted share of it (bindingType
    /// <c>SHARE</c>, verified: the owner's binding proved possession) — a device's local-control check.
    /// </summary>
    public async Task<AuthKeyCheck> VerifyAuthKeyAsync(AuthenticatedDevice device, string? authKey)
    {
        if (string.IsNullOrEmpty(authKey) || authKey.Length > 128)
        {
            return new AuthKeyCheck(false, null, false);
        }
        var hash = Secrets.Sha256Hex(authKey);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.ReadAsync(async c =>
        {
            var binding = await Dapper.SqlMapper.QuerySingleOrDefaultAsync<AuthKeyRow>(c,
                "SELECT method, verified FROM bindings WHERE pk = @Pk AND dk = @Dk AND auth_key_hash = @Hash",
                new { device.Pk, device.Dk, Hash = hash });
            if (binding is not null)
            {
                return new AuthKeyCheck(true, binding.Method, binding.Verified);
            }
            // A share's recipient: live while accepted, within its sharing time, and the owner still holds a verified binding.
            var shared = await Dapper.SqlMapper.ExecuteScalarAsync<long>(c,
                $"SELECT COUNT(*) FROM device_shares s WHERE s.pk = @Pk AND s.dk = @Dk AND s.auth_key_hash = @Hash AND {LiveShares.Accepted("s")}",
                new { device.Pk, device.Dk, Hash = hash, Now = now });
            return shared > 0 ? new AuthKeyCheck(true, BindingLifecycle.MethodShare, true) : new AuthKeyCheck(false, null, false);
        });
    }

    private sealed class AuthKeyRow
    {
        public string Method { get; set; } = "";

        public bool Verified { get; set; }
    }

    /// <summary>
    /// The device says a person is at it (a button was pressed): for the next <paramref name="seconds"/> seconds it
    /// accepts one bind-by-SN, for products that require a pairing window. 0 closes the window.
    /// </summary>
    public async Task<PairingWindow> OpenPairingWindowAsync(AuthenticatedDevice device, int? seconds)
    {
        var lifetime = seconds ?? DefaultPairingWindowSeconds;
        if (lifetime is < 0 or > MaxPairingWindowSeconds)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"seconds is 0-{MaxPairingWindowSeconds}");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var expiresAt = lifetime == 0 ? (long?)null : now + lifetime * 1000L;
        await db.WriteAsync(tx => tx.ExecuteAsync(
            "UPDATE devices SET pairing_window_expires_at = @ExpiresAt WHERE pk = @Pk AND dk = @Dk",
            new { ExpiresAt = expiresAt, device.Pk, device.Dk }));
        return new PairingWindow(lifetime > 0, expiresAt);
    }

    public async Task<BindingState> StateAsync(AuthenticatedDevice device)
    {
        var row = await db.ReadAsync(c => Dapper.SqlMapper.QuerySingleAsync<StateRow>(c,
            """
            SELECT p.binding_mode, d.binding_code_hash, d.binding_code_expires_at, d.binding_code_used_at, d.binding_secret_hash,
                   (SELECT COUNT(*) FROM bindings b WHERE b.pk = d.pk AND b.dk = d.dk) AS bound_users
            FROM devices d JOIN products p ON p.pk = d.pk
            WHERE d.pk = @Pk AND d.dk = @Dk
            """,
            new { device.Pk, device.Dk }));
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var code = row.BindingCodeHash is null ? "none"
            : row.BindingCodeUsedAt is not null ? "used"
            : row.BindingCodeExpiresAt <= now ? "expired"
            : "active";
        return new BindingState(row.BindingMode, row.BoundUsers, code, row.BindingSecretHash is not null);
    }
}
