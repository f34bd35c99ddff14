using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Sharing;

/// <summary>
/// The one sharing core, free of HTTP: the Quectel <c>/v2</c> endpoints (<see cref="ShareEndpoints"/>) and the
/// Tencent actions are thin adapters over it. A share is one <c>device_shares</c> row whichever dialect made it
/// (docs/sharing.md, "The share model"): a verified holder of a device (the owner) gives one recipient use of it,
/// either addressed (the recipient fixed at creation, accepting by the handle) or as an open code (whoever presents
/// the full code first). Shares end only through <see cref="BindingLifecycle"/>, each end written as <c>unshared</c>.
/// <para>
/// Codes: the handle <c>share_dv_&lt;shareId&gt;</c> names a share (not a secret: management calls are authorised by who
/// calls); an open code is <c>share_dv_&lt;shareId&gt;_&lt;secret&gt;</c>, of which only <c>Sha256Hex(secret)</c> is stored.
/// Presenting a code that does not exist, has the wrong secret, is expired, or is addressed to someone else answers
/// the same 5137 and counts as a failed guess (per user and per user domain; over either limit 9007 until the
/// window ends, whatever is presented). Only once the secret is verified is a more specific error told.
/// </para>
/// </summary>
public sealed class DeviceSharing(IDatabase db, TimeProvider clock, IOptions<SharingOptions> options, Audit.SecurityAudit audit)
{
    public const int MaxRecipientLength = 64;

    /// <summary>What every share code starts with, as on the real cloud (<c>share_dv_…</c>).</summary>
    public const string ShareCodePrefix = "share_dv_";

    /// <summary>The longest code accepted for parsing (prefix, 24-character id, separator, 43-character secret, with room).</summary>
    public const int MaxCodeLength = 128;

    public const string UserGuessScope = "share-user";
    public const string DomainGuessScope = "share-domain";

    private SharingOptions Options => options.Value;

    /// <summary>The handle of a share: <c>share_dv_&lt;shareId&gt;</c>.</summary>
    public static string ShareCodeOf(string shareId) => ShareCodePrefix + shareId;

    /// <summary>A code split into its share id and (open codes) its secret; null when it is not of the share-code shape.</summary>
    public sealed record ParsedCode(string ShareId, string? Secret);

