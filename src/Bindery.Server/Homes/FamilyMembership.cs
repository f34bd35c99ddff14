using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Homes;

/// <summary>A member of a family as both dialects list it.</summary>
public sealed record MemberInfo(string Uid, string Username, FamilyRole Role, long JoinedAt, string? MemberName, string Nickname,
    string Avatar, string Email, string Phone)
{
    /// <summary>What the family calls the member: the name given in the family, else their nickname, else their username.</summary>
    public string DisplayName => MemberName ?? (Nickname.Length > 0 ? Nickname : Username);
}

/// <summary>Who an addressed invitation is for: a user id, an e-mail address or a phone number (the first given counts).</summary>
public sealed record Invitee(string? Uid, string? Email = null, string? Phone = null);

/// <summary>An invitation addressed to the caller, as <c>getFamilyInviteList</c> lists it.</summary>
public sealed record FamilyInvitation(string Handle, string Fid, string FamilyName, string Location, string Coordinates, long FamilyCreatedAt,
    FamilyRole Role, long InvitedAt, long ExpiresAt, string InviterUid);

/// <summary>A bearer share token for a family: whoever of the family's user domain presents it first joins as a regular member.</summary>
public sealed record FamilyShareToken(string Token, long ExpiresAt);

/// <summary>
/// Family membership, free of HTTP, for both dialects: invitations (addressed ones, which only the invitee can accept
/// or refuse, and bearer share tokens), leaving, removal, roles, member names and ownership transfer
/// (docs/accounts-and-homes.md, "Family membership"). Every invitation is one <c>family_invites</c> row whichever
/// dialect made it, so an invitation made in one dialect is accepted in the other.
/// </summary>
public sealed class FamilyMembership(IDatabase db, TimeProvider clock, IOptions<FamilyOptions> options, Audit.SecurityAudit audit)
{
    /// <summary>The prefix of an invitation's handle (<c>share_fm_&lt;id&gt;</c>) and of a share token (<c>share_fm_&lt;id&gt;_&lt;secret&gt;</c>).</summary>
    public const string HandlePrefix = "share_fm_";

    public const int MemberNameMaxLength = 256;

    private const int InviteIdLength = 24;
    private const string UserScope = "family_invite_user";
    private const string DomainScope = "family_invite_domain";

    /// <summary>
    /// An invitation is live while it has not expired and its inviter may still grant its role: still in the family
    /// as owner, or as admin for a regular member's invitation.
    /// </summary>
    private const string Live = """
        i.expires_at > @Now AND EXISTS (
            SELECT 1 FROM family_members inviter
            WHERE inviter.fid = i.fid AND inviter.user_id = i.inviter_user_id AND (inviter.role = 1 OR (inviter.role = 2 AND i.role = 3)))
        """;

    private const string InviteColumns = "i.invite_id, i.fid, i.inviter_user_id, i.invitee_user_id, i.token_hash, i.role, i.member_name, i.created_at, i.expires_at";

    private FamilyOptions Options => options.Value;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public static string HandleOf(string inviteId) => HandlePrefix + inviteId;

    // ---- input and access ---------------------------------------------------------------------------------

    public static string RequireMemberUid(string? uid) => Validate.Required(uid, Errors.MemberUidMissing, HomeService.IdMaxLength, "memberUid").Trim();

    /// <summary>The roles an invitation or a role change can give: 2 admin, 3 regular member (5645 missing, 5658 otherwise).</summary>
    public static FamilyRole RequireGrantableRole(int? role) => role switch
    {
        null => throw new BinderyException(Errors.MemberRoleMissing),
        2 => FamilyRole.Admin,
        3 => FamilyRole.Member,
        _ => throw new BinderyException(Errors.MemberRoleInvalid, "memberRole must be 2 (admin) or 3 (regular member); ownership moves with transferFamilyOwner"),
    };

