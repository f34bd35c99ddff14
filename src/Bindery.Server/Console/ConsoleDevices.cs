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

/// <summary>The console's reads about devices that the admin API has no route for: search across products, holders.</summary>
public sealed class ConsoleDevices(IDatabase db)
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
}
