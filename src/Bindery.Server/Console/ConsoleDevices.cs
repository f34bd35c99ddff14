using Bindery.Registry;
using Bindery.Storage;
using Dapper;

namespace Bindery.AdminConsole;

/// <summary>A device found by the console's search (no secret: the device secret and sn are shown on its page only).</summary>
public sealed class DeviceHit
{
    public string Pk { get; set; } = "";
    public string Dk { get; set; } = "";
    public string ModuleType { get; set; } = "";
}

/// <summary>One current holder of a device (a binding row; the auth key is never read).</summary>
public sealed class DeviceHolder
{
    public string UserId { get; set; } = "";
    public string Method { get; set; } = "";
    public bool IsExclusive { get; set; }
    public string? Fid { get; set; }
}

/// <summary>One share of a device, as the console shows it: who, which state, until when (never its code or authKey).</summary>
public sealed class DeviceShare
{
    public string ShareId { get; set; } = "";
    public string OwnerUserId { get; set; } = "";
    public string? UserId { get; set; }
    public long CreatedAt { get; set; }
    public long? AcceptedAt { get; set; }
    public long AcceptingExpireAt { get; set; }
    public long? SharingExpireAt { get; set; }
    public bool OwnerHolds { get; set; }

    /// <summary>An open code has no recipient until someone accepts it.</summary>
    public bool IsOpenCode => UserId is null;

    /// <summary>pending, accepted, expired, or void (the owner no longer holds the device), at <paramref name="now"/>.</summary>
    public string StateAt(long now) =>
        !OwnerHolds ? "void (the owner no longer holds the device)"
        : SharingExpireAt is { } end && end <= now ? "expired"
        : AcceptedAt is not null ? "accepted"
        : AcceptingExpireAt <= now ? "expired (never accepted)"
        : "pending";
}

/// <summary>The state of a device's binding code, from the timestamps on its row (never the code or its hash).</summary>
public sealed record BindingCodeState(string State, long? ReportedAt, long? ExpiresAt, long? UsedAt, int Failures)
{
    public const string None = "none";
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Used = "used";
}

/// <summary>The console's reads about devices that the admin API has no route for: search across products, holders.</summary>
public sealed class ConsoleDevices(IDatabase db, TimeProvider clock)
{
    public const int MaxHits = 50;

    /// <summary>Devices whose pk, dk (as typed or normalised) or sn is <paramref name="query"/>; at most <see cref="MaxHits"/>.</summary>
    public async Task<IReadOnlyList<DeviceHit>> SearchAsync(string query)
    {
        query = query.Trim();
        if (query.Length is 0 or > 128)
        {
            return [];
        }
        var normalized = DeviceKeys.Normalize(query) ?? query;
        var rows = await db.ReadAsync(c => c.QueryAsync<DeviceHit>(
            $"""
            SELECT pk AS Pk, dk AS Dk, module_type AS ModuleType FROM devices
            WHERE pk = @Query OR dk = @Query OR dk = @Normalized OR sn = @Query
            ORDER BY pk, dk LIMIT {MaxHits}
            """,
            new { Query = query, Normalized = normalized }));
        return rows.ToList();
    }

    public async Task<IReadOnlyList<DeviceHolder>> HoldersAsync(string pk, string dk)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<DeviceHolder>(
            "SELECT user_id AS UserId, method AS Method, is_exclusive AS IsExclusive, fid AS Fid FROM bindings WHERE pk = @Pk AND dk = @Dk ORDER BY user_id",
            new { Pk = pk, Dk = dk }));
        return rows.ToList();
    }

    /// <summary>The device's shares (addressed and open codes, whatever their state), oldest first, at most 100.</summary>
    public async Task<IReadOnlyList<DeviceShare>> SharesAsync(string pk, string dk)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<DeviceShare>(
            $"""
            SELECT s.share_id AS ShareId, s.owner_user_id AS OwnerUserId, s.user_id AS UserId, s.created_at AS CreatedAt,
                   s.accepted_at AS AcceptedAt, s.accepting_expire_at AS AcceptingExpireAt, s.sharing_expire_at AS SharingExpireAt,
                   CASE WHEN {Sharing.LiveShares.OwnerHolds("s")} THEN TRUE ELSE FALSE END AS OwnerHolds
            FROM device_shares s WHERE s.pk = @Pk AND s.dk = @Dk ORDER BY s.created_at, s.share_id LIMIT 100
            """,
            new { Pk = pk, Dk = dk }));
        return rows.ToList();
    }

    private sealed class CodeRow
    {
        public string? Hash { get; set; }
        public long? ReportedAt { get; set; }
        public long? ExpiresAt { get; set; }
        public long? UsedAt { get; set; }
        public int Failures { get; set; }
    }

    /// <summary>
    /// The binding code's state: none reported, active (usable now), expired, or used (consumed by a binding, or voided
    /// after too many wrong tries). Only whether a hash is stored is read from it, never the hash.
    /// </summary>
    public async Task<BindingCodeState> CodeStateAsync(string pk, string dk)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<CodeRow>(
            """
            SELECT CASE WHEN binding_code_hash IS NULL THEN NULL ELSE 'set' END AS Hash, binding_code_reported_at AS ReportedAt,
                   binding_code_expires_at AS ExpiresAt, binding_code_used_at AS UsedAt, binding_code_failures AS Failures
            FROM devices WHERE pk = @Pk AND dk = @Dk
            """,
            new { Pk = pk, Dk = dk }));
        if (row?.Hash is null)
        {
            return new BindingCodeState(BindingCodeState.None, null, null, null, row?.Failures ?? 0);
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var state = row.UsedAt is not null ? BindingCodeState.Used
            : row.ExpiresAt is not { } end || end <= now ? BindingCodeState.Expired
            : BindingCodeState.Active;
        return new BindingCodeState(state, row.ReportedAt, row.ExpiresAt, row.UsedAt, row.Failures);
    }
}
