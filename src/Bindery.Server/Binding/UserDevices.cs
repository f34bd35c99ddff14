using System.Data.Common;
using System.Globalization;
using System.Text;
using Bindery.Accounts;
using Bindery.Homes;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Sharing;
using Bindery.Storage;
using Dapper;

namespace Bindery.Binding;

/// <summary>
/// What a user sees of their devices (<c>userDeviceList</c>, <c>deviceInfo</c>), the pre-check before binding
/// (<c>getDeviceInfoByBinding</c>) and renaming a device (<c>setDeviceInfo</c>). A user only ever sees devices they
/// hold a binding of or have a share of; anything else answers as if the device did not exist.
/// </summary>
public sealed class UserDevices(IDatabase db, TimeProvider clock)
{
    public const int MaxPkListEntries = 100;

    /// <summary>The filters of <c>userDeviceList</c> the store can serve.</summary>
    public sealed record ListFilter(string? DeviceName, string? Dk, string? PkList);

    /// <summary>Which devices <see cref="QueryAsync"/> reads: the caller's list, or one device.</summary>
    private sealed record Scope(string UserId, long Now)
    {
        public string? DeviceNamePattern { get; init; }

        public (string Normalized, string Exact)? Dk { get; init; }

        public IReadOnlyList<string>? Pks { get; init; }

        public string? Pk { get; init; }

        public string? ShareId { get; init; }

        /// <summary>Shares not yet accepted are shown too (deviceInfo by share code, before accepting).</summary>
        public bool WithPendingShares { get; init; }
    }

    private sealed class DeviceRow
    {
        public string Pk { get; set; } = "";

        public string Dk { get; set; } = "";

        public string DeviceName { get; set; } = "";

        public string Method { get; set; } = "";

        public int DeviceType { get; set; }

        public int Verified { get; set; }

        public int? Capabilities { get; set; }

        public string? Fid { get; set; }

        public string? Frid { get; set; }

        public long BoundAt { get; set; }

        public string? OwnerUid { get; set; }

        public string? ShareId { get; set; }

        public long? SharingExpireAt { get; set; }

        public string ProductName { get; set; } = "";

        public string ProductLogo { get; set; } = "";

        public int BindingMode { get; set; }

        public int IsMatter { get; set; }
    }

    /// <summary>The devices the user holds by binding or by an accepted share, newest first, in the PageHelper shape.</summary>
    public async Task<PageInfo<DeviceDetails>> ListAsync(AppUser user, ListFilter filter, PageRequest page)
    {
        var scope = new Scope(user.Id, Now());
        var name = filter.DeviceName?.Trim();
        if (name is { Length: > BindingCore.MaxDeviceNameLength })
        {
            throw new BinderyException(Errors.DeviceNameTooLong, $"deviceName is limited to {BindingCore.MaxDeviceNameLength} characters");
        }
        if (!string.IsNullOrEmpty(name))
        {
            scope = scope with { DeviceNamePattern = "%" + EscapeLike(name.ToLowerInvariant()) + "%" };
        }
        if (!string.IsNullOrWhiteSpace(filter.Dk))
        {
            var dk = BindingCore.RequireDk(filter.Dk);
            scope = scope with { Dk = DeviceKeyFormats.LookupKeys(dk) };
        }
        if (!string.IsNullOrWhiteSpace(filter.PkList))
        {
            var pks = filter.PkList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
            if (pks.Count > MaxPkListEntries || pks.Any(p => p.Length > BindingCore.MaxPkLength))
            {
                throw new BinderyException(Errors.InvalidParameterValue, $"pkList holds at most {MaxPkListEntries} product keys");
            }
            scope = scope with { Pks = pks };
        }
        return await db.ReadAsync(async c =>
        {
            var (sql, param) = Query(scope, count: false, page);
            var rows = (await c.QueryAsync<DeviceRow>(sql, param)).ToList();
            // A page that is neither full nor past the end tells the total itself (most lists fit one page): the count
            // costs a second statement only when it cannot.
            var (countSql, countParam) = Query(scope, count: true, page);
            var total = rows.Count < page.PageSize && (rows.Count > 0 || page.Offset == 0)
                ? page.Offset + rows.Count
                : await c.ExecuteScalarAsync<long>(countSql, countParam);
            return PageInfo.Of(rows.Select(r => Details(r, user)).ToList(), total, page);
        });
    }

