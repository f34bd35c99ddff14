using System.Data.Common;
using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Storage;
using Dapper;

namespace Bindery.Gateways;

/// <summary>
/// The app side of gateway sub-devices (docs/binding.md, "Gateway sub-devices"): binding a sub-device through its
/// gateway (through <see cref="BindingCore"/>, proof <see cref="SubDeviceProof"/>, method <c>SUB_DEVICE</c>), listing a
/// gateway's sub-devices, and the rule that a sub-device binding ends with the gateway binding it rests on
/// (<see cref="EndRestingOnAsync"/>, called by <see cref="BindingLifecycle.RemoveBindingAsync"/> for every removed
/// binding, whatever removed it).
/// </summary>
public sealed class SubDeviceBindings(IDatabase db, BindingCore core)
{
    /// <summary>A sub-device of a gateway as the lists show it.</summary>
    public sealed record Child(string Pk, string Dk, string ProductName, string ProductLogo, string? DeviceName, bool Bound, long ReportedAt);

    /// <summary>The gateway binding through which a caller sees a gateway: its id and family.</summary>
    private sealed class GatewayAccess
    {
        public string BindingId { get; set; } = "";

        public string? Fid { get; set; }
    }

    private sealed class ChildRow
    {
        public string SubPk { get; set; } = "";

        public string SubDk { get; set; } = "";

        public string? ProductName { get; set; }

        public string? LogoUrl { get; set; }

        public string? DeviceName { get; set; }

        public long ReportedAt { get; set; }
    }

    /// <summary>
    /// Binds sub-device <paramref name="pk"/>/<paramref name="dk"/> through gateway <paramref name="gatewayPk"/>/
    /// <paramref name="gatewayDk"/>. <paramref name="fid"/> null with <paramref name="fidFromGateway"/>: the family of
    /// the gateway binding the caller reaches the gateway through (Tencent's AppBindSubDeviceInFamily names none).
    /// </summary>
    public async Task<BindResult> BindSubDeviceAsync(AppUser user, string? gatewayPk, string? gatewayDk, string? pk, string? dk,
        string? fid, string? frid, string? deviceName, bool isCommonDevice, bool fidFromGateway, BindingErrorMap errors, bool domainHomeModeOnly)
    {
        var validGatewayPk = Validate.Required(gatewayPk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "gatewayPk");
        var validGatewayDk = BindingCore.RequireDk(gatewayDk);
        if (fidFromGateway)
        {
            // Read before the bind to name the family; the proof checks it again under the gateway's lock.
            var access = await db.ReadAsync(connection => AccessAsync(connection, null, validGatewayPk, validGatewayDk, user.Id, verifiedOnly: true));
            if (access is null)
            {
                // The gateway is not the caller's: the same refusal as every failed proof, after the field checks.
                Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
                BindingCore.RequireDk(dk);
                throw new BinderyException(Errors.DeviceVerificationFailed);
            }
            fid = access.Fid;
        }
        var normalizedFid = string.IsNullOrWhiteSpace(fid) ? null : fid.Trim();
        return await core.BindDeviceAsync(new BindRequest
        {
            User = user,
            Pk = pk!,
            Device = new DeviceTarget.ByDk(dk!),
            Method = BindingMethods.SubDevice,
            Proof = new SubDeviceProof(validGatewayPk, validGatewayDk, normalizedFid),
            Fid = normalizedFid,
            Frid = frid,
            DeviceName = deviceName,
            IsCommonDevice = isCommonDevice,
            Errors = errors,
            DomainHomeModeOnly = domainHomeModeOnly,
        });
    }

