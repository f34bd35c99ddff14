using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>
/// A binding holder shares a device with one known user of the same user domain (<c>shareByUid</c>): the answer
/// is a share code addressed to that user, who accepts it with <c>shareDevice?shareCode=…</c>; then the device
/// appears in their list (<c>deviceType</c> 2). A share lives as long as the sharer's binding.
/// <para>
/// A share code of this kind is an identifier, not a bearer secret: only the addressed user can accept it, and any
/// other user — or a code that does not exist — gets the same 5137. (Open code-based sharing, where whoever holds
/// the code may accept, is a later issue; its codes will have to be stored hashed.)
/// </para>
/// </summary>
public sealed class DeviceSharing(IDatabase db, TimeProvider clock)
{
    public const int MaxRecipientLength = 64;

    /// <summary>What every share code starts with, as on the real cloud (<c>share_dv_…</c>).</summary>
    public const string ShareCodePrefix = "share_dv_";

    /// <summary>Who a share is addressed to: exactly one of these (5891 when none).</summary>
    public sealed record Recipient(string? ShareUid, string? Email, string? Phone, string? Username);

    public static string ShareCodeOf(string shareId) => ShareCodePrefix + shareId;

    /// <summary>The share id a code names, or null when it is not of the share-code shape.</summary>
    public static string? ShareIdOf(string? shareCode)
    {
        var code = shareCode?.Trim();
        if (code is null || !code.StartsWith(ShareCodePrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var id = code[ShareCodePrefix.Length..];
        return id.Length is > 0 and <= BindingCore.MaxIdLength ? id : null;
    }

    /// <summary>
    /// Shares the caller's device with one user; returns the share code. Not a holder 5052, an unverified (SN)
    /// binding 5360, no recipient 5891, more than one 9001, unknown user 9003, the caller themselves 9001, the target
    /// already holds it 5049, already shared with them (pending or accepted) 9008.
    /// </summary>
    public async Task<string> ShareByUidAsync(AppUser owner, string? pk, string? dk, Recipient recipient)
    {
        var validPk = Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        var validDk = BindingCore.RequireDk(dk);
        var (column, value) = RecipientKey(recipient);
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
            // A phone number without its country code can name accounts in several countries: only a single match counts.
            var matches = (await tx.QueryAsync<string>(
                $"SELECT id FROM users WHERE domain_id = @DomainId AND {column} = @Value LIMIT 2",
                new { owner.DomainId, Value = value })).ToList();
            var targetId = matches.Count == 1 ? matches[0] : throw new BinderyException(Errors.NotFound, "no such user");
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
            return ShareCodeOf(shareId);
        });
    }

    /// <summary>
    /// The addressed user accepts a share code (<c>shareDevice</c>), optionally naming the device for themselves.
    /// No code 5136; a code that does not exist or is addressed to someone else 5137 (never told apart); a name over
    /// 64 characters 5333; accepted already 6040; the caller holds a binding of the device themselves 5049.
    /// </summary>
    public async Task AcceptAsync(AppUser user, string? shareCode, string? deviceName)
    {
        if (string.IsNullOrWhiteSpace(shareCode))
        {
            throw new BinderyException(Errors.ShareCodeMissing);
        }
        var name = string.IsNullOrWhiteSpace(deviceName) ? null : deviceName.Trim();
        if (name is { Length: > BindingCore.MaxDeviceNameLength })
        {
            throw new BinderyException(Errors.DeviceNameTooLong, $"deviceName is limited to {BindingCore.MaxDeviceNameLength} characters");
        }
        var id = ShareIdOf(shareCode) ?? throw new BinderyException(Errors.ShareCodeInvalid);
        await db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var share = await tx.QuerySingleOrDefaultAsync<DeviceShareRow>(
                "SELECT share_id, pk, dk, owner_user_id, user_id, accepted_at FROM device_shares WHERE share_id = @Id AND user_id = @UserId",
                new { Id = id, UserId = user.Id })
                ?? throw new BinderyException(Errors.ShareCodeInvalid);
            await BindingCore.LockDeviceAsync(tx, share.Pk, new DeviceTarget.ByDk(share.Dk));
            if (share.AcceptedAt is not null)
            {
                throw new BinderyException(Errors.AlreadyAcceptedShare);
            }
            if (await BindingLifecycle.ReadHolderAsync(tx, share.Pk, share.Dk, user.Id) is not null)
            {
                throw new BinderyException(Errors.DeviceAlreadyBound, "you hold a binding of this device yourself");
            }
            var accepted = await tx.ExecuteAsync(
                "UPDATE device_shares SET accepted_at = @Now, device_name = @Name WHERE share_id = @Id AND accepted_at IS NULL",
                new { Now = now, Name = name, Id = id });
            if (accepted != 1)
            {
                throw new BinderyException(Errors.AlreadyAcceptedShare);
            }
            await BindingLifecycle.RecordShareAcceptedAsync(tx, share, BindingActor.User(user.Id), now);
        });
    }

    /// <summary>
    /// The users column and value a recipient is looked up by: <c>shareUid</c> the user id; <c>email</c> and
    /// <c>username</c> the account name (an account registered by e-mail is named by it, lower case); <c>phone</c> the
    /// account name when it carries its country code (<c>+86…</c>), else the registered phone number.
    /// </summary>
    private static (string Column, string Value) RecipientKey(Recipient recipient)
    {
        var given = new[]
        {
            ("id", recipient.ShareUid),
            ("username", recipient.Email),
            ("phone", recipient.Phone),
            ("username", recipient.Username),
        }.Where(r => !string.IsNullOrWhiteSpace(r.Item2)).ToList();
        if (given.Count == 0)
        {
            throw new BinderyException(Errors.ShareRecipientMissing);
        }
        if (given.Count > 1)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "name the recipient once: shareUid, email, phone or username");
        }
        var (column, raw) = given[0];
        var value = raw!.Trim();
        if (value.Length > MaxRecipientLength)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"the recipient is at most {MaxRecipientLength} characters");
        }
        return column switch
        {
            "id" => (column, value),
            // "+8613800000000" is the account name of a phone account; a bare number is looked up by the phone column.
            "phone" when value.StartsWith('+') => ("username", value),
            _ => (column, value.ToLowerInvariant()),
        };
    }
}