    /// <summary>
    /// One device the caller holds or has an accepted share of (by <c>pk</c> and <c>dk</c>), or the device of a share
    /// addressed to the caller, accepted or not (by <c>shareCode</c>). Anything else — unknown, someone else's —
    /// answers 5052 (by share code: 5137), never told apart.
    /// </summary>
    public async Task<DeviceDetails> DeviceInfoAsync(AppUser user, string? pk, string? dk, string? shareCode)
    {
        Scope scope;
        ErrorDef notFound;
        if (!string.IsNullOrWhiteSpace(pk) || !string.IsNullOrWhiteSpace(dk))
        {
            var validPk = Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
            var validDk = BindingCore.RequireDk(dk);
            scope = new Scope(user.Id, Now()) { Pk = validPk, Dk = DeviceKeyFormats.LookupKeys(validDk) };
            notFound = Errors.DeviceNotBound;
        }
        else if (!string.IsNullOrWhiteSpace(shareCode))
        {
            scope = new Scope(user.Id, Now()) { ShareId = DeviceSharing.ShareIdOf(shareCode) ?? "", WithPendingShares = true };
            notFound = Errors.ShareCodeInvalid;
        }
        else
        {
            throw new BinderyException(Errors.DeviceQueryKeysMissing);
        }
        var row = await db.ReadAsync(async c =>
        {
            var (sql, param) = Query(scope, count: false, new PageRequest(1, 1));
            return await c.QueryFirstOrDefaultAsync<DeviceRow>(sql, param);
        });
        return row is null ? throw new BinderyException(notFound) : Details(row, user);
    }

    /// <summary>
    /// Renames the caller's own binding of a device (<c>setDeviceInfo</c>): 5068 without a name, 5333 over 64
    /// characters, 5041 for a device the caller only has a share of, 5052 for any other device.
    /// </summary>
    public async Task RenameAsync(AppUser user, string? pk, string? dk, string? deviceName)
    {
        var validPk = Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        var validDk = BindingCore.RequireDk(dk);
        if (string.IsNullOrWhiteSpace(deviceName))
        {
            throw new BinderyException(Errors.DeviceNameMissing);
        }
        var name = deviceName.Trim();
        if (name.Length > BindingCore.MaxDeviceNameLength)
        {
            throw new BinderyException(Errors.DeviceNameTooLong, $"deviceName is limited to {BindingCore.MaxDeviceNameLength} characters");
        }
        await db.WriteAsync(async tx =>
        {
            var storedDk = await DeviceKeyFormats.ResolveAsync(tx, validPk, validDk);
            var renamed = await tx.ExecuteAsync(
                "UPDATE bindings SET device_name = @Name WHERE pk = @Pk AND dk = @Dk AND user_id = @UserId",
                new { Name = name, Pk = validPk, Dk = storedDk, UserId = user.Id });
            if (renamed == 1)
            {
                return;
            }
            var shared = await tx.ExecuteScalarAsync<long>(
                LiveShares.AcceptedByUserCountSql,
                new { Pk = validPk, Dk = storedDk, UserId = user.Id, Now = Now() });
            throw shared > 0
                ? new BinderyException(Errors.NoPermission, "a shared device keeps the name it was accepted under")
                : new BinderyException(Errors.DeviceNotBound);
        });
    }