    /// <summary>
    /// The sub-devices paired with the gateway, for a caller who holds the gateway (any binding of theirs) or is a
    /// member of a family it is bound in; <see cref="Errors.NoPermission"/> otherwise (an unknown gateway alike).
    /// <c>Bound</c>: the caller, or the family they reach the gateway through, holds a binding of the sub-device.
    /// </summary>
    public async Task<(IReadOnlyList<Child> Page, int Total)> ListAsync(AppUser user, string? gatewayPk, string? gatewayDk, string? subPk,
        int offset, int limit)
    {
        var validGatewayPk = Validate.Required(gatewayPk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        var validGatewayDk = BindingCore.RequireDk(gatewayDk);
        var filter = string.IsNullOrWhiteSpace(subPk) ? null : subPk.Trim();
        return await db.ReadAsync(async connection =>
        {
            var access = await AccessAsync(connection, null, validGatewayPk, validGatewayDk, user.Id, verifiedOnly: false)
                ?? throw new BinderyException(Errors.NoPermission, "you do not hold this gateway");
            var gatewayDkStored = await StoredDkAsync(connection, validGatewayPk, validGatewayDk);
            var rows = (await connection.QueryAsync<ChildRow>(
                """
                SELECT g.sub_pk, g.sub_dk, p.name AS product_name, p.logo_url, b.device_name, g.reported_at
                FROM gateway_sub_devices g
                JOIN products p ON p.pk = g.sub_pk
                LEFT JOIN bindings b ON b.binding_id = (
                    SELECT MIN(x.binding_id) FROM bindings x
                    WHERE x.pk = g.sub_pk AND x.dk = g.sub_dk AND (x.user_id = @UserId OR (x.fid IS NOT NULL AND x.fid = @Fid)))
                WHERE g.gateway_pk = @GatewayPk AND g.gateway_dk = @GatewayDk AND (@SubPk IS NULL OR g.sub_pk = @SubPk)
                ORDER BY g.reported_at, g.sub_pk, g.sub_dk
                """,
                new { UserId = user.Id, access.Fid, GatewayPk = validGatewayPk, GatewayDk = gatewayDkStored, SubPk = filter })).ToList();
            IReadOnlyList<Child> page = rows.Skip(offset).Take(limit)
                .Select(r => new Child(r.SubPk, r.SubDk, r.ProductName ?? "", r.LogoUrl ?? "", r.DeviceName, r.DeviceName is not null, r.ReportedAt))
                .ToList();
            return (page, rows.Count);
        });
    }

    /// <summary>
    /// The id of a verified binding of the gateway this caller may bind its sub-devices through into
    /// <paramref name="fid"/>: their own, in that family (or in none when <paramref name="fid"/> is null), or — when a
    /// family is named, whose owner or admin the caller is (checked by the core) — another member's in that family.
    /// </summary>
    public static Task<string?> GatewayBindingForAsync(DbTx tx, string gatewayPk, string gatewayDk, string userId, string? fid) =>
        tx.QuerySingleOrDefaultAsync<string>(
            """
            SELECT binding_id FROM bindings
            WHERE pk = @Pk AND dk = @Dk AND verified = TRUE
              AND ((@Fid IS NULL AND fid IS NULL AND user_id = @UserId) OR (@Fid IS NOT NULL AND fid = @Fid))
            ORDER BY CASE WHEN user_id = @UserId THEN 0 ELSE 1 END, bound_at, binding_id
            LIMIT 1
            """, new { Pk = gatewayPk, Dk = gatewayDk, UserId = userId, Fid = fid });

    /// <summary>
    /// The hook of <see cref="BindingLifecycle.RemoveBindingAsync"/>: a removed sub-device binding forgets which gateway
    /// binding it rested on, and every sub-device binding resting on a removed binding ends too — recorded as
    /// <c>unbound</c> by the same actor, with its push, in the same transaction. The sub-device rows are not locked
    /// (the caller holds the gateway's; taking a sub-device's would invert the bind's order): removing a holder only
    /// ever lets a concurrent bind of the sub-device refuse where it could have succeeded.
    /// </summary>
    public static async Task EndRestingOnAsync(DbTx tx, BindingHolder removed, BindingActor actor, long now)
    {
        if (removed.Method == SubDeviceMethod)
        {
            await tx.ExecuteAsync("DELETE FROM sub_device_bindings WHERE pk = @Pk AND dk = @Dk AND user_id = @UserId",
                new { removed.Pk, removed.Dk, removed.UserId });
        }
        var resting = (await tx.QueryAsync<BindingHolder>(
            """
            SELECT b.binding_id, b.pk, b.dk, b.user_id, b.fid, b.method, b.verified
            FROM sub_device_bindings s
            JOIN bindings b ON b.pk = s.pk AND b.dk = s.dk AND b.user_id = s.user_id AND b.method = @Method
            WHERE s.gateway_binding_id = @BindingId
            ORDER BY b.bound_at, b.binding_id
            """, new { removed.BindingId, Method = SubDeviceMethod })).ToList();
        foreach (var binding in resting)
        {
            await BindingLifecycle.RemoveBindingAsync(tx, binding, BindingEventKinds.Unbound, actor, now);
        }
        if (resting.Count == 0)
        {
            return;
        }
        await tx.ExecuteAsync("DELETE FROM sub_device_bindings WHERE gateway_binding_id = @BindingId", new { removed.BindingId });
    }

    /// <summary>The gateway dropped a sub-device: the sub-device's bindings made through any binding of that gateway end.</summary>
    public static async Task EndThroughGatewayAsync(DbTx tx, string gatewayPk, string gatewayDk, string pk, string dk, BindingActor actor, long now)
    {
        var resting = (await tx.QueryAsync<BindingHolder>(
            """
            SELECT b.binding_id, b.pk, b.dk, b.user_id, b.fid, b.method, b.verified
            FROM sub_device_bindings s
            JOIN bindings g ON g.binding_id = s.gateway_binding_id AND g.pk = @GatewayPk AND g.dk = @GatewayDk
            JOIN bindings b ON b.pk = s.pk AND b.dk = s.dk AND b.user_id = s.user_id AND b.method = @Method
            WHERE s.pk = @Pk AND s.dk = @Dk
            ORDER BY b.bound_at, b.binding_id
            """, new { GatewayPk = gatewayPk, GatewayDk = gatewayDk, Pk = pk, Dk = dk, Method = SubDeviceMethod })).ToList();
        foreach (var binding in resting)
        {
            await BindingLifecycle.RemoveBindingAsync(tx, binding, BindingEventKinds.Unbound, actor, now);
        }
    }

    /// <summary>The family a binding is in (null: none, or the binding is gone).</summary>
    public Task<string?> FamilyOfAsync(string bindingId) =>
        db.ReadAsync(connection => connection.QuerySingleOrDefaultAsync<string?>("SELECT fid FROM bindings WHERE binding_id = @Id", new { Id = bindingId }));

    public static readonly string SubDeviceMethod = BindingMethods.SubDevice.WireName();

    /// <summary>
    /// The binding through which the caller reaches the gateway: their own (verified, when <paramref name="verifiedOnly"/>)
    /// first, else one in a family they are a member of (owner or admin, when <paramref name="verifiedOnly"/>: binding
    /// into a family takes a manager); null when neither.
    /// </summary>
    private static async Task<GatewayAccess?> AccessAsync(DbConnection connection, DbTransaction? transaction, string gatewayPk, string gatewayDk,
        string userId, bool verifiedOnly)
    {
        var dk = await StoredDkAsync(connection, gatewayPk, gatewayDk);
        return await connection.QueryFirstOrDefaultAsync<GatewayAccess>(
            """
            SELECT b.binding_id, b.fid FROM bindings b
            WHERE b.pk = @Pk AND b.dk = @Dk AND (@VerifiedOnly = FALSE OR b.verified = TRUE)
              AND (b.user_id = @UserId OR (b.fid IS NOT NULL AND EXISTS (
                    SELECT 1 FROM family_members m WHERE m.fid = b.fid AND m.user_id = @UserId
                      AND (@VerifiedOnly = FALSE OR m.role IN (1, 2)))))
            ORDER BY CASE WHEN b.user_id = @UserId THEN 0 ELSE 1 END, b.bound_at, b.binding_id
            """, new { Pk = gatewayPk, Dk = dk, UserId = userId, VerifiedOnly = verifiedOnly }, transaction);
    }

    private static async Task<string> StoredDkAsync(DbConnection connection, string pk, string dk)
    {
        var format = await connection.QuerySingleOrDefaultAsync<string>("SELECT device_key_format FROM products WHERE pk = @Pk", new { Pk = pk });
        return DeviceKeys.Normalize(dk, DeviceKeyFormatNames.Parse(format) ?? DeviceKeyFormat.ImeiOrMac) ?? "";
    }
}
