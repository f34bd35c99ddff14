using Bindery.Homes;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>
/// The kinds of <c>binding_events</c> rows (docs/architecture.md, "Binding events (the outbox)"). A binding is created
/// by <see cref="Bound"/> and removed by exactly one of <see cref="Unbound"/>, <see cref="Displaced"/>,
/// <see cref="Reset"/> or <see cref="DeviceDeleted"/>, and leaves a family (staying its holder's) with
/// <see cref="LeftFamily"/>; a share is created by <see cref="Shared"/>, accepted by <see cref="ShareAccepted"/>,
/// changed by <see cref="ShareUpdated"/> and removed by <see cref="Unshared"/>.
/// </summary>
public static class BindingEventKinds
{
    /// <summary>A binding was created (SN, Wi-Fi, pure BT, token).</summary>
    public const string Bound = "bound";

    /// <summary>The holder removed their own binding (<c>unbundlingDeviceDk</c>, Tencent <c>AppDeleteDeviceInFamily</c>).</summary>
    public const string Unbound = "unbound";

    /// <summary>
    /// A binding that proved possession removed this binding: rotation mode, or this binding was unverified (SN) and
    /// is set aside in every mode; when <c>user_id</c> is the actor's, the caller's own SN binding was upgraded.
    /// </summary>
    public const string Displaced = "displaced";

    /// <summary>The device reported a factory reset (multi-user and owner mode remove every binding).</summary>
    public const string Reset = "reset";

    /// <summary>The admin deleted the device.</summary>
    public const string DeviceDeleted = "device_deleted";

    /// <summary>The family's owner deleted the family (no pk/dk/user: a family with devices cannot be deleted).</summary>
    public const string FamilyDeleted = "family_deleted";

    /// <summary>
    /// The holder left a family or was removed from it: the binding stays theirs but loses its family, room and
    /// common-list place; <c>fid</c> is the family left. Not a binding's end (no device push).
    /// </summary>
    public const string LeftFamily = "left_family";

    /// <summary>A verified holder shared the device (the share is pending until accepted).</summary>
    public const string Shared = "shared";

    /// <summary>The recipient accepted the share.</summary>
    public const string ShareAccepted = "share_accepted";

    /// <summary>The owner changed the share's sharing time (<c>setShareTime</c>); the share goes on.</summary>
    public const string ShareUpdated = "share_updated";

    /// <summary>
    /// A share ended: the owner revoked it, the recipient left it, its accepting or sharing time ended (actor
    /// <c>system</c>: the pruner), a new share replaced it (coverMark), the sharer's binding was removed (whatever
    /// removed it), the recipient bound the device themselves (a pending share is moot), or the device was deleted.
    /// </summary>
    public const string Unshared = "unshared";
}

/// <summary>Who caused a binding event: an app user (with their id), the device itself, the admin, or the server itself (expiry).</summary>
public sealed record BindingActor(string Type, string? Id)
{
    public static readonly BindingActor Device = new("device", null);

    public static readonly BindingActor Admin = new("admin", null);

    /// <summary>The server on its own: a share whose time ended, removed by the pruner.</summary>
    public static readonly BindingActor System = new("system", null);

    public static BindingActor User(string userId) => new("user", userId);
}

/// <summary>One row of <c>binding_events</c> before it is written. Never put a secret, code, token or SN here.</summary>
public sealed record BindingEvent
{
    public required string Kind { get; init; }

    public required BindingActor Actor { get; init; }

    public string? Pk { get; init; }

    public string? Dk { get; init; }

    /// <summary>Whose binding or share (for shares: the recipient).</summary>
    public string? UserId { get; init; }

    public string? Fid { get; init; }

    /// <summary><c>SN</c>, <c>WIFI</c>, <c>BT</c>, <c>TOKEN</c>, or <c>SHARE</c> for share kinds.</summary>
    public string? Method { get; init; }

    /// <summary>Whether the binding proved possession; null for share kinds and family deletion.</summary>
    public bool? Verified { get; init; }

    public string? BindingId { get; init; }

    public string? ShareId { get; init; }