    /// <summary>
    /// <c>getDeviceInfoByBinding</c>: whether the caller could bind this product's device now, and the product's
    /// binding rules. Reads only; it answers what a bind would, without telling who holds a device:
    /// 5553 unknown product (or, with <c>checkExistInCloud</c> not false, unknown device), 5913 the product is not
    /// available to the caller's user domain or the caller may not bind into <c>fid</c>, 5049 the caller already holds
    /// the device, it is already in <c>fid</c>, or an owner-mode device is held with proof by someone else, 6040 the
    /// caller has accepted a share of it, 9013 a multi-user device is full.
    /// </summary>
    public async Task<BindingPreCheckData> PreCheckAsync(AppUser user, string? pk, string? dk, string? fid, bool? checkExistInCloud)
    {
        var validPk = Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        var validDk = string.IsNullOrWhiteSpace(dk) ? null : BindingCore.RequireDk(dk);
        var validFid = Validate.Bounded(fid, BindingCore.MaxIdLength, "fid")?.Trim();
        return await db.ReadAsync(async c =>
        {
            var product = await BindingCore.ReadProductAsync(c, validPk, user.DomainId)
                ?? throw new BinderyException(Errors.ProductOrDeviceNotFound);
            if (!product.Authorized)
            {
                throw new BinderyException(Errors.NoPermissionToBind, "the product is not available in this user domain");
            }
            if (!string.IsNullOrEmpty(validFid))
            {
                var role = await FamilyAccess.RoleOfAsync(c, null, validFid, user.Id);
                if (role is null || !role.Value.CanManage())
                {
                    throw new BinderyException(Errors.NoPermissionToBind, "only the family's owner or an admin binds devices into it");
                }
            }
            var answer = new BindingPreCheckData(product.Enables(BindingMethods.Bt), product.BindingMode, product.LogoUrl, product.Name);
            if (validDk is null)
            {
                return answer;
            }
            var storedDk = DeviceKeyFormats.Resolve(product.KeyFormat, validDk);
            var exists = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM devices WHERE pk = @Pk AND dk = @Dk", new { Pk = validPk, Dk = storedDk });
            if (exists == 0)
            {
                return checkExistInCloud == false ? answer : throw new BinderyException(Errors.ProductOrDeviceNotFound);
            }
            await CheckRelationshipsAsync(c, user, product, storedDk, validFid, Now());
            return answer;
        });
    }

    private sealed class HolderRow
    {
        public string UserId { get; set; } = "";

        public string? Fid { get; set; }

        public bool Verified { get; set; }
    }

    private static async Task CheckRelationshipsAsync(DbConnection c, AppUser user, BindingProduct product, string dk, string? fid, long now)
    {
        var holders = (await c.QueryAsync<HolderRow>(
            "SELECT user_id, fid, verified FROM bindings WHERE pk = @Pk AND dk = @Dk", new { product.Pk, Dk = dk })).ToList();
        if (holders.Any(h => h.UserId == user.Id))
        {
            throw new BinderyException(Errors.DeviceAlreadyBound, "you already hold this device");
        }
        var shared = await c.ExecuteScalarAsync<long>(
            LiveShares.AcceptedByUserCountSql,
            new { product.Pk, Dk = dk, UserId = user.Id, Now = now });
        if (shared > 0)
        {
            throw new BinderyException(Errors.AlreadyAcceptedShare);
        }
        // A binding that proves possession sets every unverified (SN) holder aside, so only verified holders count.
        var proven = holders.Where(h => h.Verified).ToList();
        if (!string.IsNullOrEmpty(fid) && proven.Any(h => h.Fid == fid))
        {
            throw new BinderyException(Errors.DeviceAlreadyBound, "the device is already in this family");
        }
        switch ((BindingMode)product.BindingMode)
        {
            case BindingMode.Owner when proven.Count > 0:
                throw new BinderyException(Errors.DeviceAlreadyBound, "the device has an owner; it must unbind it or reset the device first");
            case BindingMode.MultiUser when proven.Count >= product.UserCap:
                throw new BinderyException(Errors.UserCapReached, $"at most {product.UserCap} users per device");
        }
    }

