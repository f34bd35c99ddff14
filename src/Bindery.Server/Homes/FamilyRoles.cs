using System.Data.Common;
using Bindery.Storage;
using Dapper;

namespace Bindery.Homes;

/// <summary>Roles of a family member (column family_members.role).</summary>
public enum FamilyRole
{
    Owner = 1,
    Admin = 2,
    Member = 3,
}

public static class FamilyRoleRules
{
    /// <summary>Owners and admins manage rooms, members and devices; regular members only read.</summary>
    public static bool CanManage(this FamilyRole role) => role is FamilyRole.Owner or FamilyRole.Admin;
}

/// <summary>Membership checks every feature that touches a family goes through.</summary>
public static class FamilyAccess
{
    /// <summary>
    /// The user's role in the family, or null when the family does not exist or the user is not a member
    /// (callers must answer both the same way, so a stranger cannot probe for family ids).
    /// </summary>
    public static async Task<FamilyRole?> RoleOfAsync(DbConnection connection, DbTransaction? transaction, string fid, string userId)
    {
        var role = await connection.QuerySingleOrDefaultAsync<int?>(
            "SELECT role FROM family_members WHERE fid = @Fid AND user_id = @UserId",
            new { Fid = fid, UserId = userId }, transaction);
        return role is null ? null : (FamilyRole)role.Value;
    }

    /// <summary>True when room <paramref name="frid"/> exists and belongs to family <paramref name="fid"/>.</summary>
    public static async Task<bool> RoomBelongsToFamilyAsync(DbConnection connection, DbTransaction? transaction, string frid, string fid) =>
        await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM rooms WHERE frid = @Frid AND fid = @Fid",
            new { Frid = frid, Fid = fid }, transaction) > 0;

    /// <summary>
    /// Like <see cref="RoleOfAsync"/>, but first locks the family row (PostgreSQL <c>FOR UPDATE</c>; SQLite's single
    /// writer already serialises). Every write that depends on a family (binding into it, counting its devices,
    /// adding rooms or members, deleting it) takes this lock, so none of them can interleave with a delete.
    /// </summary>
    public static async Task<FamilyRole?> LockRoleAsync(DbTx tx, string fid, string userId)
    {
        var exists = await tx.QuerySingleOrDefaultAsync<string>(tx.LockRowsSql("families", "fid", "fid = @Fid", touchColumn: "name"), new { Fid = fid });
        return exists is null ? null : await RoleOfAsync(tx.Connection, tx.Transaction, fid, userId);
    }
}
