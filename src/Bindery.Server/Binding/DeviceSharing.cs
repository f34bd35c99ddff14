using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>
/// A binding holder shares a device with another user of the same user domain; once that user accepts, the
/// device appears in their list (bindingType SHARE). A share lives as long as the sharer's binding.
/// </summary>
public sealed class DeviceSharing(IDatabase db, TimeProvider clock)
{
    public const int MaxUsernameLength = 64;

    public sealed record Share(string ShareId, string Pk, string Dk);

    public async Task<Share> ShareAsync(AppUser owner, string? pk, string? dk, string? username)
    {
        var validPk = Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        var validDk = BindingCore.RequireDk(dk);
        var validUsername = Validate.Required(username, Errors.InvalidParameter, MaxUsernameLength, "username");
        return await db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var device = await BindingCore.LockDeviceAsync(tx, validPk, new DeviceTarget.ByDk(await DeviceKeyFormats.ResolveAsync(tx, validPk, validDk)))
                ?? throw new BinderyException(Errors.DeviceNotBound);
            var holds = await tx.QuerySingleOrDefaultAsync<bool?>(
                "SELECT verified FROM bindings WHERE pk = @Pk AND dk = @Dk AND user_id = @UserId",
                new { device.Pk, device.Dk, UserId = owner.Id });
            if (holds is null)
            {
                throw new BinderyException(Errors.DeviceNotBound, "only a user who holds a binding can share the device");
            }
            if (holds == false)
            {
                // An SN binding proves nothing; letting it hand the device on would launder a squat into shares.
                throw new BinderyException(Errors.UnverifiedBindingCannotShare);
            }
            var targetId = await tx.QuerySingleOrDefaultAsync<string>(
                "SELECT id FROM users WHERE domain_id = @DomainId AND username = @Username",
                new { owner.DomainId, Username = validUsername })
                ?? throw new BinderyException(Errors.NotFound, "no such user");
            if (targetId == owner.Id)
            {
                throw new BinderyException(Errors.InvalidParameterValue, "a device cannot be shared with its own holder");
            }
            var targetHolds = await tx.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM bindings WHERE pk = @Pk AND dk = @Dk AND user_id = @UserId",
                new { device.Pk, device.Dk, UserId = targetId });
            if (targetHolds > 0)
            {
                throw new BinderyException(Errors.DeviceAlreadyBound, "that user already holds the device");
            }
            var shareId = Secrets.NewId();
            var inserted = await tx.ExecuteAsync(
                """
                INSERT INTO device_shares (share_id, pk, dk, owner_user_id, user_id, created_at, accepted_at)
                VALUES (@ShareId, @Pk, @Dk, @OwnerId, @UserId, @Now, NULL)
                ON CONFLICT (pk, dk, user_id) DO NOTHING
                """,
                new { ShareId = shareId, device.Pk, device.Dk, OwnerId = owner.Id, UserId = targetId, Now = now });
            if (inserted != 1)
            {
                throw new BinderyException(Errors.AlreadyExists, "the device is already shared with that user");
            }
            await BindingLifecycle.RecordSharedAsync(tx,
                new DeviceShareRow { ShareId = shareId, Pk = device.Pk, Dk = device.Dk, OwnerUserId = owner.Id, UserId = targetId },
                BindingActor.User(owner.Id), now);
            return new Share(shareId, device.Pk, device.Dk);
        });
    }

    /// <summary>Accepts a share addressed to <paramref name="user"/>; accepting twice is harmless.</summary>
    public async Task<Share> AcceptAsync(AppUser user, string? shareId)
    {
        var id = Validate.Required(shareId, Errors.InvalidParameter, BindingCore.MaxIdLength, "shareId");
        return await db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var share = await tx.QuerySingleOrDefaultAsync<DeviceShareRow>(
                "SELECT share_id, pk, dk, owner_user_id, user_id, accepted_at FROM device_shares WHERE share_id = @Id AND user_id = @UserId",
                new { Id = id, UserId = user.Id })
                ?? throw new BinderyException(Errors.NotFound, "no such share");
            await BindingCore.LockDeviceAsync(tx, share.Pk, new DeviceTarget.ByDk(share.Dk));
            if (share.AcceptedAt is null)
            {
                var accepted = await tx.ExecuteAsync(
                    "UPDATE device_shares SET accepted_at = @Now WHERE share_id = @Id AND accepted_at IS NULL",
                    new { Now = now, Id = id });
                if (accepted == 1)
                {
                    await BindingLifecycle.RecordShareAcceptedAsync(tx, share, BindingActor.User(user.Id), now);
                }
            }
            return new Share(id, share.Pk, share.Dk);
        });
    }
}
