using Bindery.Accounts;
using Bindery.Homes;
using Bindery.Infrastructure;

namespace Bindery.Tencent;

/// <summary>
/// The Tencent-style family membership actions, thin adapters over <see cref="FamilyMembership"/> (which holds every
/// rule; docs/tencent-api.md, "Family members"). MemberID / ToUserID are Bindery user ids (uid); times are Unix seconds.
/// <c>AppCreateShareFamilyToken</c>, <c>AppModifyFamilyMemberRole</c> and <c>AppTransferFamilyOwner</c> are Bindery's
/// own: Tencent's published app API has no action that makes a family share token, changes a member's role or hands
/// a family over.
/// </summary>
public sealed class TencentFamilyActions(FamilyMembership members)
{
    public sealed record ShareTokenCreated(string ShareToken, long ExpireAt);

    public sealed record Joined(string FamilyId);

    /// <summary>A member as Android's member bean and iOS read it; <c>Role</c> 1 = owner or admin (may manage), 0 = member, as in AppGetFamilyList.</summary>
    public sealed record MemberItem(string UserID, string NickName, string Avatar, int Role, long JoinTime);

    public sealed record MemberListData(IReadOnlyList<MemberItem> MemberList, int Total);

    /// <summary>AppSendShareFamilyInvite {FamilyId, ToUserID}: an invitation for that user as a regular member.</summary>
    public async Task<object> SendInviteAsync(AppUser user, TencentParams p)
    {
        await members.SendInviteAsync(user, p.Required("FamilyId"), p.Required("ToUserID"));
        return new TencentActions.NoData();
    }

    /// <summary>AppCreateShareFamilyToken {FamilyId} (Bindery's own): a bearer token for AppJoinFamily / familyMemberInviteHandle.</summary>
    public async Task<object> CreateShareTokenAsync(AppUser user, TencentParams p)
    {
        var token = await members.CreateShareTokenAsync(user, p.Required("FamilyId"));
        return new ShareTokenCreated(token.Token, token.ExpiresAt / 1000);
    }

    /// <summary>AppJoinFamily {ShareToken}: a share token, or the handle of an invitation addressed to the caller.</summary>
    public async Task<object> JoinAsync(AppUser user, TencentParams p) =>
        new Joined(await members.JoinAsync(user, p.Required("ShareToken", 256)));

    /// <summary>AppExitFamily {FamilyId}: the caller leaves (the owner transfers the family first).</summary>
    public async Task<object> ExitAsync(AppUser user, TencentParams p)
    {
        await members.LeaveAsync(user, p.Required("FamilyId"));
        return new TencentActions.NoData();
    }

    /// <summary>AppDeleteFamilyMember {FamilyId, MemberID}.</summary>
    public async Task<object> DeleteMemberAsync(AppUser user, TencentParams p)
    {
        await members.RemoveMemberAsync(user, p.Required("FamilyId"), p.Required("MemberID"));
        return new TencentActions.NoData();
    }

    /// <summary>AppGetFamilyMemberList {FamilyId, Offset, Limit}.</summary>
    public async Task<object> MemberListAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var (offset, limit) = TencentActions.Page(p);
        var list = await members.ListMembersAsync(user, fid);
        return new MemberListData(
            list.Skip(offset).Take(limit).Select(m => new MemberItem(m.Uid, m.DisplayName, m.Avatar, TencentActions.RoleOf(m.Role), m.JoinedAt / 1000)).ToList(),
            list.Count);
    }

    /// <summary>AppModifyFamilyMemberRole {FamilyId, MemberID, Role} (Bindery's own): Role 1 makes an admin, 0 a regular member.</summary>
    public async Task<object> ModifyRoleAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var memberId = p.Required("MemberID");
        var role = p.TextOrNumber("Role")?.Trim() switch
        {
            null or "" => throw new BinderyException(Errors.MemberRoleMissing),
            "1" => (int)FamilyRole.Admin,
            "0" => (int)FamilyRole.Member,
            _ => throw new BinderyException(Errors.MemberRoleInvalid, "Role must be 1 (admin) or 0 (member)"),
        };
        await members.SetMemberRoleAsync(user, fid, memberId, role);
        return new TencentActions.NoData();
    }

    /// <summary>AppTransferFamilyOwner {FamilyId, MemberID} (Bindery's own): the member becomes the owner, the caller an admin.</summary>
    public async Task<object> TransferOwnerAsync(AppUser user, TencentParams p)
    {
        await members.TransferOwnershipAsync(user, p.Required("FamilyId"), p.Required("MemberID"));
        return new TencentActions.NoData();
    }
}