    /// <summary>
    /// The caller's bindings and shares (accepted, or pending too) as one list, filtered by <paramref name="scope"/>:
    /// the page's rows, or with <paramref name="count"/> their total.
    /// </summary>
    private static (string Sql, DynamicParameters Param) Query(Scope scope, bool count, PageRequest page)
    {
        var param = new DynamicParameters();
        param.Add("UserId", scope.UserId);
        param.Add("Now", scope.Now);
        // Only live shares: expired or ownerless ones are gone for every read at once (the pruner deletes them later).
        var shareLive = scope.WithPendingShares ? LiveShares.Any("s") : LiveShares.Accepted("s");
        var where = new List<string>();
        if (scope.DeviceNamePattern is { } pattern)
        {
            where.Add("LOWER(d.device_name) LIKE @NamePattern ESCAPE '\\'");
            param.Add("NamePattern", pattern);
        }
        if (scope.Dk is { } dk)
        {
            // Each product's own spelling of the key: normalised for imei-or-mac, exact otherwise.
            where.Add("d.dk = CASE WHEN d.key_format = 'imei-or-mac' THEN @DkNormalized ELSE @DkExact END");
            param.Add("DkNormalized", dk.Normalized);
            param.Add("DkExact", dk.Exact);
        }
        if (scope.Pks is { } pks)
        {
            // One parameter each: the same SQL on both stores (Dapper would hand Npgsql an array, which IN cannot take).
            where.Add("d.pk IN (" + string.Join(", ", pks.Select((_, i) => "@PkList" + i.ToString(CultureInfo.InvariantCulture))) + ")");
            for (var i = 0; i < pks.Count; i++)
            {
                param.Add("PkList" + i.ToString(CultureInfo.InvariantCulture), pks[i]);
            }
        }
        if (scope.Pk is { } pk)
        {
            where.Add("d.pk = @Pk");
            param.Add("Pk", pk);
        }
        if (scope.ShareId is { } shareId)
        {
            where.Add("d.share_id = @ShareId");
            param.Add("ShareId", shareId);
        }
        var sql = new StringBuilder(count ? "SELECT COUNT(*) FROM (" : "SELECT * FROM (");
        sql.Append(
            $"""
            SELECT b.pk AS pk, b.dk AS dk, b.device_name AS device_name, b.method AS method, 1 AS device_type,
                   CASE WHEN b.verified THEN 1 ELSE 0 END AS verified, b.capabilities AS capabilities, b.fid AS fid,
                   b.frid AS frid, b.bound_at AS bound_at, NULL AS owner_uid, NULL AS share_id, NULL AS sharing_expire_at, p.name AS product_name,
                   p.logo_url AS product_logo, p.binding_mode AS binding_mode,
                   CASE WHEN b.matter_info IS NULL THEN 0 ELSE 1 END AS is_matter, p.device_key_format AS key_format
            FROM bindings b JOIN products p ON p.pk = b.pk
            WHERE b.user_id = @UserId
            UNION ALL
            SELECT s.pk, s.dk, COALESCE(s.device_name, ob.device_name, p.name), COALESCE(ob.method, 'SHARE'), 2,
                   CASE WHEN ob.verified THEN 1 ELSE 0 END, ob.capabilities, NULL, NULL, COALESCE(s.accepted_at, s.created_at),
                   s.owner_user_id, s.share_id, s.sharing_expire_at, p.name, p.logo_url, p.binding_mode,
                   CASE WHEN ob.matter_info IS NULL THEN 0 ELSE 1 END, p.device_key_format
            FROM device_shares s JOIN products p ON p.pk = s.pk
            LEFT JOIN bindings ob ON ob.pk = s.pk AND ob.dk = s.dk AND ob.user_id = s.owner_user_id
            WHERE s.user_id = @UserId AND {shareLive}
            ) d
            """);
        if (where.Count > 0)
        {
            sql.Append(" WHERE ").Append(string.Join(" AND ", where));
        }
        if (!count)
        {
            sql.Append(" ORDER BY d.bound_at DESC, d.pk, d.dk LIMIT @Limit OFFSET @Offset");
            param.Add("Limit", page.PageSize);
            param.Add("Offset", page.Offset);
        }
        return (sql.ToString(), param);
    }

    private static DeviceDetails Details(DeviceRow r, AppUser user) => new()
    {
        ProductKey = r.Pk,
        DeviceKey = r.Dk,
        DeviceName = r.DeviceName,
        BindingType = QuectelFields.BindingType(r.Method),
        DeviceType = r.DeviceType,
        Verified = r.Verified,
        CapabilitiesBitmask = r.Capabilities ?? 0,
        BindMode = r.BindingMode,
        IsMatter = r.IsMatter,
        DeviceBindTime = QuectelFields.Time(r.BoundAt),
        DeviceBindTimeTs = r.BoundAt,
        Fid = r.Fid,
        Frid = r.Frid,
        Uid = user.Id,
        OwnerUid = r.OwnerUid,
        ShareCode = r.ShareId is null ? null : DeviceSharing.ShareCodeOf(r.ShareId),
        SharingExpireAt = r.SharingExpireAt is { } end ? QuectelFields.Time(end) : null,
        SharingExpireTimeTs = r.SharingExpireAt,
        ProductName = r.ProductName,
        LogoImage = r.ProductLogo,
        ProductLogo = r.ProductLogo,
    };

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