    /// <summary>A member name: at most 256 characters after trimming, no control characters; null or blank is no name.</summary>
    public static string? OptionalMemberName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }
        var value = name.Trim();
        if (value.Length > MemberNameMaxLength)
        {
            throw new BinderyException(Errors.MemberNameTooLong);
        }
        return value.Any(char.IsControl) ? throw new BinderyException(Errors.InvalidParameterValue, "memberName must not contain control characters") : value;
    }

    private static FamilyRole Known(FamilyRole? role) => role ?? throw new BinderyException(Errors.FamilyNotExist);

    private static FamilyRole Managing(FamilyRole? role) =>
        Known(role).CanManage() ? role!.Value : throw new BinderyException(Errors.NoPermissionToFamily);

    /// <summary>The owner grants admin or member; an admin only regular members (never a role as high as their own).</summary>
    private static void RequireMayGrant(FamilyRole caller, FamilyRole grant)
    {
        if (grant == FamilyRole.Admin && caller != FamilyRole.Owner)
        {
            throw new BinderyException(Errors.NoPermissionToFamily, "only the owner can invite admins");
        }
    }

    // ---- invitations --------------------------------------------------------------------------------------

    /// <summary>
    /// Invites a user of the family's user domain (by uid, e-mail or phone) as admin or regular member until
    /// <paramref name="expiresAt"/> (ms; after now, at most <see cref="FamilyOptions.MaxInviteLifetime"/> ahead).
    /// Owner or admin; an admin invites only regular members. Returns the invitation's handle.
    /// </summary>
    public async Task<string> InviteAsync(AppUser user, string? fid, Invitee invitee, int? role, string? memberName, long? expiresAt)
    {
        var id = HomeService.RequireFid(fid);
        var grant = RequireGrantableRole(role);
        var now = Now;
        var expires = expiresAt ?? throw new BinderyException(Errors.InviteExpiryMissing);
        if (expires <= now)
        {
            throw new BinderyException(Errors.InviteExpiryInPast);
        }
        if (expires > now + (long)Options.MaxInviteLifetime.TotalMilliseconds)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"invalidTime may lie at most {Options.MaxInviteLifetime.TotalDays:0.##} days ahead");
        }
        var name = OptionalMemberName(memberName);
        var target = RequireInvitee(invitee);
        return await db.WriteAsync(async tx =>
        {
            RequireMayGrant(Managing(await FamilyAccess.LockRoleAsync(tx, id, user.Id)), grant);
            var inviteeId = await FindUserAsync(tx, id, target) ?? throw new BinderyException(Errors.UserInfoNotFound);
            return await InsertAddressedAsync(tx, user, id, inviteeId, grant, name, expires, now);
        });
    }

    /// <summary>Tencent <c>AppSendShareFamilyInvite</c>: invites the user <paramref name="toUserId"/> as a regular member for <see cref="FamilyOptions.DefaultInviteLifetime"/>.</summary>
    public async Task<string> SendInviteAsync(AppUser user, string? fid, string? toUserId)
    {
        var id = HomeService.RequireFid(fid);
        var target = RequireInvitee(new Invitee(toUserId));
        var now = Now;
        var expires = now + (long)Options.DefaultInviteLifetime.TotalMilliseconds;
        return await db.WriteAsync(async tx =>
        {
            Managing(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            var inviteeId = await FindUserAsync(tx, id, target) ?? throw new BinderyException(Errors.UserInfoNotFound);
            return await InsertAddressedAsync(tx, user, id, inviteeId, FamilyRole.Member, null, expires, now);
        });
    }

    private static Invitee RequireInvitee(Invitee invitee)
    {
        static string? Clean(string? value, string field) =>
            string.IsNullOrWhiteSpace(value) ? null : Validate.Required(value, Errors.InvalidParameterValue, 128, field).Trim();
        var target = new Invitee(Clean(invitee.Uid, "uid"), Clean(invitee.Email, "email")?.ToLowerInvariant(), Clean(invitee.Phone, "phone"));
        return target.Uid is null && target.Email is null && target.Phone is null ? throw new BinderyException(Errors.InviteeMissing) : target;
    }

    /// <summary>
    /// The user of the family's user domain the invitee names (uid, else e-mail, else phone), or null — also when a
    /// phone number without country code fits several users (an invitation never goes to a guessed person).
    /// </summary>
    private static async Task<string?> FindUserAsync(DbTx tx, string fid, Invitee invitee)
    {
        var (match, value) = invitee switch
        {
            { Uid: { } uid } => ("u.id = @Value", uid),
            { Email: { } email } => ("(u.email = @Value OR u.username = @Value)", email),
            _ => ("(u.phone = @Value OR u.username = @Value OR u.username = @Plus)", invitee.Phone!.TrimStart('+')),
        };
        var found = (await tx.QueryAsync<string>(
            $"SELECT u.id FROM users u JOIN families f ON f.domain_id = u.domain_id WHERE f.fid = @Fid AND {match} ORDER BY u.id LIMIT 2",
            new { Fid = fid, Value = value, Plus = "+" + value })).ToList();
        return found.Count == 1 ? found[0] : null;
    }

    private async Task<string> InsertAddressedAsync(DbTx tx, AppUser inviter, string fid, string inviteeId, FamilyRole role, string? name, long expires, long now)
    {
        await PurgeExpiredAsync(tx, fid, now);
        if (await FamilyAccess.RoleOfAsync(tx.Connection, tx.Transaction, fid, inviteeId) is not null)
        {
            throw new BinderyException(Errors.AlreadyExists, "the user is already a member of this family");
        }
        var pending = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM family_invites WHERE fid = @Fid AND invitee_user_id = @Uid",
            new { Fid = fid, Uid = inviteeId });
        if (pending > 0)
        {
            throw new BinderyException(Errors.AlreadyInvited);
        }
        if (name is not null && await NameTakenAsync(tx, fid, name, null))
        {
            throw new BinderyException(Errors.MemberNameTaken);
        }
        await RequirePendingRoomAsync(tx, fid);
        var inviteId = Secrets.NewId();
        await tx.ExecuteAsync(
            """
            INSERT INTO family_invites (invite_id, fid, inviter_user_id, invitee_user_id, token_hash, role, member_name, created_at, expires_at)
            VALUES (@Id, @Fid, @Inviter, @Invitee, NULL, @Role, @Name, @Now, @Expires)
            """,
            new { Id = inviteId, Fid = fid, Inviter = inviter.Id, Invitee = inviteeId, Role = (int)role, Name = name, Now = now, Expires = expires });
        return HandleOf(inviteId);
    }

    /// <summary>
    /// Creates a bearer share token for the family (owner or admin): whoever of the family's user domain presents the
    /// whole token first, before it expires, joins as a regular member. Only the secret's SHA-256 is stored.
    /// </summary>
    public async Task<FamilyShareToken> CreateShareTokenAsync(AppUser user, string? fid)
    {
        var id = HomeService.RequireFid(fid);
        var now = Now;
        var expires = now + (long)Options.DefaultInviteLifetime.TotalMilliseconds;
        var inviteId = Secrets.NewId();
        var secret = Secrets.NewToken();
        await db.WriteAsync(async tx =>
        {
            Managing(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            await PurgeExpiredAsync(tx, id, now);
            await RequirePendingRoomAsync(tx, id);
            await tx.ExecuteAsync(
                """
                INSERT INTO family_invites (invite_id, fid, inviter_user_id, invitee_user_id, token_hash, role, member_name, created_at, expires_at)
                VALUES (@Id, @Fid, @Inviter, NULL, @Hash, 3, NULL, @Now, @Expires)
                """,
                new { Id = inviteId, Fid = id, Inviter = user.Id, Hash = Secrets.Sha256Hex(secret), Now = now, Expires = expires });
        });
        return new FamilyShareToken($"{HandleOf(inviteId)}_{secret}", expires);
    }

    private async Task RequirePendingRoomAsync(DbTx tx, string fid)
    {
        var pending = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM family_invites WHERE fid = @Fid", new { Fid = fid });
        if (pending >= Options.PendingInvitesPerFamily)
        {
            throw new BinderyException(Errors.UnsupportedOperation, $"a family can have at most {Options.PendingInvitesPerFamily} pending invitations");
        }
    }

    private static Task<int> PurgeExpiredAsync(DbTx tx, string fid, long now) =>
        tx.ExecuteAsync("DELETE FROM family_invites WHERE fid = @Fid AND expires_at <= @Now", new { Fid = fid, Now = now });

    /// <summary>The live invitations addressed to the caller, oldest first (<c>getFamilyInviteList</c>).</summary>
    public async Task<IReadOnlyList<FamilyInvitation>> ListInvitationsAsync(AppUser user)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<InvitationRow>(
            $"""
            SELECT i.invite_id, i.fid, f.name AS family_name, f.location, f.coordinates, f.created_at AS family_created_at,
                   i.role, i.created_at, i.expires_at, i.inviter_user_id
            FROM family_invites i JOIN families f ON f.fid = i.fid
            WHERE i.invitee_user_id = @Uid AND {Live}
              AND NOT EXISTS (SELECT 1 FROM family_members m WHERE m.fid = i.fid AND m.user_id = @Uid)
            ORDER BY i.created_at, i.invite_id
            """, new { Uid = user.Id, Now = Now }));
        return rows.Select(r => new FamilyInvitation(HandleOf(r.InviteId), r.Fid, r.FamilyName, r.Location ?? "", r.Coordinates ?? "",
            r.FamilyCreatedAt, (FamilyRole)r.Role, r.CreatedAt, r.ExpiresAt, r.InviterUserId)).ToList();
    }

    /// <summary>
    /// Quectel <c>familyMemberInviteHandle</c>: the caller accepts (<paramref name="decide"/> 1) or refuses (0) the
    /// invitation addressed to them into <paramref name="fid"/>; with <paramref name="shareCode"/> (Bindery's addition)
    /// they accept a family share token for that family instead.
    /// </summary>
    public async Task<string> HandleInviteAsync(AppUser user, string? fid, int? decide, string? shareCode)
    {
        var id = HomeService.RequireFid(fid);
        var accept = decide switch
        {
            null => throw new BinderyException(Errors.InviteDecisionMissing),
            0 => false,
            1 => true,
            _ => throw new BinderyException(Errors.InviteDecisionFormat, "decide must be 0 (refuse) or 1 (accept)"),
        };
        if (string.IsNullOrWhiteSpace(shareCode))
        {
            return await DecideAsync(user, accept, (tx, now) => FindAddressedAsync(tx, "i.fid = @Key", id, user, now));
        }
        if (!accept)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "a share token is accepted (decide=1) or left alone; only an invitation addressed to you can be refused");
        }
        return await DecideAsync(user, true, async (tx, now) =>
        {
            var invite = await FindByTokenAsync(tx, shareCode, user, now);
            return invite?.Fid == id ? invite : null;
        });
    }

    /// <summary>
    /// Tencent <c>AppJoinFamily</c>: joins the family of a share token (<c>share_fm_&lt;id&gt;_&lt;secret&gt;</c>), or
    /// accepts the invitation addressed to the caller that the handle <c>share_fm_&lt;id&gt;</c> names. Returns the family.
    /// </summary>
    public Task<string> JoinAsync(AppUser user, string? shareToken) =>
        DecideAsync(user, true, (tx, now) => FindByTokenAsync(tx, shareToken, user, now));

    /// <summary>Finds a live invitation by handle (addressed to the caller) or by whole share token; null for anything else.</summary>
    private static async Task<InviteRow?> FindByTokenAsync(DbTx tx, string? token, AppUser user, long now)
    {
        var text = token?.Trim() ?? "";
        if (!text.StartsWith(HandlePrefix, StringComparison.Ordinal) || text.Length < HandlePrefix.Length + InviteIdLength || text.Length > 256)
        {
            return null;
        }
        var inviteId = text.Substring(HandlePrefix.Length, InviteIdLength);
        var rest = text[(HandlePrefix.Length + InviteIdLength)..];
        if (rest.Length == 0)
        {
            return await FindAddressedAsync(tx, "i.invite_id = @Key", inviteId, user, now);
        }
        if (rest[0] != '_' || rest.Length == 1)
        {
            return null;
        }
        var invite = await tx.QuerySingleOrDefaultAsync<InviteRow>(
            $"""
            SELECT {InviteColumns} FROM family_invites i JOIN families f ON f.fid = i.fid
            WHERE i.invite_id = @Id AND i.token_hash IS NOT NULL AND f.domain_id = @Domain AND {Live}
            """, new { Id = inviteId, Domain = user.DomainId, Now = now });
        return invite is not null && Secrets.MatchesHash(rest[1..], invite.TokenHash!) ? invite : null;
    }

    private static Task<InviteRow?> FindAddressedAsync(DbTx tx, string match, string key, AppUser user, long now) =>
        tx.QuerySingleOrDefaultAsync<InviteRow>(
            $"SELECT {InviteColumns} FROM family_invites i WHERE {match} AND i.invitee_user_id = @Uid AND {Live}",
            new { Key = key, Uid = user.Id, Now = now });

    private enum Outcome
    {
        Done,
        Invalid,
        Locked,
        AlreadyMember,
        Full,
    }

    /// <summary>
    /// Accepts or refuses the invitation <paramref name="find"/> yields, in one transaction that also keeps the guess
    /// counts: every attempt that finds nothing (unknown, expired, used, someone else's, wrong secret — one answer,
    /// 9301) counts against the user and the user domain, and over either limit every attempt answers 9007. The row
    /// is deleted by the accepting transaction (single use: of two racing acceptances one deletes it, the other finds
    /// nothing).
    /// </summary>
    private async Task<string> DecideAsync(AppUser user, bool accept, Func<DbTx, long, Task<InviteRow?>> find)
    {
        var now = Now;
        var window = Options.GuessWindow;
        var (outcome, fid) = await db.WriteAsync(async tx =>
        {
            if (await GuessCounters.FailuresAsync(tx, UserScope, user.Id, window, now) >= Options.GuessesPerUser
                || await GuessCounters.FailuresAsync(tx, DomainScope, user.DomainId, window, now) >= Options.GuessesPerUserDomain)
            {
                return (Outcome.Locked, "");
            }
            var invite = await find(tx, now);
            if (invite is null)
            {
                await audit.GuessFailedAsync(tx, Audit.RefusalProofs.FamilyInvite, user.Id, user.DomainId,
                    await GuessCounters.RecordFailureAsync(tx, UserScope, user.Id, window, now), Options.GuessesPerUser,
                    await GuessCounters.RecordFailureAsync(tx, DomainScope, user.DomainId, window, now), Options.GuessesPerUserDomain, now);
                return (Outcome.Invalid, "");
            }
            var role = await FamilyAccess.LockRoleAsync(tx, invite.Fid, user.Id);
            if (accept && role is not null)
            {
                return (Outcome.AlreadyMember, invite.Fid);
            }
            if (accept && await FullAsync(tx, invite.Fid))
            {
                return (Outcome.Full, invite.Fid);
            }
            var deleted = await tx.ExecuteAsync("DELETE FROM family_invites WHERE invite_id = @Id", new { Id = invite.InviteId });
            if (deleted == 0)
            {
                return (Outcome.Invalid, "");
            }
            if (accept)
            {
                var name = invite.MemberName is not null && await NameTakenAsync(tx, invite.Fid, invite.MemberName, null) ? null : invite.MemberName;
                await tx.ExecuteAsync(
                    "INSERT INTO family_members (fid, user_id, role, joined_at, member_name) VALUES (@Fid, @Uid, @Role, @Now, @Name)",
                    new { invite.Fid, Uid = user.Id, invite.Role, Now = now, Name = name });
                // The user's own addressed invitation into this family, if any, is moot now.
                await tx.ExecuteAsync("DELETE FROM family_invites WHERE fid = @Fid AND invitee_user_id = @Uid", new { invite.Fid, Uid = user.Id });
            }
            await GuessCounters.ResetAsync(tx, UserScope, user.Id);
            return (Outcome.Done, invite.Fid);
        });
        return outcome switch
        {
            Outcome.Done => fid,
            Outcome.Locked => throw new BinderyException(Errors.TooManyAttempts),
            Outcome.AlreadyMember => throw new BinderyException(Errors.AlreadyExists, "you are already a member of this family"),
            Outcome.Full => throw new BinderyException(Errors.UnsupportedOperation, $"a family can have at most {Options.MemberLimit} members"),
            _ => throw new BinderyException(Errors.FamilyInviteInvalid),
        };
    }

    private async Task<bool> FullAsync(DbTx tx, string fid) =>
        await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM family_members WHERE fid = @Fid", new { Fid = fid }) >= Options.MemberLimit;

    private static async Task<bool> NameTakenAsync(DbTx tx, string fid, string name, string? exceptUid) =>
        await tx.ExecuteScalarAsync<long>(
            """
            SELECT (SELECT COUNT(*) FROM family_members WHERE fid = @Fid AND member_name = @Name AND user_id <> @Except)
                 + (SELECT COUNT(*) FROM family_invites WHERE fid = @Fid AND member_name = @Name)
            """, new { Fid = fid, Name = name, Except = exceptUid ?? "" }) > 0;

    // ---- members ------------------------------------------------------------------------------------------

    /// <summary>The family's members, owner first (any member may read them).</summary>
    public async Task<IReadOnlyList<MemberInfo>> ListMembersAsync(AppUser user, string? fid)
    {
        var id = HomeService.RequireFid(fid);
        return await db.ReadAsync(async c =>
        {
            Known(await FamilyAccess.RoleOfAsync(c, null, id, user.Id));
            var rows = await c.QueryAsync<MemberRow>(
                """
                SELECT m.user_id, u.username, m.role, m.joined_at, m.member_name, u.nickname, u.avatar_url, u.email, u.phone
                FROM family_members m JOIN users u ON u.id = m.user_id
                WHERE m.fid = @Fid
                ORDER BY m.role, m.joined_at, u.username
                """, new { Fid = id });
            return (IReadOnlyList<MemberInfo>)rows.Select(r => new MemberInfo(r.UserId, r.Username, (FamilyRole)r.Role, r.JoinedAt, r.MemberName,
                r.Nickname ?? "", r.AvatarUrl ?? "", r.Email ?? "", r.Phone ?? "")).ToList();
        });
    }

    /// <summary>Makes a member an admin or a regular member (owner only; not themselves: 5657; ownership moves only by transfer).</summary>
    public async Task SetMemberRoleAsync(AppUser user, string? fid, string? uid, int? role)
    {
        var id = HomeService.RequireFid(fid);
        var memberId = RequireMemberUid(uid);
        var grant = RequireGrantableRole(role);
        await db.WriteAsync(async tx =>
        {
            var caller = Known(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            if (memberId == user.Id)
            {
                throw new BinderyException(Errors.CannotChangeOwnRole);
            }
            if (caller != FamilyRole.Owner)
            {
                throw new BinderyException(Errors.NoPermissionToFamily, "only the owner can change roles");
            }
            _ = await FamilyAccess.RoleOfAsync(tx.Connection, tx.Transaction, id, memberId) ?? throw new BinderyException(Errors.MemberNotInFamily);
            await tx.ExecuteAsync("UPDATE family_members SET role = @Role WHERE fid = @Fid AND user_id = @Uid",
                new { Role = (int)grant, Fid = id, Uid = memberId });
        });
    }

    /// <summary>Names a member in the family (owner or admin for anyone, every member for themselves); names are unique in the family (5650).</summary>
    public async Task SetMemberNameAsync(AppUser user, string? fid, string? uid, string? memberName)
    {
        var id = HomeService.RequireFid(fid);
        var memberId = RequireMemberUid(uid);
        var name = OptionalMemberName(memberName) ?? throw new BinderyException(Errors.MemberNameMissing);
        await db.WriteAsync(async tx =>
        {
            var caller = Known(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            if (memberId != user.Id && !caller.CanManage())
            {
                throw new BinderyException(Errors.NoPermissionToFamily, "regular members can only rename themselves");
            }
            _ = await FamilyAccess.RoleOfAsync(tx.Connection, tx.Transaction, id, memberId) ?? throw new BinderyException(Errors.MemberNotInFamily);
            if (await NameTakenAsync(tx, id, name, memberId))
            {
                throw new BinderyException(Errors.MemberNameTaken);
            }
            await tx.ExecuteAsync("UPDATE family_members SET member_name = @Name WHERE fid = @Fid AND user_id = @Uid",
                new { Name = name, Fid = id, Uid = memberId });
        });
    }

    /// <summary>
    /// Hands the family to another member (owner only; Bindery's own call, neither cloud has one): the member becomes
    /// the owner and the previous owner an admin, in one statement pair under the family lock, so the family always has
    /// exactly one owner. The new owner must own fewer than <see cref="HomeService.MaxOwnedFamilies"/> families (9010).
    /// </summary>
    public async Task TransferOwnershipAsync(AppUser user, string? fid, string? uid)
    {
        var id = HomeService.RequireFid(fid);
        var memberId = RequireMemberUid(uid);
        await db.WriteAsync(async tx =>
        {
            var caller = Known(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            if (caller != FamilyRole.Owner)
            {
                throw new BinderyException(Errors.NoPermissionToFamily, "only the owner can transfer the family");
            }
            if (memberId == user.Id)
            {
                throw new BinderyException(Errors.CannotChangeOwnRole, "you already own this family");
            }
            _ = await FamilyAccess.RoleOfAsync(tx.Connection, tx.Transaction, id, memberId) ?? throw new BinderyException(Errors.MemberNotInFamily);
            await tx.QuerySingleOrDefaultAsync<string>("SELECT id FROM users WHERE id = @Id" + tx.Dialect.ForUpdate, new { Id = memberId });
            var owned = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM family_members WHERE user_id = @Id AND role = 1", new { Id = memberId });
            if (owned >= HomeService.MaxOwnedFamilies)
            {
                throw new BinderyException(Errors.UnsupportedOperation, $"the member already owns {HomeService.MaxOwnedFamilies} families");
            }
            await tx.ExecuteAsync("UPDATE family_members SET role = 2 WHERE fid = @Fid AND user_id = @Uid", new { Fid = id, Uid = user.Id });
            await tx.ExecuteAsync("UPDATE family_members SET role = 1 WHERE fid = @Fid AND user_id = @Uid", new { Fid = id, Uid = memberId });
        });
    }

    /// <summary>The caller leaves the family (any member but the owner, who transfers it first: 5661).</summary>
    public async Task LeaveAsync(AppUser user, string? fid)
    {
        var id = HomeService.RequireFid(fid);
        var now = Now;
        await db.WriteAsync(async tx =>
        {
            if (Known(await FamilyAccess.LockRoleAsync(tx, id, user.Id)) == FamilyRole.Owner)
            {
                throw new BinderyException(Errors.CannotLeaveOwnFamily);
            }
            await DepartAsync(tx, id, user.Id, BindingActor.User(user.Id), now);
        });
    }

    /// <summary>
    /// Removes another member: the owner removes anyone else, an admin only regular members (9107); yourself is 5679
    /// (leave instead), someone not in the family 6054.
    /// </summary>
    public async Task RemoveMemberAsync(AppUser user, string? fid, string? uid)
    {
        var id = HomeService.RequireFid(fid);
        var memberId = RequireMemberUid(uid);
        var now = Now;
        await db.WriteAsync(async tx =>
        {
            var caller = Known(await FamilyAccess.LockRoleAsync(tx, id, user.Id));
            if (memberId == user.Id)
            {
                throw new BinderyException(Errors.CannotRemoveSelf);
            }
            Managing(caller);
            var target = await FamilyAccess.RoleOfAsync(tx.Connection, tx.Transaction, id, memberId)
                ?? throw new BinderyException(Errors.MemberNotInFamily);
            if (target == FamilyRole.Owner || (caller == FamilyRole.Admin && target != FamilyRole.Member))
            {
                throw new BinderyException(Errors.NoPermissionToFamily, "admins can only remove regular members");
            }
            await DepartAsync(tx, id, memberId, BindingActor.User(user.Id), now);
        });
    }

    /// <summary>
    /// A member leaves the family, whether they left or were removed (the one rule, docs/accounts-and-homes.md): their
    /// membership ends at once; their own bindings stay theirs but leave the family (no fid, room or common-list place;
    /// one <see cref="BindingEventKinds.LeftFamily"/> event each); their current-family setting pointing at it is cleared; the
    /// invitations they made or received for it are dropped.
    /// </summary>
    private static async Task DepartAsync(DbTx tx, string fid, string memberId, BindingActor actor, long now)
    {
        var param = new { Fid = fid, Uid = memberId, Now = now };
        await tx.ExecuteAsync("DELETE FROM family_members WHERE fid = @Fid AND user_id = @Uid", param);
        var bindings = (await tx.QueryAsync<BindingHolder>(
            "SELECT binding_id, pk, dk, user_id, fid, method, verified FROM bindings WHERE fid = @Fid AND user_id = @Uid ORDER BY bound_at, binding_id",
            param)).ToList();
        if (bindings.Count > 0)
        {
            await tx.ExecuteAsync("UPDATE bindings SET fid = NULL, frid = NULL, is_common = FALSE WHERE fid = @Fid AND user_id = @Uid", param);
            foreach (var b in bindings)
            {
                await BindingLifecycle.RecordLeftFamilyAsync(tx, b, fid, actor, now);
            }
            await FamilyDevices.ForgetDepartedAsync(tx, fid);
        }
        await tx.ExecuteAsync("UPDATE user_home_settings SET current_fid = NULL, updated_at = @Now WHERE user_id = @Uid AND current_fid = @Fid", param);
        await tx.ExecuteAsync("DELETE FROM family_invites WHERE fid = @Fid AND (inviter_user_id = @Uid OR invitee_user_id = @Uid)", param);
    }

    // ---- rows ---------------------------------------------------------------------------------------------

    private sealed class InviteRow
    {
        public string InviteId { get; set; } = "";
        public string Fid { get; set; } = "";
        public string InviterUserId { get; set; } = "";
        public string? InviteeUserId { get; set; }
        public string? TokenHash { get; set; }
        public long Role { get; set; }
        public string? MemberName { get; set; }
        public long CreatedAt { get; set; }
        public long ExpiresAt { get; set; }
    }

    private sealed class InvitationRow
    {
        public string InviteId { get; set; } = "";
        public string Fid { get; set; } = "";
        public string FamilyName { get; set; } = "";
        public string? Location { get; set; }
        public string? Coordinates { get; set; }
        public long FamilyCreatedAt { get; set; }
        public long Role { get; set; }
        public long CreatedAt { get; set; }
        public long ExpiresAt { get; set; }
        public string InviterUserId { get; set; } = "";
    }

    private sealed class MemberRow
    {
        public string UserId { get; set; } = "";
        public string Username { get; set; } = "";
        public long Role { get; set; }
        public long JoinedAt { get; set; }
        public string? MemberName { get; set; }
        public string? Nickname { get; set; }
        public string? AvatarUrl { get; set; }
        public string? Email { get; set; }
        public string? Phone { get; set; }
    }
}