    /// <summary>Share kinds: the user who shared the device.</summary>
    public string? OwnerUserId { get; init; }
}

/// <summary>A binding row as the lifecycle needs it to remove it and say so.</summary>
public sealed class BindingHolder
{
    public string BindingId { get; set; } = "";

    public string Pk { get; set; } = "";

    public string Dk { get; set; } = "";

    public string UserId { get; set; } = "";

    public string? Fid { get; set; }

    public string Method { get; set; } = "";

    public bool Verified { get; set; }
}

/// <summary>A <c>device_shares</c> row.</summary>
public class DeviceShareRow
{
    public string ShareId { get; set; } = "";

    public string Pk { get; set; } = "";

    public string Dk { get; set; } = "";

    public string OwnerUserId { get; set; } = "";

    /// <summary>The recipient; null for an open share code nobody has accepted yet.</summary>
    public string? UserId { get; set; }

    public long? AcceptedAt { get; set; }
}

/// <summary>A share to a user, with whether it is accepted and live (<see cref="Sharing.LiveShares.Accepted"/>).</summary>
public sealed class ShareToUser : DeviceShareRow
{
    public bool LiveAccepted { get; set; }
}

/// <summary>
/// The one place where bindings and shares end, and where every change to them is written to the
/// <c>binding_events</c> outbox, always inside the caller's write transaction: the event commits with the change or
/// not at all. Callers (the core, sharing, device reports, the registry, homes) hold the device row lock
/// (<see cref="BindingCore.LockDeviceAsync"/>) before removing anything of that device.
/// </summary>
public static class BindingLifecycle
{
    public const string MethodShare = "SHARE";

    private const string HolderColumns = "binding_id, pk, dk, user_id, fid, method, verified";
    private const string ShareColumns = "share_id, pk, dk, owner_user_id, user_id, accepted_at";

    /// <summary>Every binding of the device, oldest first.</summary>
    public static async Task<List<BindingHolder>> ReadHoldersAsync(DbTx tx, string pk, string dk) =>
        (await tx.QueryAsync<BindingHolder>(
            $"SELECT {HolderColumns} FROM bindings WHERE pk = @Pk AND dk = @Dk ORDER BY bound_at, binding_id",
            new { Pk = pk, Dk = dk })).ToList();

    /// <summary>The user's binding of the device, if any.</summary>
    public static Task<BindingHolder?> ReadHolderAsync(DbTx tx, string pk, string dk, string userId) =>
        tx.QuerySingleOrDefaultAsync<BindingHolder>(
            $"SELECT {HolderColumns} FROM bindings WHERE pk = @Pk AND dk = @Dk AND user_id = @UserId",
            new { Pk = pk, Dk = dk, UserId = userId });

    /// <summary>
    /// Appends one event to the outbox, and queues the push to the device it calls for (<see cref="Mqtt.DevicePushes"/>),
    /// in the caller's transaction.
    /// </summary>
    public static async Task RecordAsync(DbTx tx, BindingEvent e, long now)
    {
        await AppendAsync(tx, e, now);
        await Mqtt.DevicePushes.OnBindingEventAsync(tx, e, now);
    }

    // Put off (DbTx.ExecuteLaterAsync): nothing reads the outbox in the transaction that appends to it, so on
    // PostgreSQL the row travels with the next statement's or the COMMIT's round trip.
    private static Task AppendAsync(DbTx tx, BindingEvent e, long now) =>
        tx.ExecuteLaterAsync(
            """
            INSERT INTO binding_events (event_id, occurred_at, kind, pk, dk, user_id, fid, method, verified,
                                        binding_id, share_id, owner_user_id, actor_type, actor_id)
            VALUES (@EventId, @Now, @Kind, @Pk, @Dk, @UserId, @Fid, @Method, @Verified,
                    @BindingId, @ShareId, @OwnerUserId, @ActorType, @ActorId)
            """,
            new
            {
                EventId = Secrets.NewTimeOrderedId(now),
                Now = now,
                e.Kind,
                e.Pk,
                e.Dk,
                e.UserId,
                e.Fid,
                e.Method,
                e.Verified,
                e.BindingId,
                e.ShareId,
                e.OwnerUserId,
                ActorType = e.Actor.Type,
                ActorId = e.Actor.Id,
            });