    public static ParsedCode? Parse(string? shareCode)
    {
        var code = shareCode?.Trim();
        if (code is null || code.Length > MaxCodeLength || !code.StartsWith(ShareCodePrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = code[ShareCodePrefix.Length..];
        // Share ids are lower hex (no '_'); the secret is base64url and may itself contain '_'.
        var separator = rest.IndexOf('_', StringComparison.Ordinal);
        var id = separator < 0 ? rest : rest[..separator];
        var secret = separator < 0 ? null : rest[(separator + 1)..];
        if (id.Length is 0 or > BindingCore.MaxIdLength || secret is { Length: 0 })
        {
            return null;
        }
        return new ParsedCode(id, secret);
    }

    /// <summary>The share id a code (handle or full code) names, or null when it is not of the share-code shape.</summary>
    public static string? ShareIdOf(string? shareCode) => Parse(shareCode)?.ShareId;

    /// <summary>A share row as the core reads it (with its owner's user domain).</summary>
    private sealed class ShareRow
    {
        public string ShareId { get; set; } = "";

        public string Pk { get; set; } = "";

        public string Dk { get; set; } = "";

        public string OwnerUserId { get; set; } = "";

        public string? UserId { get; set; }

        public long CreatedAt { get; set; }

        public long? AcceptedAt { get; set; }

        public string? CodeHash { get; set; }

        public long AcceptingExpireAt { get; set; }

        public long? SharingExpireAt { get; set; }

        public string OwnerDomainId { get; set; } = "";

        public bool IsLive(long now) =>
            (AcceptedAt is not null || AcceptingExpireAt > now) && (SharingExpireAt is null || SharingExpireAt > now);

        public DeviceShareRow Event(string? userId = null) => new()
        {
            ShareId = ShareId,
            Pk = Pk,
            Dk = Dk,
            OwnerUserId = OwnerUserId,
            UserId = userId ?? UserId,
            AcceptedAt = AcceptedAt,
        };
    }

    private const string RowSql =
        """
        SELECT s.share_id, s.pk, s.dk, s.owner_user_id, s.user_id, s.created_at, s.accepted_at, s.code_hash,
               s.accepting_expire_at, s.sharing_expire_at, o.domain_id AS owner_domain_id
        FROM device_shares s JOIN users o ON o.id = s.owner_user_id
        """;

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- creating ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The owner creates an open share code (<c>shareInfo</c>, <c>AppCreateShareDeviceToken</c>). Not a holder 5052, an
    /// unverified binding 5360, terms out of range (9001, 5133, 5153), coverMark 3 not extended 5151, limits 9203.
    /// </summary>
    public async Task<ShareIssued> CreateCodeAsync(AppUser owner, string? pk, string? dk, ShareTerms terms)
    {
        var (validPk, validDk) = DeviceArgs(pk, dk);
        var now = Now();
        var (accepting, sharing, cover) = ValidTerms(terms, now, Options.DefaultAcceptingWindow);
        var shareId = Secrets.NewId();
        var secret = Secrets.NewToken();
        return await db.WriteAsync(async tx =>
        {
            var device = await LockOwnedDeviceAsync(tx, owner, validPk, validDk);
            var previous = (await tx.QueryAsync<ShareRow>(
                $"""
                {RowSql}
                WHERE s.pk = @Pk AND s.dk = @Dk AND s.owner_user_id = @OwnerId AND s.user_id IS NULL AND s.accepted_at IS NULL
                  AND {LiveShares.Any("s")}
                ORDER BY s.created_at, s.share_id
                """,
                new { device.Pk, device.Dk, OwnerId = owner.Id, Now = now })).ToList();
            await CoverAsync(tx, previous, cover, sharing, owner, now);
            await CheckDeviceLimitsAsync(tx, device.Pk, device.Dk, openCode: true, now);
            await InsertAsync(tx, shareId, device.Pk, device.Dk, owner.Id, null, Secrets.Sha256Hex(secret), accepting, sharing, now);
            await BindingLifecycle.RecordSharedAsync(tx,
                new DeviceShareRow { ShareId = shareId, Pk = device.Pk, Dk = device.Dk, OwnerUserId = owner.Id, UserId = null },
                BindingActor.User(owner.Id), now);
            return new ShareIssued(ShareCodeOf(shareId) + "_" + secret, shareId, accepting, sharing);
        });
    }

    /// <summary>
    /// The owner shares the device with one known user of the same user domain (<c>shareByUid</c>,
    /// <c>AppSendShareDeviceInvite</c>); the answer's code is the handle the recipient accepts by. Not a holder 5052,
    /// unverified 5360, no recipient 5891, more than one / too long 9001, unknown user 9003, the owner themselves 9202,
    /// the recipient holds the device 5049, already shared with them (accepted, someone else's pending share, or a
    /// pending one with coverMark 2) 9008, coverMark 3 not extended 5151, limits 9203. The accepting window defaults
    /// to <see cref="SharingOptions.MaxAcceptingWindow"/> (an invitation waits for its recipient).
    /// </summary>
    public async Task<ShareIssued> ShareWithUserAsync(AppUser owner, string? pk, string? dk, ShareRecipient to, ShareTerms terms)
    {
        var (validPk, validDk) = DeviceArgs(pk, dk);
        var (column, value) = RecipientKey(to);
        var now = Now();
        var (accepting, sharing, cover) = ValidTerms(terms, now, Options.MaxAcceptingWindow);
        var shareId = Secrets.NewId();
        return await db.WriteAsync(async tx =>
        {
            var device = await LockOwnedDeviceAsync(tx, owner, validPk, validDk);
            // A phone number without its country code can name accounts in several countries: only a single match counts.
            var matches = (await tx.QueryAsync<string>(
                $"SELECT id FROM users WHERE domain_id = @DomainId AND {column} = @Value LIMIT 2",
                new { owner.DomainId, Value = value })).ToList();
            var targetId = matches.Count == 1 ? matches[0] : throw new BinderyException(Errors.NotFound, "no such user");
            if (targetId == owner.Id)
            {
                throw new BinderyException(Errors.CannotShareOwnDevice, "a device cannot be shared with its own holder");
            }
            if (await BindingLifecycle.ReadHolderAsync(tx, device.Pk, device.Dk, targetId) is not null)
            {
                throw new BinderyException(Errors.DeviceAlreadyBound, "that user already holds the device");
            }
            var existing = await tx.QuerySingleOrDefaultAsync<ShareRow>(
                $"{RowSql} WHERE s.pk = @Pk AND s.dk = @Dk AND s.user_id = @UserId",
                new { device.Pk, device.Dk, UserId = targetId });
            if (existing is not null)
            {
                if (!existing.IsLive(now) || !await OwnerHoldsAsync(tx, existing))
                {
                    await BindingLifecycle.RemoveShareAsync(tx, existing.ShareId, BindingActor.System, now);
                }
                else if (existing.AcceptedAt is not null || existing.OwnerUserId != owner.Id || cover == 2)
                {
                    throw new BinderyException(Errors.AlreadyExists, "the device is already shared with that user");
                }
                else
                {
                    await CoverAsync(tx, [existing], cover, sharing, owner, now);
                }
            }
            await CheckDeviceLimitsAsync(tx, device.Pk, device.Dk, openCode: false, now);
            await InsertAsync(tx, shareId, device.Pk, device.Dk, owner.Id, targetId, null, accepting, sharing, now);
            await BindingLifecycle.RecordSharedAsync(tx,
                new DeviceShareRow { ShareId = shareId, Pk = device.Pk, Dk = device.Dk, OwnerUserId = owner.Id, UserId = targetId },
                BindingActor.User(owner.Id), now);
            return new ShareIssued(ShareCodeOf(shareId), shareId, accepting, sharing);
        });
    }

    // ---- presenting a code ---------------------------------------------------------------------------------------

    /// <summary>
    /// What a code offers (<c>AppDescribeShareDeviceToken</c>): the full code of an open share, or the handle of a share
    /// addressed to the caller. Any failed lookup is a failed guess (5137; 9007 once over a limit). A code accepted by
    /// someone else 9201 (after the secret is verified).
    /// </summary>
    public async Task<ShareCodeInfo> DescribeCodeAsync(AppUser caller, string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            throw new BinderyException(Errors.ShareCodeMissing);
        }
        var parsed = Parse(code);
        var now = Now();
        var (row, refusal) = await db.WriteAsync(tx => IdentifyAsync(tx, caller, parsed, null, null, now));
        if (refusal is not null)
        {
            throw new BinderyException(refusal);
        }
        if (row!.AcceptedAt is not null && row.UserId != caller.Id)
        {
            throw new BinderyException(Errors.ShareCodeUsed);
        }
        return await db.ReadAsync(async c => await Dapper.SqlMapper.QuerySingleAsync<ShareCodeInfo>(c,
            """
            SELECT s.share_id AS ShareId, s.pk AS Pk, s.dk AS Dk, COALESCE(ob.device_name, p.name) AS DeviceName,
                   s.owner_user_id AS OwnerUid, o.username AS OwnerName, s.accepting_expire_at AS AcceptingExpireAt,
                   s.sharing_expire_at AS SharingExpireAt, p.name AS ProductName, p.logo_url AS ProductLogo
            FROM device_shares s JOIN users o ON o.id = s.owner_user_id JOIN products p ON p.pk = s.pk
            LEFT JOIN bindings ob ON ob.pk = s.pk AND ob.dk = s.dk AND ob.user_id = s.owner_user_id
            WHERE s.share_id = @Id
            """,
            new { Id = row.ShareId }));
    }

    /// <summary>
    /// The recipient accepts (<c>shareDevice</c>, <c>AppBindUserShareDevice</c>): the full code of an open share, or the
    /// handle of a share addressed to the caller; optionally naming the device for themselves. <paramref name="expectedPk"/>
    /// / <paramref name="expectedDk"/> (Tencent sends the device along): a code of another device is 5137. No code 5136;
    /// name over 64 characters 5333; failed lookup 5137 (counted; 9007 over the limit); then, the code verified: accepted
    /// by the caller already 6040, by someone else 9201, the caller's own device 9202, the caller holds a binding of it
    /// 5049, the caller has a live share of the device already 6040, the caller's shared-device limit 9204. Exactly one
    /// of any number of concurrent recipients wins (a conditional update under the device row lock).
    /// </summary>
    public async Task<AcceptedShare> AcceptAsync(AppUser recipient, string? code, string? deviceName, string? expectedPk = null, string? expectedDk = null)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            throw new BinderyException(Errors.ShareCodeMissing);
        }
        var name = string.IsNullOrWhiteSpace(deviceName) ? null : deviceName.Trim();
        if (name is { Length: > BindingCore.MaxDeviceNameLength })
        {
            throw new BinderyException(Errors.DeviceNameTooLong, $"deviceName is limited to {BindingCore.MaxDeviceNameLength} characters");
        }
        var parsed = Parse(code);
        var now = Now();
        var authKey = Secrets.NewToken();
        var (accepted, refusal) = await db.WriteAsync<(AcceptedShare?, ErrorDef?)>(async tx =>
        {
            var (found, refused) = await IdentifyAsync(tx, recipient, parsed, expectedPk, expectedDk, now);
            if (refused is not null)
            {
                return (null, refused);
            }
            await BindingCore.LockDeviceAsync(tx, found!.Pk, new DeviceTarget.ByDk(found.Dk));
            // Re-read under the device lock: a concurrent acceptance, revocation or unbind has committed by now.
            var share = await tx.QuerySingleOrDefaultAsync<ShareRow>($"{RowSql} WHERE s.share_id = @Id", new { Id = found.ShareId });
            if (share is null || !share.IsLive(now) || !await OwnerHoldsAsync(tx, share))
            {
                return (null, Errors.ShareCodeInvalid);
            }
            if (share.AcceptedAt is not null)
            {
                throw new BinderyException(share.UserId == recipient.Id ? Errors.AlreadyAcceptedShare : Errors.ShareCodeUsed);
            }
            if (share.OwnerUserId == recipient.Id)
            {
                throw new BinderyException(Errors.CannotShareOwnDevice);
            }
            if (await BindingLifecycle.ReadHolderAsync(tx, share.Pk, share.Dk, recipient.Id) is not null)
            {
                throw new BinderyException(Errors.DeviceAlreadyBound, "you hold a binding of this device yourself");
            }
            var other = await tx.QuerySingleOrDefaultAsync<ShareRow>(
                $"{RowSql} WHERE s.pk = @Pk AND s.dk = @Dk AND s.user_id = @UserId AND s.share_id <> @Id",
                new { share.Pk, share.Dk, UserId = recipient.Id, Id = share.ShareId });
            if (other is not null)
            {
                if (other.AcceptedAt is not null && other.IsLive(now) && await OwnerHoldsAsync(tx, other))
                {
                    throw new BinderyException(Errors.AlreadyAcceptedShare, "you already have a share of this device");
                }
                // A pending invitation (or a dead share) of the same device is moot once this one is accepted.
                await BindingLifecycle.RemoveShareAsync(tx, other.ShareId, BindingActor.User(recipient.Id), now);
            }
            var held = await tx.ExecuteScalarAsync<long>(
                $"SELECT COUNT(*) FROM device_shares s WHERE s.user_id = @UserId AND {LiveShares.Accepted("s")}",
                new { UserId = recipient.Id, Now = now });
            if (held >= Options.MaxSharedDevicesPerUser)
            {
                throw new BinderyException(Errors.UserShareLimit, $"at most {Options.MaxSharedDevicesPerUser} devices shared with one user");
            }
            var updated = await tx.ExecuteAsync(
                """
                UPDATE device_shares SET user_id = @UserId, accepted_at = @Now, device_name = @Name, auth_key_hash = @AuthKeyHash
                WHERE share_id = @Id AND accepted_at IS NULL AND (user_id IS NULL OR user_id = @UserId)
                """,
                new { UserId = recipient.Id, Now = now, Name = name, AuthKeyHash = Secrets.Sha256Hex(authKey), Id = share.ShareId });
            if (updated != 1)
            {
                throw new BinderyException(Errors.ShareCodeUsed);
            }
            await BindingLifecycle.RecordShareAcceptedAsync(tx, share.Event(recipient.Id), BindingActor.User(recipient.Id), now);
            return (new AcceptedShare(ShareCodeOf(share.ShareId), share.ShareId, share.Pk, share.Dk, share.OwnerUserId, authKey, share.SharingExpireAt), null);
        });
        return refusal is not null ? throw new BinderyException(refusal) : accepted!;
    }

    /// <summary>
    /// Finds the share a presented code names, or the refusal: over a guessing limit 9007 (nothing counted, whatever
    /// is presented); a code that is malformed, unknown, of another user domain, with a wrong or missing secret,
    /// addressed to someone else, expired, ownerless, or of another device than expected 5137, counted per user and
    /// per user domain. The refusal is returned (not thrown) so the counting commits.
    /// </summary>
    private async Task<(ShareRow? Row, ErrorDef? Refusal)> IdentifyAsync(DbTx tx, AppUser caller, ParsedCode? parsed, string? expectedPk, string? expectedDk, long now)
    {
        var userFailures = await GuessCounters.FailuresAsync(tx, UserGuessScope, caller.Id, Options.GuessWindow, now);
        var domainFailures = await GuessCounters.FailuresAsync(tx, DomainGuessScope, caller.DomainId, Options.GuessWindow, now);
        if (userFailures >= Options.FailuresPerUser || domainFailures >= Options.FailuresPerUserDomain)
        {
            return (null, Errors.TooManyAttempts);
        }
        var row = parsed is null ? null : await tx.QuerySingleOrDefaultAsync<ShareRow>($"{RowSql} WHERE s.share_id = @Id", new { Id = parsed.ShareId });
        var credential = row is not null && parsed is not null && (row.CodeHash is not null
            ? parsed.Secret is not null && Secrets.MatchesHash(parsed.Secret, row.CodeHash)
            : parsed.Secret is null && row.UserId == caller.Id);
        var valid = credential
            && row!.OwnerDomainId == caller.DomainId
            && row.IsLive(now)
            && (expectedPk is null || string.Equals(expectedPk.Trim(), row.Pk, StringComparison.Ordinal))
            && (expectedDk is null || SameDk(expectedDk, row.Dk))
            && await OwnerHoldsAsync(tx, row);
        if (!valid)
        {
            await audit.GuessFailedAsync(tx, Audit.RefusalProofs.ShareCode, caller.Id, caller.DomainId,
                await GuessCounters.RecordFailureAsync(tx, UserGuessScope, caller.Id, Options.GuessWindow, now), Options.FailuresPerUser,
                await GuessCounters.RecordFailureAsync(tx, DomainGuessScope, caller.DomainId, Options.GuessWindow, now), Options.FailuresPerUserDomain, now);
            return (null, Errors.ShareCodeInvalid);
        }
        return (row, null);
    }

    private static bool SameDk(string given, string stored)
    {
        var (normalized, exact) = DeviceKeyFormats.LookupKeys(given.Trim());
        return string.Equals(exact, stored, StringComparison.Ordinal) || string.Equals(normalized, stored, StringComparison.Ordinal);
    }

    // ---- lists ---------------------------------------------------------------------------------------------------

    private sealed class ShareUserRow
    {
        public string ShareId { get; set; } = "";

        public string UserId { get; set; } = "";

        public string Username { get; set; } = "";

        public long CreatedAt { get; set; }

        public long? AcceptedAt { get; set; }

        public long AcceptingExpireAt { get; set; }

        public long? SharingExpireAt { get; set; }

        public string? DeviceName { get; set; }
    }

    /// <summary>
    /// The recipients of the caller's live shares of a device (<c>deviceShareUserList</c>, <c>AppListShareDeviceUsers</c>):
    /// addressed shares pending or accepted, and accepted open codes, oldest first. Pending open codes have no user and
    /// are not listed. A device the caller does not hold 5052.
    /// </summary>
    public async Task<IReadOnlyList<ShareUser>> ShareUsersAsync(AppUser owner, string? pk, string? dk)
    {
        var (validPk, validDk) = DeviceArgs(pk, dk);
        var now = Now();
        var (normalized, exact) = DeviceKeyFormats.LookupKeys(validDk);
        return await db.ReadAsync(async c =>
        {
            var storedDk = await Dapper.SqlMapper.QuerySingleOrDefaultAsync<string>(c,
                """
                SELECT b.dk FROM bindings b JOIN products p ON p.pk = b.pk
                WHERE b.pk = @Pk AND b.user_id = @UserId
                  AND b.dk = CASE WHEN p.device_key_format = 'imei-or-mac' THEN @DkNormalized ELSE @DkExact END
                """,
                new { Pk = validPk, UserId = owner.Id, DkNormalized = normalized, DkExact = exact })
                ?? throw new BinderyException(Errors.DeviceNotBound);
            var rows = await Dapper.SqlMapper.QueryAsync<ShareUserRow>(c,
                $"""
                SELECT s.share_id, s.user_id, u.username, s.created_at, s.accepted_at, s.accepting_expire_at,
                       s.sharing_expire_at, s.device_name
                FROM device_shares s JOIN users u ON u.id = s.user_id
                WHERE s.pk = @Pk AND s.dk = @Dk AND s.owner_user_id = @OwnerId AND {LiveShares.Any("s")}
                ORDER BY s.created_at, s.share_id
                """,
                new { Pk = validPk, Dk = storedDk, OwnerId = owner.Id, Now = now });
            return (IReadOnlyList<ShareUser>)rows.Select(r => new ShareUser(ShareCodeOf(r.ShareId), r.UserId, r.Username, r.CreatedAt,
                r.AcceptedAt, r.AcceptingExpireAt, r.SharingExpireAt) { DeviceName = r.DeviceName, Pk = validPk, Dk = storedDk }).ToList();
        });
    }

    private sealed class SharedDeviceRow
    {
        public string ShareId { get; set; } = "";

        public string Pk { get; set; } = "";

        public string Dk { get; set; } = "";

        public string DeviceName { get; set; } = "";

        public string OwnerUid { get; set; } = "";

        public string OwnerName { get; set; } = "";

        public long AcceptedAt { get; set; }

        public long? SharingExpireAt { get; set; }

        public string? ProductName { get; set; }

        public string? ProductLogo { get; set; }
    }

    /// <summary>The devices shared with the caller (accepted and live), newest first (<c>AppListUserShareDevices</c>).</summary>
    public async Task<PageInfo<SharedDevice>> SharedWithMeAsync(AppUser user, PageRequest page)
    {
        var now = Now();
        return await db.ReadAsync(async c =>
        {
            var param = new { UserId = user.Id, Now = now, Limit = page.PageSize, page.Offset };
            var rows = await Dapper.SqlMapper.QueryAsync<SharedDeviceRow>(c,
                $"""
                SELECT s.share_id, s.pk, s.dk, COALESCE(s.device_name, ob.device_name, p.name) AS device_name,
                       s.owner_user_id AS owner_uid, o.username AS owner_name, s.accepted_at, s.sharing_expire_at,
                       p.name AS product_name, p.logo_url AS product_logo
                FROM device_shares s JOIN users o ON o.id = s.owner_user_id JOIN products p ON p.pk = s.pk
                LEFT JOIN bindings ob ON ob.pk = s.pk AND ob.dk = s.dk AND ob.user_id = s.owner_user_id
                WHERE s.user_id = @UserId AND {LiveShares.Accepted("s")}
                ORDER BY s.accepted_at DESC, s.share_id LIMIT @Limit OFFSET @Offset
                """, param);
            var total = await Dapper.SqlMapper.ExecuteScalarAsync<long>(c,
                $"SELECT COUNT(*) FROM device_shares s WHERE s.user_id = @UserId AND {LiveShares.Accepted("s")}", param);
            var list = rows.Select(r => new SharedDevice(ShareCodeOf(r.ShareId), r.Pk, r.Dk, r.DeviceName, r.OwnerUid, r.OwnerName,
                r.AcceptedAt, r.SharingExpireAt, r.ProductName, r.ProductLogo)).ToList();
            return PageInfo.Of(list, total, page);
        });
    }

    // ---- managing ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The owner ends a share (<c>ownerUserUnshareDevice</c>, <c>AppRemoveShareDeviceUser</c>), pending or accepted, by its
    /// code or by device and recipient. No code 5136; a share that is not the caller's, not live, or does not exist 5137.
    /// </summary>
    public Task RevokeAsync(AppUser owner, ShareSelector which) => EndAsync(owner, which, asOwner: true);

    /// <summary>
    /// The recipient ends a share of theirs (<c>shareUserUnshareDevice</c>, <c>AppRemoveUserShareDevice</c>), or declines a
    /// pending invitation. <see cref="ShareSelector.ByDeviceUser"/>: the caller's share of that device (UserId ignored).
    /// </summary>
    public Task LeaveAsync(AppUser recipient, ShareSelector which) => EndAsync(recipient, which, asOwner: false);

    private async Task EndAsync(AppUser caller, ShareSelector which, bool asOwner)
    {
        var select = Selection(caller, which, asOwner);
        var now = Now();
        await db.WriteAsync(async tx =>
        {
            var share = await FindLiveAsync(tx, select, now) ?? throw new BinderyException(Errors.ShareCodeInvalid);
            await BindingCore.LockDeviceAsync(tx, share.Pk, new DeviceTarget.ByDk(share.Dk));
            if (!await BindingLifecycle.RemoveShareAsync(tx, share.ShareId, BindingActor.User(caller.Id), now))
            {
                throw new BinderyException(Errors.ShareCodeInvalid);
            }
        });
    }

    /// <summary>
    /// The owner sets when the recipient's use ends (<c>setShareTime</c>); null removes the end (as long as the owner's
    /// binding). Not later than now 9001; a pending share's end not after its accepting time 5153; not the caller's 5137.
    /// Writes <c>share_updated</c>.
    /// </summary>
    public async Task SetShareTimeAsync(AppUser owner, string? shareCode, long? sharingExpireAt)
    {
        var select = Selection(owner, new ShareSelector.ByCode(shareCode), asOwner: true);
        var now = Now();
        if (sharingExpireAt is { } end && end <= now)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "sharingExpireAt must be in the future");
        }
        await db.WriteAsync(async tx =>
        {
            var share = await FindLiveAsync(tx, select, now) ?? throw new BinderyException(Errors.ShareCodeInvalid);
            if (share.AcceptedAt is null && sharingExpireAt is { } until && until <= share.AcceptingExpireAt)
            {
                throw new BinderyException(Errors.SharingBeforeAccepting);
            }
            await tx.ExecuteAsync("UPDATE device_shares SET sharing_expire_at = @Until WHERE share_id = @Id",
                new { Until = sharingExpireAt, Id = share.ShareId });
            await BindingLifecycle.RecordShareUpdatedAsync(tx, share.Event(), BindingActor.User(owner.Id), now);
        });
    }

    /// <summary>
    /// The recipient names a shared device for themselves (<c>changeShareDeviceName</c>). No name 5068, over 64
    /// characters 5333, no code 5136, not an accepted live share of the caller 5137.
    /// </summary>
    public async Task RenameAsync(AppUser recipient, string? shareCode, string? deviceName)
    {
        if (string.IsNullOrWhiteSpace(deviceName))
        {
            throw new BinderyException(Errors.DeviceNameMissing);
        }
        var name = deviceName.Trim();
        if (name.Length > BindingCore.MaxDeviceNameLength)
        {
            throw new BinderyException(Errors.DeviceNameTooLong, $"deviceName is limited to {BindingCore.MaxDeviceNameLength} characters");
        }
        var select = Selection(recipient, new ShareSelector.ByCode(shareCode), asOwner: false);
        var now = Now();
        await db.WriteAsync(async tx =>
        {
            var share = await FindLiveAsync(tx, select, now);
            if (share?.AcceptedAt is null)
            {
                throw new BinderyException(Errors.ShareCodeInvalid);
            }
            await tx.ExecuteAsync("UPDATE device_shares SET device_name = @Name WHERE share_id = @Id", new { Name = name, Id = share.ShareId });
        });
    }

    /// <summary>Which row a management call means: a WHERE clause (alias <c>s</c>) and its parameters.</summary>
    private sealed record Select(string Where, Dapper.DynamicParameters Param);

    private static Select Selection(AppUser caller, ShareSelector which, bool asOwner)
    {
        var param = new Dapper.DynamicParameters();
        param.Add("Caller", caller.Id);
        var side = asOwner ? "s.owner_user_id = @Caller" : "s.user_id = @Caller";
        switch (which)
        {
            case ShareSelector.ByCode byCode:
                if (string.IsNullOrWhiteSpace(byCode.ShareCode))
                {
                    throw new BinderyException(Errors.ShareCodeMissing);
                }
                param.Add("Id", ShareIdOf(byCode.ShareCode) ?? "");
                return new Select($"s.share_id = @Id AND {side}", param);
            case ShareSelector.ByDeviceUser byUser:
                var (pk, dk) = DeviceArgs(byUser.Pk, byUser.Dk);
                var (normalized, exact) = DeviceKeyFormats.LookupKeys(dk);
                param.Add("Pk", pk);
                param.Add("DkNormalized", normalized);
                param.Add("DkExact", exact);
                var dkMatch = "s.dk = (SELECT CASE WHEN p.device_key_format = 'imei-or-mac' THEN @DkNormalized ELSE @DkExact END FROM products p WHERE p.pk = s.pk)";
                if (asOwner)
                {
                    var userId = Validate.Required(byUser.UserId, Errors.InvalidParameter, BindingCore.MaxIdLength, "userId");
                    param.Add("UserId", userId.Trim());
                    return new Select($"s.pk = @Pk AND {dkMatch} AND s.user_id = @UserId AND {side}", param);
                }
                return new Select($"s.pk = @Pk AND {dkMatch} AND {side}", param);
            default:
                throw new ArgumentOutOfRangeException(nameof(which));
        }
    }

    private static async Task<ShareRow?> FindLiveAsync(DbTx tx, Select select, long now)
    {
        select.Param.Add("Now", now);
        return await tx.QuerySingleOrDefaultAsync<ShareRow>($"{RowSql} WHERE {select.Where} AND {LiveShares.Any("s")}", select.Param);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static (string Pk, string Dk) DeviceArgs(string? pk, string? dk) =>
        (Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk").Trim(), BindingCore.RequireDk(dk));

    /// <summary>
    /// Checks the terms against now: coverMark 1–3 (5133); sharing time in the future (9001); accepting time in the future
    /// and at most the window ahead (9001), by default the default window but not past the sharing time; a given
    /// accepting time before the sharing time (5153).
    /// </summary>
    private (long Accepting, long? Sharing, int Cover) ValidTerms(ShareTerms terms, long now, TimeSpan defaultWindow)
    {
        var cover = terms.CoverMark ?? 1;
        if (cover is < 1 or > 3)
        {
            throw new BinderyException(Errors.ShareCoverMarkOutOfRange, "coverMark is 1, 2 or 3");
        }
        var maxWindow = (long)Options.MaxAcceptingWindow.TotalMilliseconds;
        if (terms.SharingExpireAt is { } end && end <= now)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "sharingExpireAt must be in the future");
        }
        // Not given: the default window, but never past the end of use (an invitation that could only be accepted
        // into an ended share would be pointless).
        var accepting = terms.AcceptingExpireAt ?? Math.Min(now + Math.Min((long)defaultWindow.TotalMilliseconds, maxWindow), terms.SharingExpireAt ?? long.MaxValue);
        if (accepting <= now || accepting > now + maxWindow)
        {
            throw new BinderyException(Errors.InvalidParameterValue,
                $"acceptingExpireAt must be in the future and at most {Options.MaxAcceptingWindow.TotalDays:0.##} days ahead");
        }
        if (terms.AcceptingExpireAt is not null && terms.SharingExpireAt is { } sharing && sharing <= accepting)
        {
            throw new BinderyException(Errors.SharingBeforeAccepting);
        }
        return (accepting, terms.SharingExpireAt, cover);
    }

    /// <summary>
    /// coverMark against the owner's previous live pending share(s): 1 removes them; 2 leaves them; 3 removes them only
    /// when the new sharing time is not earlier than any of theirs (no end counts as the latest), else 5151.
    /// </summary>
    private static async Task CoverAsync(DbTx tx, IReadOnlyList<ShareRow> previous, int cover, long? sharing, AppUser owner, long now)
    {
        if (cover == 2 || previous.Count == 0)
        {
            return;
        }
        if (cover == 3 && previous.Any(p => p.SharingExpireAt is null ? sharing is not null : sharing is not null && sharing < p.SharingExpireAt))
        {
            throw new BinderyException(Errors.ShareNotExtended);
        }
        foreach (var share in previous)
        {
            await BindingLifecycle.RemoveShareAsync(tx, share.ShareId, BindingActor.User(owner.Id), now);
        }
    }

    private async Task CheckDeviceLimitsAsync(DbTx tx, string pk, string dk, bool openCode, long now)
    {
        var counts = await tx.QuerySingleOrDefaultAsync<(long All, long Open)>(
            $"""
            SELECT COUNT(*) AS all_shares, COALESCE(SUM(CASE WHEN s.user_id IS NULL THEN 1 ELSE 0 END), 0) AS open_codes
            FROM device_shares s WHERE s.pk = @Pk AND s.dk = @Dk AND {LiveShares.Any("s")}
            """,
            new { Pk = pk, Dk = dk, Now = now });
        if (counts.All >= Options.MaxSharesPerDevice)
        {
            throw new BinderyException(Errors.DeviceShareLimit, $"at most {Options.MaxSharesPerDevice} shares per device");
        }
        if (openCode && counts.Open >= Options.MaxOpenCodesPerDevice)
        {
            throw new BinderyException(Errors.DeviceShareLimit, $"at most {Options.MaxOpenCodesPerDevice} pending share codes per device");
        }
    }

    private static Task<int> InsertAsync(DbTx tx, string shareId, string pk, string dk, string ownerId, string? userId, string? codeHash,
        long accepting, long? sharing, long now) =>
        tx.ExecuteAsync(
            """
            INSERT INTO device_shares (share_id, pk, dk, owner_user_id, user_id, created_at, accepted_at, code_hash,
                                       accepting_expire_at, sharing_expire_at)
            VALUES (@ShareId, @Pk, @Dk, @OwnerId, @UserId, @Now, NULL, @CodeHash, @Accepting, @Sharing)
            """,
            new { ShareId = shareId, Pk = pk, Dk = dk, OwnerId = ownerId, UserId = userId, Now = now, CodeHash = codeHash, Accepting = accepting, Sharing = sharing });

    private static async Task<bool> OwnerHoldsAsync(DbTx tx, ShareRow share) =>
        await tx.ExecuteScalarAsync<bool?>(
            "SELECT verified FROM bindings WHERE pk = @Pk AND dk = @Dk AND user_id = @UserId",
            new { share.Pk, share.Dk, UserId = share.OwnerUserId }) == true;

    /// <summary>Locks the device and checks the caller holds a verified binding of it: 5052 no binding (or no device), 5360 unverified.</summary>
    private static async Task<BindingDevice> LockOwnedDeviceAsync(DbTx tx, AppUser owner, string pk, string dk)
    {
        var device = await BindingCore.LockDeviceAsync(tx, pk, new DeviceTarget.ByDk(await DeviceKeyFormats.ResolveAsync(tx, pk, dk)))
            ?? throw new BinderyException(Errors.DeviceNotBound);
        var holder = await BindingLifecycle.ReadHolderAsync(tx, device.Pk, device.Dk, owner.Id)
            ?? throw new BinderyException(Errors.DeviceNotBound, "only a user who holds a binding can share the device");
        if (!holder.Verified)
        {
            // An SN binding proves nothing; letting it hand the device on would launder a squat into shares.
            throw new BinderyException(Errors.UnverifiedBindingCannotShare);
        }
        return device;
    }

    /// <summary>
    /// The users column and value a recipient is looked up by: <c>shareUid</c> the user id; <c>email</c> and
    /// <c>username</c> the account name (an account registered by e-mail is named by it, lower case); <c>phone</c> the
    /// account name when it carries its country code (<c>+86…</c>), else the registered phone number.
    /// </summary>
    private static (string Column, string Value) RecipientKey(ShareRecipient recipient)
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
