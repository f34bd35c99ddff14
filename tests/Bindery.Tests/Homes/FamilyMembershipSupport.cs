using System.Text.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>Shortcuts for the family membership calls of the /v2 family API.</summary>
public static class Members
{
    /// <summary>An <c>invalidTime</c> (ms) <paramref name="ahead"/> of the server's clock (default one hour).</summary>
    public static long InvalidTime(BinderyApp app, TimeSpan? ahead = null) =>
        app.Clock.GetUtcNow().Add(ahead ?? TimeSpan.FromHours(1)).ToUnixTimeMilliseconds();

    /// <summary><c>POST inviteFamilyMember</c>; <paramref name="who"/> is <c>("uid", …)</c>, <c>("email", …)</c> or <c>("phone", …)</c>.</summary>
    public static Task<JsonElement> InviteAsync(BinderyApp app, Tenant.User by, string fid, (string Name, object? Value) who, int? role = 3,
        string? memberName = null, long? invalidTime = null) =>
        Family.SendAsync(by, HttpMethod.Post, Family.Q("inviteFamilyMember", ("fid", fid), who, ("memberRole", role), ("memberName", memberName),
            ("invalidTime", invalidTime ?? InvalidTime(app))));

    public static async Task InviteOkAsync(BinderyApp app, Tenant.User by, string fid, Tenant.User who, int role = 3, string? memberName = null)
    {
        var envelope = await InviteAsync(app, by, fid, ("uid", who.Uid), role, memberName);
        Assert.True(envelope.Code() == 200, $"inviteFamilyMember answered {envelope}");
    }

    /// <summary><c>POST familyMemberInviteHandle</c> (decide 1 accept, 0 refuse; <paramref name="shareCode"/> a family share token).</summary>
    public static Task<JsonElement> HandleAsync(Tenant.User who, string? fid, int? decide, string? shareCode = null) =>
        Family.SendAsync(who, HttpMethod.Post, Family.Q("familyMemberInviteHandle", ("fid", fid), ("decide", decide), ("shareCode", shareCode)));

    public static Task<JsonElement> LeaveAsync(Tenant.User who, string fid) =>
        Family.SendAsync(who, HttpMethod.Delete, Family.Q("leaveFamily", ("fid", fid)));

    public static Task<JsonElement> RemoveAsync(Tenant.User by, string fid, string? memberUid) =>
        Family.SendAsync(by, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", fid), ("memberUid", memberUid)));

    public static Task<JsonElement> SetRoleAsync(Tenant.User by, string fid, string? memberUid, int? role) =>
        Family.SendAsync(by, HttpMethod.Put, Family.Q("setFamilyMemberRole", ("fid", fid), ("memberUid", memberUid), ("memberRole", role)));

    public static Task<JsonElement> SetNameAsync(Tenant.User by, string fid, string? memberUid, string? name) =>
        Family.SendAsync(by, HttpMethod.Put, Family.Q("setFamilyMemberName", ("fid", fid), ("memberUid", memberUid), ("memberName", name)));

    public static Task<JsonElement> TransferAsync(Tenant.User by, string fid, string? memberUid) =>
        Family.SendAsync(by, HttpMethod.Put, Family.Q("transferFamilyOwner", ("fid", fid), ("memberUid", memberUid)));

    public static Task<JsonElement[]> ListAsync(Tenant.User who, string fid) => Family.ListAsync(who, $"getFamilyMemberList?fid={fid}");

    public static Task<JsonElement[]> InvitesAsync(Tenant.User who) => Family.ListAsync(who, "getFamilyInviteList");

    public static int RoleOf(JsonElement[] members, string uid) =>
        members.Single(m => m.GetProperty("uid").GetString() == uid).GetProperty("memberRole").GetInt32();
}

/// <summary>A "User Info" item of getFamilyMemberList with the fields Bindery answers, typed as the real API types them.</summary>
public sealed record MemberInfoItem(string Uid, string MemberName, string NikeName, string Headimg, string Email, string Phone, string Username,
    int MemberRole, string AcceptTime, long AcceptTimeTs);

/// <summary>A getFamilyInviteList item (QuecInviteItemModel's fields and Bindery's additions).</summary>
public sealed record InviteListItem(string Fid, string FamilyName, string FamilyLocation, string FamilyCoordinates, string AddTime, long AddTimeTs,
    string InvalidTime, long InvalidTimeTs, string InviteTime, long InviteTimeTs, int MemberRole, string InviterUid, string ShareCode);