    /// <summary>Records a binding just inserted.</summary>
    public static Task RecordBoundAsync(DbTx tx, BindingHolder binding, BindingActor actor, long now) =>
        RecordAsync(tx, BindingEventOf(BindingEventKinds.Bound, binding, actor), now);

    /// <summary>
    /// Deletes one binding with everything that hangs off it — the shares its user granted of the device and, when no
    /// other binding keeps the device in that family, the family's common-device entry — and records
    /// <paramref name="kind"/> for the binding and <see cref="BindingEventKinds.Unshared"/> for each share. The authKey
    /// dies with the row.
    /// </summary>
    public static async Task RemoveBindingAsync(DbTx tx, BindingHolder binding, string kind, BindingActor actor, long now)
    {
        await tx.ExecuteAsync("DELETE FROM bindings WHERE binding_id = @BindingId", new { binding.BindingId });
        await RecordAsync(tx, BindingEventOf(kind, binding, actor), now);
        await RemoveSharesAsync(tx, "pk = @Pk AND dk = @Dk AND owner_user_id = @UserId",
            new { binding.Pk, binding.Dk, binding.UserId }, actor, now);
        if (binding.Fid is not null)
        {
            await FamilyDevices.ForgetDepartedAsync(tx, binding.Fid);
        }
        // A gateway's binding takes the sub-device bindings resting on it along (docs/binding.md, "Gateway sub-devices").
        await Gateways.SubDeviceBindings.EndRestingOnAsync(tx, binding, actor, now);
    }

    /// <summary>Removes every binding of the device (oldest first) as <paramref name="kind"/>; returns how many.</summary>
    public static async Task<int> RemoveAllBindingsAsync(DbTx tx, string pk, string dk, string kind, BindingActor actor, long now)
    {
        var holders = await ReadHoldersAsync(tx, pk, dk);
        foreach (var holder in holders)
        {
            await RemoveBindingAsync(tx, holder, kind, actor, now);
        }
        return holders.Count;
    }

    /// <summary>
    /// The admin deletes a device: every binding goes as <see cref="BindingEventKinds.DeviceDeleted"/>, with its
    /// shares, and any share left over. Returns the number of bindings removed.
    /// </summary>
    public static async Task<int> RemoveDeviceAsync(DbTx tx, string pk, string dk, BindingActor actor, long now)
    {
        var removed = await RemoveAllBindingsAsync(tx, pk, dk, BindingEventKinds.DeviceDeleted, actor, now);
        await RemoveSharesAsync(tx, "pk = @Pk AND dk = @Dk", new { Pk = pk, Dk = dk }, actor, now);
        return removed;
    }

    /// <summary>Records a share just created (pending).</summary>
    public static Task RecordSharedAsync(DbTx tx, DeviceShareRow share, BindingActor actor, long now) =>
        RecordAsync(tx, ShareEventOf(BindingEventKinds.Shared, share, actor), now);

    /// <summary>Records a share just accepted.</summary>
    public static Task RecordShareAcceptedAsync(DbTx tx, DeviceShareRow share, BindingActor actor, long now) =>
        RecordAsync(tx, ShareEventOf(BindingEventKinds.ShareAccepted, share, actor), now);

    /// <summary>Records a change of a share's terms (the owner set its sharing time).</summary>
    public static Task RecordShareUpdatedAsync(DbTx tx, DeviceShareRow share, BindingActor actor, long now) =>
        RecordAsync(tx, ShareEventOf(BindingEventKinds.ShareUpdated, share, actor), now);

    /// <summary>
    /// Removes one share (revoked, left, expired, replaced, moot) and records <see cref="BindingEventKinds.Unshared"/>;
    /// returns whether it was still there. The recipient's authKey dies with the row.
    /// </summary>
    public static async Task<bool> RemoveShareAsync(DbTx tx, string shareId, BindingActor actor, long now) =>
        await RemoveSharesAsync(tx, "share_id = @ShareId", new { ShareId = shareId }, actor, now) > 0;

