using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Dapper;

namespace Bindery.Homes;

/// <summary>Which devices of a family to list.</summary>
public sealed record RoomSelector(string? Frid, bool WithoutRoomOnly)
{
    public static readonly RoomSelector All = new(null, false);

    /// <summary>Devices in no room (the Tencent dialect's default room, <c>"0"</c>).</summary>
    public static readonly RoomSelector WithoutRoom = new(null, true);

    public static RoomSelector Room(string frid) => new(frid, false);
}

public sealed record FamilyInfo(string Fid, string Name, FamilyRole Role, long CreatedAt, string Location = "", string Coordinates = "");

/// <summary>What <c>addFamily</c> creates: the family, and its first rooms in the same transaction.</summary>
public sealed record NewFamily(string? Name, string? Location = null, string? Coordinates = null, IReadOnlyList<string?>? Rooms = null);

/// <summary>One device named in a batch call (<c>addCommonUsedDevice</c>, <c>addDeviceInFamilyRoom</c>).</summary>
public sealed record DeviceMove(string? Pk, string? Dk, string? OldFrid, string? NewFrid);

public sealed record RoomSort(string? Frid, int? Sort);

/// <summary>
/// The outcome of a batch call the real API answers as <c>{successList, failureList}</c>: each item either
/// succeeded or failed with its own catalogued error; a failure of one item does not undo the others.
/// </summary>
public sealed record BatchResult<T>(IReadOnlyList<T> Succeeded, IReadOnlyList<(T Item, ErrorDef Error)> Failed);

/// <summary>A user's home mode: effective (own choice, else the domain's), whether they chose it, and the domain's own.</summary>
public sealed record FamilyModeConfig(bool Enabled, bool ChosenByUser, bool DomainEnabled);

public sealed record RoomInfo(string Frid, string Fid, string Name, int SortOrder, int DeviceCount, long CreatedAt);

public sealed record FamilyDevice(string Pk, string Dk, string DeviceName, string? Frid, bool IsCommonDevice, string BindingType, long BoundAt,
    string Fid = "", string RoomName = "", int Capabilities = 0, string ProductName = "", string ProductLogo = "");

/// <summary>
/// Families, rooms and common devices (members: <see cref="FamilyMembership"/>): every rule lives here, free of HTTP, so each dialect's endpoints
/// are thin. A family the caller is not a member of answers exactly like one that does not exist
/// (<see cref="Errors.FamilyNotExist"/>), and so does a room of such a family (<see cref="Errors.RoomNotExist"/>);
/// <see cref="Errors.NoPermissionToFamily"/> is only ever said to members whose role is too low.
/// </summary>
public sealed class HomeService(IDatabase db, TimeProvider clock)
{
    public const int NameMaxLength = 64;
    public const int IdMaxLength = 64;
    public const int MaxOwnedFamilies = 20;
    public const int MaxRoomsPerFamily = 50;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- input --------------------------------------------------------------------------------------------

    public static string RequireFid(string? fid) => Validate.Required(fid, Errors.FamilyIdMissing, IdMaxLength, "fid").Trim();

    public static string RequireFrid(string? frid) => Validate.Required(frid, Errors.InvalidParameter, IdMaxLength, "frid").Trim();

