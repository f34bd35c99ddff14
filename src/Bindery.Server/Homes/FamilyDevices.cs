using System.Data.Common;
using Bindery.Storage;
using Dapper;

namespace Bindery.Homes;

/// <summary>
/// What the binding core does to a family inside its own write transaction. A device is "in" a family while a
/// binding row carries the family's fid; <c>family_common_devices</c> is the family's common list and
/// <c>bindings.is_common</c> mirrors it for the bindings in that family.
/// </summary>
public static class FamilyDevices
{
    /// <summary>Distinct devices bound into the family (for the per-family device limit). Call after <see cref="FamilyAccess.LockRoleAsync"/>.</summary>
    public static async Task<int> CountAsync(DbConnection connection, DbTransaction? transaction, string fid) =>
        (int)await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT DISTINCT pk, dk FROM bindings WHERE fid = @Fid) d", new { Fid = fid }, transaction);

    /// <summary>Puts a device bound into <paramref name="fid"/> on the family's common list (idempotent).</summary>
    public static async Task MarkCommonAsync(DbTx tx, string fid, string pk, string dk, long now)
    {
        await tx.ExecuteAsync(
            "INSERT INTO family_common_devices (fid, pk, dk, added_at) VALUES (@Fid, @Pk, @Dk, @Now) ON CONFLICT (fid, pk, dk) DO NOTHING",
            new { Fid = fid, Pk = pk, Dk = dk, Now = now });
        await tx.ExecuteAsync("UPDATE bindings SET is_common = TRUE WHERE fid = @Fid AND pk = @Pk AND dk = @Dk", new { Fid = fid, Pk = pk, Dk = dk });
    }

    /// <summary>Takes a device off the family's common list (idempotent).</summary>
    public static async Task UnmarkCommonAsync(DbTx tx, string fid, string pk, string dk)
    {
        await tx.ExecuteAsync("DELETE FROM family_common_devices WHERE fid = @Fid AND pk = @Pk AND dk = @Dk", new { Fid = fid, Pk = pk, Dk = dk });
        await tx.ExecuteAsync("UPDATE bindings SET is_common = FALSE WHERE fid = @Fid AND pk = @Pk AND dk = @Dk", new { Fid = fid, Pk = pk, Dk = dk });
    }

    /// <summary>Drops common-list entries of devices no longer bound into the family (call after an unbind).</summary>
    public static Task ForgetDepartedAsync(DbTx tx, string fid) =>
        tx.ExecuteAsync(
            """
            DELETE FROM family_common_devices
            WHERE fid = @Fid AND NOT EXISTS (
                SELECT 1 FROM bindings b
                WHERE b.fid = family_common_devices.fid AND b.pk = family_common_devices.pk AND b.dk = family_common_devices.dk)
            """,
            new { Fid = fid });
}