    /// <summary>Removes the share of the device addressed to <paramref name="userId"/>, if any; returns how many went (0 or 1).</summary>
    public static Task<int> RemoveShareToUserAsync(DbTx tx, string pk, string dk, string userId, BindingActor actor, long now) =>
        RemoveSharesAsync(tx, "pk = @Pk AND dk = @Dk AND user_id = @UserId", new { Pk = pk, Dk = dk, UserId = userId }, actor, now);

    /// <summary>Records that <paramref name="binding"/> left family <paramref name="fid"/> (its holder left or was removed).</summary>
    public static Task RecordLeftFamilyAsync(DbTx tx, BindingHolder binding, string fid, BindingActor actor, long now) =>
        RecordAsync(tx, BindingEventOf(BindingEventKinds.LeftFamily, binding, actor) with { Fid = fid }, now);

    /// <summary>
    /// The shares of the device addressed to <paramref name="userId"/> (0 or 1), each with whether it is live and
    /// accepted; <see cref="RemoveSharesReadAsync"/> removes them later in the same transaction.
    /// </summary>
    public static async Task<List<ShareToUser>> ReadSharesToUserAsync(DbTx tx, string pk, string dk, string userId, long now) =>
        (await tx.QueryAsync<ShareToUser>(
            $"""
            SELECT {ShareColumns}, CASE WHEN {Sharing.LiveShares.Accepted("s")} THEN TRUE ELSE FALSE END AS live_accepted
            FROM device_shares s WHERE s.pk = @Pk AND s.dk = @Dk AND s.user_id = @UserId ORDER BY s.created_at, s.share_id
            """,
            new { Pk = pk, Dk = dk, UserId = userId, Now = now })).ToList();

    /// <summary>
    /// Removes shares read earlier in this transaction and records <see cref="BindingEventKinds.Unshared"/> for each
    /// one still there (one removed meanwhile with its sharer's binding was recorded then).
    /// </summary>
    public static async Task<int> RemoveSharesReadAsync(DbTx tx, IReadOnlyList<DeviceShareRow> shares, BindingActor actor, long now)
    {
        var removed = 0;
        foreach (var share in shares)
        {
            if (await tx.ExecuteAsync("DELETE FROM device_shares WHERE share_id = @ShareId", new { share.ShareId }) > 0)
            {
                await RecordAsync(tx, ShareEventOf(BindingEventKinds.Unshared, share, actor), now);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Records that a family was deleted (owner only; a family holding bindings cannot be deleted).</summary>
    public static Task RecordFamilyDeletedAsync(DbTx tx, string fid, BindingActor actor, long now) =>
        RecordAsync(tx, new BindingEvent { Kind = BindingEventKinds.FamilyDeleted, Fid = fid, Actor = actor }, now);

    private static async Task<int> RemoveSharesAsync(DbTx tx, string where, object param, BindingActor actor, long now)
    {
        var shares = (await tx.QueryAsync<DeviceShareRow>(
            $"SELECT {ShareColumns} FROM device_shares WHERE {where} ORDER BY created_at, share_id", param)).ToList();
        foreach (var share in shares)
        {
            await tx.ExecuteAsync("DELETE FROM device_shares WHERE share_id = @ShareId", new { share.ShareId });
            await RecordAsync(tx, ShareEventOf(BindingEventKinds.Unshared, share, actor), now);
        }
        return shares.Count;
    }

    private static BindingEvent BindingEventOf(string kind, BindingHolder binding, BindingActor actor) => new()
    {
        Kind = kind,
        Actor = actor,
        Pk = binding.Pk,
        Dk = binding.Dk,
        UserId = binding.UserId,
        Fid = binding.Fid,
        Method = binding.Method,
        Verified = binding.Verified,
        BindingId = binding.BindingId,
    };

    private static BindingEvent ShareEventOf(string kind, DeviceShareRow share, BindingActor actor) => new()
    {
        Kind = kind,
        Actor = actor,
        Pk = share.Pk,
        Dk = share.Dk,
        UserId = share.UserId,
        Method = MethodShare,
        ShareId = share.ShareId,
        OwnerUserId = share.OwnerUserId,
    };
}