    /// <summary>A family or room name: 1-64 characters after trimming, no control characters.</summary>
    public static string RequireName(string? name, string field)
    {
        var value = Validate.Required(name, Errors.InvalidParameter, NameMaxLength, field).Trim();
        if (value.Any(char.IsControl))
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{field} must not contain control characters");
        }
        return value;
    }

    /// <summary>
    /// The product key and the device key as sent (5361 when no device-key format accepts it); resolve the dk by the
    /// product's format inside the transaction (<see cref="DeviceKeyFormats.ResolveAsync"/>).
    /// </summary>
    public static (string Pk, string Dk) RequireDevice(string? pk, string? dk)
    {
        var product = Validate.Required(pk, Errors.ProductKeyMissing, IdMaxLength, "pk").Trim();
        var device = Validate.Required(dk, Errors.DeviceKeyMissing, IdMaxLength, "dk").Trim();
        return DeviceKeys.IsPlausible(device) ? (product, device) : throw new BinderyException(Errors.DkFormat);
    }

    // ---- access -------------------------------------------------------------------------------------------

    private static FamilyRole Known(FamilyRole? role) => role ?? throw new BinderyException(Errors.FamilyNotExist);

    private static FamilyRole Managing(FamilyRole? role) =>
        Known(role).CanManage() ? role!.Value : throw new BinderyException(Errors.NoPermissionToFamily);

    private async Task<FamilyRole> ReadRoleAsync(AppUser user, string fid) =>
        Known(await db.ReadAsync(c => FamilyAccess.RoleOfAsync(c, null, fid, user.Id)));

    private static async Task<string> RoomFamilyAsync(DbTx tx, AppUser user, string frid, string? fid)
    {
        // A room of a family the caller is not in does not exist for them.
        var roomFid = await tx.QuerySingleOrDefaultAsync<string>("SELECT fid FROM rooms WHERE frid = @Frid", new { Frid = frid });
        if (roomFid is null || (fid is not null && fid != roomFid)
            || await FamilyAccess.RoleOfAsync(tx.Connection, tx.Transaction, roomFid, user.Id) is null)
        {
            throw new BinderyException(Errors.RoomNotExist);
        }
        return roomFid;
    }

    // ---- families -----------------------------------------------------------------------------------------

    /// <summary>Creates a family owned by <paramref name="user"/> (at most <see cref="MaxOwnedFamilies"/>).</summary>
    public async Task<string> CreateFamilyAsync(AppUser user, string? name) => (await AddFamilyAsync(user, new NewFamily(name))).Fid;

    /// <summary>
    /// Creates a family owned by <paramref name="user"/> (at most <see cref="MaxOwnedFamilies"/>) with its rooms
    /// (<c>familyRoomList</c>) in the same transaction: either the family and every room exist afterwards, or nothing.
    /// </summary>
    public async Task<FamilyInfo> AddFamilyAsync(AppUser user, NewFamily input)
    {
        var familyName = RequireName(input.Name, "familyName");
        var location = OptionalText(input.Location, "familyLocation", 256);
        var coordinates = OptionalText(input.Coordinates, "familyCoordinates", 64);
        var roomNames = (input.Rooms ?? []).Select(r => RequireName(r, "familyRoomList")).ToList();
        if (roomNames.Count > MaxRoomsPerFamily)
        {
            throw new BinderyException(Errors.UnsupportedOperation, $"a family can have at most {MaxRoomsPerFamily} rooms");
        }
        if (roomNames.Distinct(StringComparer.Ordinal).Count() != roomNames.Count)
        {
            throw new BinderyException(Errors.AlreadyExists, "familyRoomList names a room twice");
        }
        var fid = Secrets.NewId();
        var now = Now;
        await db.WriteAsync(async tx =>
        {
            // Lock the user so two concurrent creates cannot both pass the limit.
            await tx.QuerySingleOrDefaultAsync<string>("SELECT id FROM users WHERE id = @Id" + tx.Dialect.ForUpdate, new { user.Id });
            var owned = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM family_members WHERE user_id = @Id AND role = 1", new { user.Id });
            if (owned >= MaxOwnedFamilies)
            {
                throw new BinderyException(Errors.UnsupportedOperation, $"a user can own at most {MaxOwnedFamilies} families");
            }
            await tx.ExecuteAsync(
                """
                INSERT INTO families (fid, domain_id, name, created_by, created_at, location, coordinates)
                VALUES (@Fid, @Domain, @Name, @Uid, @Now, @Location, @Coordinates)
                """,
                new { Fid = fid, Domain = user.DomainId, Name = familyName, Uid = user.Id, Now = now, Location = location, Coordinates = coordinates });
            await tx.ExecuteAsync(
                "INSERT INTO family_members (fid, user_id, role, joined_at) VALUES (@Fid, @Uid, 1, @Now)",
                new { Fid = fid, Uid = user.Id, Now = now });
            for (var i = 0; i < roomNames.Count; i++)
            {
                await tx.ExecuteAsync(
                    "INSERT INTO rooms (frid, fid, name, sort_order, created_at) VALUES (@Frid, @Fid, @Name, @Sort, @Now)",
                    new { Frid = Secrets.NewId(), Fid = fid, Name = roomNames[i], Sort = i + 1, Now = now });
            }
        });
        return new FamilyInfo(fid, familyName, FamilyRole.Owner, now, location ?? "", coordinates ?? "");
    }

    private static string? OptionalText(string? value, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var text = value.Trim();
        if (text.Length > maxLength)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{field} is longer than {maxLength} characters");
        }
        if (text.Any(char.IsControl))
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{field} must not contain control characters");
        }
        return text;
    }

    /// <summary>Every family the user belongs to, with the user's role in it, oldest first.</summary>
    public async Task<IReadOnlyList<FamilyInfo>> ListFamiliesAsync(AppUser user)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<FamilyRow>(
            """
            SELECT f.fid, f.name, m.role, f.created_at, f.location, f.coordinates
            FROM family_members m JOIN families f ON f.fid = m.fid
            WHERE m.user_id = @Id
            ORDER BY f.created_at, f.fid
            """, new { user.Id }));
        return rows.Select(r => r.ToInfo()).ToList();
    }

    public async Task<FamilyInfo> GetFamilyAsync(AppUser user, string? fid)
    {
        var id = RequireFid(fid);
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<FamilyRow>(
            """
            SELECT f.fid, f.name, m.role, f.created_at, f.location, f.coordinates
            FROM family_members m JOIN families f ON f.fid = m.fid
            WHERE m.user_id = @Uid AND f.fid = @Fid
            """, new { Uid = user.Id, Fid = id }));
        return row?.ToInfo() ?? throw new BinderyException(Errors.FamilyNotExist);
    }

    /// <summary>Renames a family (owner or admin).</summary>
    public async Task RenameFamilyAsync(AppUser user, string? fid, string? name)
    {
        var id = RequireFid(fid);
        var familyName = RequireName(name, "familyName");
        await db.WriteAsync(async tx =>
        {
            Managing(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            await tx.ExecuteAsync("UPDATE families SET name = @Name WHERE fid = @Fid", new { Name = familyName, Fid = id });
        });
    }

    /// <summary>
    /// Changes a family's name, location or coordinates (owner or admin; <c>setFamily</c>). Fields not given stay;
    /// an empty location or coordinates clears it. At least one field must be given.
    /// </summary>
    public async Task UpdateFamilyAsync(AppUser user, string? fid, string? name, string? location, string? coordinates)
    {
        var id = RequireFid(fid);
        var familyName = name is null ? null : RequireName(name, "familyName");
        if (name is null && location is null && coordinates is null)
        {
            throw new BinderyException(Errors.InvalidParameter, "familyName, familyLocation or familyCoordinates is required");
        }
        var newLocation = OptionalText(location, "familyLocation", 256);
        var newCoordinates = OptionalText(coordinates, "familyCoordinates", 64);
        await db.WriteAsync(async tx =>
        {
            Managing(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            await tx.ExecuteAsync(
                """
                UPDATE families SET
                    name = COALESCE(@Name, name),
                    location = CASE WHEN @SetLocation THEN @Location ELSE location END,
                    coordinates = CASE WHEN @SetCoordinates THEN @Coordinates ELSE coordinates END
                WHERE fid = @Fid
                """,
                new
                {
                    Name = familyName, Fid = id,
                    SetLocation = location is not null, Location = newLocation,
                    SetCoordinates = coordinates is not null, Coordinates = newCoordinates,
                });
        });
    }

    /// <summary>
    /// Deletes a family with its rooms, members, invitations and common list (owner only). Refused while devices are still
    /// bound into it, so no binding is ever left pointing at a family that is gone and no device is unbound
    /// behind its users' backs: unbind the devices first.
    /// </summary>
    public async Task DeleteFamilyAsync(AppUser user, string? fid)
    {
        var id = RequireFid(fid);
        await db.WriteAsync(async tx =>
        {
            if (Known(await FamilyAccess.LockRoleAsync(tx, id, user.Id)) != FamilyRole.Owner)
            {
                throw new BinderyException(Errors.NoPermissionToFamily, "only the owner can delete a family");
            }
            var devices = await FamilyDevices.CountAsync(tx.Connection, tx.Transaction, id);
            if (devices > 0)
            {
                throw new BinderyException(Errors.UnsupportedOperation, $"the family still has {devices} bound device(s); unbind them first");
            }
            var param = new { Fid = id };
            await tx.ExecuteAsync("DELETE FROM family_invites WHERE fid = @Fid", param);
            await tx.ExecuteAsync("DELETE FROM family_common_devices WHERE fid = @Fid", param);
            await tx.ExecuteAsync("DELETE FROM rooms WHERE fid = @Fid", param);
            await tx.ExecuteAsync("DELETE FROM family_members WHERE fid = @Fid", param);
            await tx.ExecuteAsync("DELETE FROM families WHERE fid = @Fid", param);
            await BindingLifecycle.RecordFamilyDeletedAsync(tx, id, BindingActor.User(user.Id), Now);
        });
    }

    // ---- rooms --------------------------------------------------------------------------------------------

    /// <summary>Adds a room (owner or admin); names are unique within the family.</summary>
    public async Task<string> CreateRoomAsync(AppUser user, string? fid, string? name)
    {
        var id = RequireFid(fid);
        var roomName = RequireName(name, "roomName");
        var frid = Secrets.NewId();
        var now = Now;
        await db.WriteAsync(async tx =>
        {
            Managing(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            var rooms = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM rooms WHERE fid = @Fid", new { Fid = id });
            if (rooms >= MaxRoomsPerFamily)
            {
                throw new BinderyException(Errors.UnsupportedOperation, $"a family can have at most {MaxRoomsPerFamily} rooms");
            }
            var inserted = await tx.ExecuteAsync(
                """
                INSERT INTO rooms (frid, fid, name, sort_order, created_at)
                VALUES (@Frid, @Fid, @Name, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM rooms WHERE fid = @Fid), @Now)
                ON CONFLICT (fid, name) DO NOTHING
                """,
                new { Frid = frid, Fid = id, Name = roomName, Now = now });
            if (inserted == 0)
            {
                throw new BinderyException(Errors.AlreadyExists, "the family already has a room with this name");
            }
        });
        return frid;
    }

    /// <summary>The family's rooms in creation order, each with how many devices it holds.</summary>
    public async Task<IReadOnlyList<RoomInfo>> ListRoomsAsync(AppUser user, string? fid)
    {
        var id = RequireFid(fid);
        await ReadRoleAsync(user, id);
        var rows = await db.ReadAsync(c => c.QueryAsync<RoomRow>(
            """
            SELECT r.frid, r.fid, r.name, r.sort_order, r.created_at,
                   (SELECT COUNT(*) FROM (SELECT DISTINCT b.pk, b.dk FROM bindings b WHERE b.fid = r.fid AND b.frid = r.frid) d) AS device_count
            FROM rooms r
            WHERE r.fid = @Fid
            ORDER BY r.sort_order, r.created_at
            """, new { Fid = id }));
        return rows.Select(r => new RoomInfo(r.Frid, r.Fid, r.Name, (int)r.SortOrder, (int)r.DeviceCount, r.CreatedAt)).ToList();
    }

    /// <summary>Renames a room (owner or admin). <paramref name="fid"/>, when given, must be the room's family.</summary>
    public async Task RenameRoomAsync(AppUser user, string? frid, string? name, string? fid = null)
    {
        var roomId = RequireFrid(frid);
        var roomName = RequireName(name, "roomName");
        var familyId = fid is null ? null : RequireFid(fid);
        await db.WriteAsync(async tx =>
        {
            var roomFid = await RoomFamilyAsync(tx, user, roomId, familyId);
            Managing(await FamilyAccess.LockRoleAsync(tx, roomFid, user.Id));
            var updated = await tx.ExecuteAsync(
                """
                UPDATE rooms SET name = @Name
                WHERE frid = @Frid AND NOT EXISTS (SELECT 1 FROM rooms other WHERE other.fid = @Fid AND other.name = @Name AND other.frid <> @Frid)
                """,
                new { Name = roomName, Frid = roomId, Fid = roomFid });
            if (updated == 0)
            {
                throw new BinderyException(Errors.AlreadyExists, "the family already has a room with this name");
            }
        });
    }

    /// <summary>Deletes a room (owner or admin); its devices stay in the family, in no room.</summary>
    public async Task DeleteRoomAsync(AppUser user, string? frid, string? fid = null)
    {
        var roomId = RequireFrid(frid);
        var familyId = fid is null ? null : RequireFid(fid);
        await db.WriteAsync(async tx =>
        {
            var roomFid = await RoomFamilyAsync(tx, user, roomId, familyId);
            Managing(await FamilyAccess.LockRoleAsync(tx, roomFid, user.Id));
            await tx.ExecuteAsync("UPDATE bindings SET frid = NULL WHERE fid = @Fid AND frid = @Frid", new { Fid = roomFid, Frid = roomId });
            await tx.ExecuteAsync("DELETE FROM rooms WHERE frid = @Frid", new { Frid = roomId });
        });
    }

    /// <summary>
    /// Deletes several rooms (<c>deleteFamilyRoom</c> with a <c>fridList</c>); each fails on its own (9114 not
    /// found or not in a family of the caller, 9107 role too low). Their devices stay in the family, in no room.
    /// </summary>
    public async Task<BatchResult<string>> DeleteRoomsAsync(AppUser user, IReadOnlyList<string?>? frids)
    {
        if (frids is null || frids.Count == 0)
        {
            throw new BinderyException(Errors.RoomIdMissing);
        }
        var ids = frids.Select(f => Validate.Required(f, Errors.RoomIdMissing, IdMaxLength, "fridList").Trim()).Distinct(StringComparer.Ordinal).ToList();
        return await db.WriteAsync(async tx =>
        {
            var done = new List<string>();
            var failed = new List<(string, ErrorDef)>();
            foreach (var frid in ids)
            {
                var roomFid = await tx.QuerySingleOrDefaultAsync<string>("SELECT fid FROM rooms WHERE frid = @Frid", new { Frid = frid });
                var role = roomFid is null ? null : await FamilyAccess.LockRoleAsync(tx, roomFid, user.Id);
                ErrorDef? error = role is null ? Errors.RoomNotExist : role.Value.CanManage() ? null : Errors.NoPermissionToFamily;
                if (error is not null)
                {
                    failed.Add((frid, error));
                    continue;
                }
                await tx.ExecuteAsync("UPDATE bindings SET frid = NULL WHERE fid = @Fid AND frid = @Frid", new { Fid = roomFid, Frid = frid });
                await tx.ExecuteAsync("DELETE FROM rooms WHERE frid = @Frid", new { Frid = frid });
                done.Add(frid);
            }
            return new BatchResult<string>(done, failed);
        });
    }

    // ---- devices ------------------------------------------------------------------------------------------

    /// <summary>
    /// The devices bound into the family, once each even when several members bound the same device (the
    /// earliest binding speaks for it), optionally narrowed to one room or to devices in no room.
    /// </summary>
    public async Task<IReadOnlyList<FamilyDevice>> ListDevicesAsync(AppUser user, string? fid, RoomSelector room)
    {
        var id = RequireFid(fid);
        var frid = room.Frid is null ? null : RequireFrid(room.Frid);
        await ReadRoleAsync(user, id);
        return await db.ReadAsync(async c =>
        {
            if (frid is not null && !await FamilyAccess.RoomBelongsToFamilyAsync(c, null, frid, id))
            {
                throw new BinderyException(Errors.RoomNotExist);
            }
            var filter = frid is not null ? " AND b.frid = @Frid" : room.WithoutRoomOnly ? " AND b.frid IS NULL" : "";
            return await QueryDevicesAsync(c, id, filter, frid, commonOnly: false);
        });
    }

    /// <summary>
    /// The devices in one room (<c>getFamilyRoomDeviceList</c>, which names only the room). A room of a family
    /// the caller is not in answers like one that does not exist (9114).
    /// </summary>
    public async Task<(string Fid, IReadOnlyList<FamilyDevice> Devices)> ListRoomDevicesAsync(AppUser user, string? frid)
    {
        var roomId = Validate.Required(frid, Errors.RoomIdMissing, IdMaxLength, "frid").Trim();
        return await db.ReadAsync(async c =>
        {
            var roomFid = await c.QuerySingleOrDefaultAsync<string>(
                "SELECT r.fid FROM rooms r JOIN family_members m ON m.fid = r.fid AND m.user_id = @Uid WHERE r.frid = @Frid",
                new { Uid = user.Id, Frid = roomId })
                ?? throw new BinderyException(Errors.RoomNotExist);
            return (roomFid, await QueryDevicesAsync(c, roomFid, " AND b.frid = @Frid", roomId, commonOnly: false));
        });
    }

    private static async Task<IReadOnlyList<FamilyDevice>> QueryDevicesAsync(System.Data.Common.DbConnection c, string fid, string filter, string? frid, bool commonOnly)
    {
        var common = commonOnly ? " AND cd.fid IS NOT NULL" : "";
        var order = commonOnly ? " ORDER BY cd.added_at, b.bound_at, b.binding_id" : " ORDER BY b.bound_at, b.binding_id";
        var rows = await c.QueryAsync<DeviceRow>(
            """
            SELECT b.pk, b.dk, b.device_name, b.frid, b.method, b.bound_at, b.capabilities,
                   COALESCE(r.name, '') AS room_name, p.name AS product_name, p.logo_url AS product_logo,
                   CASE WHEN cd.fid IS NOT NULL THEN 1 ELSE 0 END AS is_common
            FROM bindings b
            JOIN products p ON p.pk = b.pk
            LEFT JOIN rooms r ON r.frid = b.frid
            LEFT JOIN family_common_devices cd ON cd.fid = b.fid AND cd.pk = b.pk AND cd.dk = b.dk
            WHERE b.fid = @Fid
            """ + filter + common + order,
            new { Fid = fid, Frid = frid });
        return rows
            .DistinctBy(r => (r.Pk, r.Dk))
            .Select(r => new FamilyDevice(r.Pk, r.Dk, r.DeviceName, r.Frid, r.IsCommon != 0, r.Method, r.BoundAt,
                fid, r.RoomName ?? "", (int)(r.Capabilities ?? 0), r.ProductName ?? "", r.ProductLogo ?? ""))
            .ToList();
    }

    /// <summary>Moves a device of the family into a room, or out of every room when <paramref name="frid"/> is null (owner or admin).</summary>
    public async Task MoveDeviceAsync(AppUser user, string? fid, string? pk, string? dk, string? frid)
    {
        var id = RequireFid(fid);
        var (productKey, deviceKey) = RequireDevice(pk, dk);
        var roomId = frid is null ? null : RequireFrid(frid);
        await db.WriteAsync(async tx =>
        {
            var storedDk = await DeviceKeyFormats.ResolveAsync(tx, productKey, deviceKey);
            Managing(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            if (roomId is not null && !await FamilyAccess.RoomBelongsToFamilyAsync(tx.Connection, tx.Transaction, roomId, id))
            {
                throw new BinderyException(Errors.RoomNotExist);
            }
            var moved = await tx.ExecuteAsync("UPDATE bindings SET frid = @Frid WHERE fid = @Fid AND pk = @Pk AND dk = @Dk",
                new { Frid = roomId, Fid = id, Pk = productKey, Dk = storedDk });
            if (moved == 0)
            {
                throw new BinderyException(Errors.DeviceNotBound, "the device is not bound into this family");
            }
        });
    }

    /// <summary>
    /// Moves several devices into rooms at once (<c>addDeviceInFamilyRoom</c>). Each item names its target room;
    /// the room's family is the family the device must be bound into, and the caller must be its owner or an
    /// admin. Items fail on their own (9114 room not found or not in a family of the caller, 9107 role too low,
    /// 5052 device not bound into that family); the others still move. Malformed input refuses the whole call.
    /// </summary>
    public async Task<BatchResult<DeviceMove>> MoveDevicesAsync(AppUser user, IReadOnlyList<DeviceMove>? moves)
    {
        if (moves is null || moves.Count == 0)
        {
            throw new BinderyException(Errors.InvalidParameter, "the device list is empty");
        }
        var checkedMoves = moves.Select(m =>
        {
            var (pk, dk) = RequireDevice(m.Pk, m.Dk);
            var newFrid = Validate.Required(m.NewFrid, Errors.RoomIdMissing, IdMaxLength, "newFrid").Trim();
            var oldFrid = string.IsNullOrWhiteSpace(m.OldFrid) ? null : m.OldFrid.Trim();
            return oldFrid == newFrid ? throw new BinderyException(Errors.SameRoom) : new DeviceMove(pk, dk, oldFrid, newFrid);
        }).ToList();
        return await db.WriteAsync(async tx =>
        {
            var done = new List<DeviceMove>();
            var failed = new List<(DeviceMove, ErrorDef)>();
            foreach (var move in checkedMoves)
            {
                var error = await MoveOneAsync(tx, user, move);
                if (error is null)
                {
                    done.Add(move);
                }
                else
                {
                    failed.Add((move, error));
                }
            }
            return new BatchResult<DeviceMove>(done, failed);
        });
    }

    private static async Task<ErrorDef?> MoveOneAsync(DbTx tx, AppUser user, DeviceMove move)
    {
        var roomFid = await tx.QuerySingleOrDefaultAsync<string>("SELECT fid FROM rooms WHERE frid = @Frid", new { Frid = move.NewFrid });
        var role = roomFid is null ? null : await FamilyAccess.LockRoleAsync(tx, roomFid, user.Id);
        if (role is null)
        {
            return Errors.RoomNotExist;
        }
        if (!role.Value.CanManage())
        {
            return Errors.NoPermissionToFamily;
        }
        string storedDk;
        try
        {
            storedDk = await DeviceKeyFormats.ResolveAsync(tx, move.Pk!, move.Dk!);
        }
        catch (BinderyException e)
        {
            return e.Error;
        }
        var moved = await tx.ExecuteAsync("UPDATE bindings SET frid = @Frid WHERE fid = @Fid AND pk = @Pk AND dk = @Dk",
            new { Frid = move.NewFrid, Fid = roomFid, move.Pk, Dk = storedDk });
        return moved == 0 ? Errors.DeviceNotBound : null;
    }

    /// <summary>
    /// Sets the display order of rooms (<c>setFamilyRoomSort</c>): lower <c>roomSort</c> first. Values must be
    /// 0 or more and distinct within the call (5007). Rooms fail on their own (9114, 9107); the others are stored.
    /// </summary>
    public async Task<BatchResult<RoomSort>> SortRoomsAsync(AppUser user, IReadOnlyList<RoomSort>? sorts)
    {
        if (sorts is null || sorts.Count == 0)
        {
            throw new BinderyException(Errors.RoomSortMissing);
        }
        var checkedSorts = sorts.Select(r =>
        {
            var frid = Validate.Required(r.Frid, Errors.RoomIdMissing, IdMaxLength, "frid").Trim();
            return r.Sort switch
            {
                null => throw new BinderyException(Errors.RoomSortMissing, "roomSort is required"),
                < 0 => throw new BinderyException(Errors.InvalidParameterValue, "roomSort must not be negative"),
                _ => new RoomSort(frid, r.Sort),
            };
        }).ToList();
        if (checkedSorts.DistinctBy(r => r.Sort).Count() != checkedSorts.Count)
        {
            throw new BinderyException(Errors.RoomSortDuplicated);
        }
        if (checkedSorts.DistinctBy(r => r.Frid).Count() != checkedSorts.Count)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "a room is named twice");
        }
        return await db.WriteAsync(async tx =>
        {
            var done = new List<RoomSort>();
            var failed = new List<(RoomSort, ErrorDef)>();
            foreach (var sort in checkedSorts)
            {
                var roomFid = await tx.QuerySingleOrDefaultAsync<string>("SELECT fid FROM rooms WHERE frid = @Frid", new { sort.Frid });
                var role = roomFid is null ? null : await FamilyAccess.LockRoleAsync(tx, roomFid, user.Id);
                ErrorDef? error = role is null ? Errors.RoomNotExist : role.Value.CanManage() ? null : Errors.NoPermissionToFamily;
                if (error is null)
                {
                    await tx.ExecuteAsync("UPDATE rooms SET sort_order = @Sort WHERE frid = @Frid", new { sort.Sort, sort.Frid });
                    done.Add(sort);
                }
                else
                {
                    failed.Add((sort, error));
                }
            }
            return new BatchResult<RoomSort>(done, failed);
        });
    }

    /// <summary>The family's common device list (devices in the family-device shape), in the order devices were added to it.</summary>
    public async Task<IReadOnlyList<FamilyDevice>> ListCommonDevicesAsync(AppUser user, string? fid)
    {
        var id = RequireFid(fid);
        await ReadRoleAsync(user, id);
        return await db.ReadAsync(c => QueryDevicesAsync(c, id, "", null, commonOnly: true));
    }

    /// <summary>
    /// Puts devices bound into the family on its common list (owner or admin; idempotent). The family check
    /// refuses the whole call (9108, 9107); a device not bound into the family fails on its own (5052).
    /// </summary>
    public Task<BatchResult<DeviceMove>> AddCommonDevicesAsync(AppUser user, string? fid, IReadOnlyList<DeviceMove>? devices) =>
        ChangeCommonAsync(user, fid, devices, add: true);

    /// <summary>Takes devices off the family's common list (owner or admin; idempotent: a device not on it succeeds).</summary>
    public Task<BatchResult<DeviceMove>> RemoveCommonDevicesAsync(AppUser user, string? fid, IReadOnlyList<DeviceMove>? devices) =>
        ChangeCommonAsync(user, fid, devices, add: false);

    private async Task<BatchResult<DeviceMove>> ChangeCommonAsync(AppUser user, string? fid, IReadOnlyList<DeviceMove>? devices, bool add)
    {
        var id = RequireFid(fid);
        if (devices is null || devices.Count == 0)
        {
            throw new BinderyException(Errors.InvalidParameter, "deviceList is required");
        }
        var checkedDevices = devices.Select(d =>
        {
            var (pk, dk) = RequireDevice(d.Pk, d.Dk);
            return new DeviceMove(pk, dk, null, null);
        }).ToList();
        var now = Now;
        return await db.WriteAsync(async tx =>
        {
            Managing(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            var done = new List<DeviceMove>();
            var failed = new List<(DeviceMove, ErrorDef)>();
            foreach (var device in checkedDevices)
            {
                string storedDk;
                try
                {
                    storedDk = await DeviceKeyFormats.ResolveAsync(tx, device.Pk!, device.Dk!);
                }
                catch (BinderyException e)
                {
                    failed.Add((device, e.Error));
                    continue;
                }
                if (add)
                {
                    var inFamily = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bindings WHERE fid = @Fid AND pk = @Pk AND dk = @Dk",
                        new { Fid = id, device.Pk, Dk = storedDk });
                    if (inFamily == 0)
                    {
                        failed.Add((device, Errors.DeviceNotBound));
                        continue;
                    }
                    await FamilyDevices.MarkCommonAsync(tx, id, device.Pk!, storedDk, now);
                }
                else
                {
                    await FamilyDevices.UnmarkCommonAsync(tx, id, device.Pk!, storedDk);
                }
                done.Add(device);
            }
            return new BatchResult<DeviceMove>(done, failed);
        });
    }

    // ---- per-user settings: home mode and current family ---------------------------------------------------

    /// <summary>The user's effective home mode: their own choice (<c>enabledFamilyMode</c>), else the user domain's <c>homeMode</c>.</summary>
    public Task<FamilyModeConfig> GetFamilyModeAsync(AppUser user) =>
        db.ReadAsync(c => ReadFamilyModeAsync(c, null, user));

    /// <summary>Reads the effective home mode inside any connection or transaction (the binding core calls this).</summary>
    public static async Task<FamilyModeConfig> ReadFamilyModeAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? tx, AppUser user)
    {
        var row = await c.QuerySingleOrDefaultAsync<ModeRow>(
            """
            SELECT d.home_mode AS domain_mode, s.family_mode AS user_mode
            FROM user_domains d LEFT JOIN user_home_settings s ON s.user_id = @Uid
            WHERE d.id = @Domain
            """, new { Uid = user.Id, Domain = user.DomainId }, tx)
            ?? throw new BinderyException(Errors.UserDomainAbnormal);
        return new FamilyModeConfig(row.UserMode ?? row.DomainMode, row.UserMode is not null, row.DomainMode);
    }

    /// <summary>
    /// Switches home mode on or off for this user only. Switching off keeps every family, room, member and
    /// binding as it is (the families stay listed and manageable); it only changes what binding requires: no
    /// <c>fid</c> may be named while off, one must be named while on.
    /// </summary>
    public async Task SetFamilyModeAsync(AppUser user, bool enabled)
    {
        var now = Now;
        await db.WriteAsync(tx => tx.ExecuteAsync(
            """
            INSERT INTO user_home_settings (user_id, family_mode, current_fid, updated_at) VALUES (@Uid, @Mode, NULL, @Now)
            ON CONFLICT (user_id) DO UPDATE SET family_mode = @Mode, updated_at = @Now
            """, new { Uid = user.Id, Mode = enabled, Now = now }));
    }

    /// <summary>Makes one of the user's families their current family (9108 for a family they are not in).</summary>
    public async Task<FamilyInfo> SetCurrentFamilyAsync(AppUser user, string? fid)
    {
        var family = await GetFamilyAsync(user, fid);
        var now = Now;
        await db.WriteAsync(async tx =>
        {
            // Checked again inside the write: a family left or deleted meanwhile is not made current.
            if (await FamilyAccess.LockRoleAsync(tx, family.Fid, user.Id) is null)
            {
                throw new BinderyException(Errors.FamilyNotExist);
            }
            await tx.ExecuteAsync(
                """
                INSERT INTO user_home_settings (user_id, family_mode, current_fid, updated_at) VALUES (@Uid, NULL, @Fid, @Now)
                ON CONFLICT (user_id) DO UPDATE SET current_fid = @Fid, updated_at = @Now
                """, new { Uid = user.Id, family.Fid, Now = now });
        });
        return family;
    }

    /// <summary>
    /// The user's current family: the one named by <paramref name="fid"/> when given (9108 unless the user is a
    /// member), else the one last set with <see cref="SetCurrentFamilyAsync"/> while the user is still a member
    /// of it, else the user's oldest family; null when the user belongs to no family.
    /// </summary>
    public async Task<FamilyInfo?> GetCurrentFamilyAsync(AppUser user, string? fid)
    {
        if (!string.IsNullOrWhiteSpace(fid))
        {
            return await GetFamilyAsync(user, fid);
        }
        var current = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string>(
            "SELECT current_fid FROM user_home_settings WHERE user_id = @Uid", new { Uid = user.Id }));
        var families = await ListFamiliesAsync(user);
        return families.FirstOrDefault(f => f.Fid == current) ?? (families.Count > 0 ? families[0] : null);
    }

    // ---- rows ---------------------------------------------------------------------------------------------

    private sealed class FamilyRow
    {
        public string Fid { get; set; } = "";
        public string Name { get; set; } = "";
        public long Role { get; set; }
        public long CreatedAt { get; set; }
        public string? Location { get; set; }
        public string? Coordinates { get; set; }

        public FamilyInfo ToInfo() => new(Fid, Name, (FamilyRole)Role, CreatedAt, Location ?? "", Coordinates ?? "");
    }

    private sealed class RoomRow
    {
        public string Frid { get; set; } = "";
        public string Fid { get; set; } = "";
        public string Name { get; set; } = "";
        public long SortOrder { get; set; }
        public long DeviceCount { get; set; }
        public long CreatedAt { get; set; }
    }

    private sealed class DeviceRow
    {
        public string Pk { get; set; } = "";
        public string Dk { get; set; } = "";
        public string DeviceName { get; set; } = "";
        public string? Frid { get; set; }
        public string Method { get; set; } = "";
        public long BoundAt { get; set; }
        public long IsCommon { get; set; }
        public long? Capabilities { get; set; }
        public string? RoomName { get; set; }
        public string? ProductName { get; set; }
        public string? ProductLogo { get; set; }
    }

    private sealed class ModeRow
    {
        public bool DomainMode { get; set; }
        public bool? UserMode { get; set; }
    }
}
