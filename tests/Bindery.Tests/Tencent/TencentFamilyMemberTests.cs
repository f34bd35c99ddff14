using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Homes;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// Family membership through the Tencent-style actions, and the same invitations through /v2: an invitation or share
/// token made in one dialect is accepted in the other.
/// </summary>
public sealed class TencentFamilyMemberTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    private async Task<(Tenant.User User, TencentApi Api)> UserAsync()
    {
        var user = await fx.Tenant.CreateUserAsync();
        return (user, new TencentApi(fx.App.CreateClient(), user.Token));
    }

    private static async Task<string> ShareTokenAsync(TencentApi api, string familyId) =>
        (await api.OkAsync("AppCreateShareFamilyToken", new() { ["FamilyId"] = familyId })).GetProperty("ShareToken").GetString()!;

    private static async Task<List<JsonElement>> MemberListAsync(TencentApi api, string familyId)
    {
        var data = await api.OkAsync("AppGetFamilyMemberList", new() { ["FamilyId"] = familyId, ["Offset"] = 0, ["Limit"] = 999 });
        var list = data.GetProperty("MemberList").EnumerateArray().ToList();
        Assert.Equal(list.Count, data.GetProperty("Total").GetInt32());
        return list;
    }

    [Fact]
    public async Task An_invitation_sent_in_Tencent_is_listed_and_accepted_through_v2()
    {
        var (owner, ownerApi, familyId) = await fx.UserWithFamilyAsync();
        var (invitee, _) = await UserAsync();
        await ownerApi.OkAsync("AppSendShareFamilyInvite", new() { ["FamilyId"] = familyId, ["ToUserID"] = invitee.Uid });
        Assert.Equal(Errors.AlreadyInvited.TencentCode, await ownerApi.ErrorAsync("AppSendShareFamilyInvite", new() { ["FamilyId"] = familyId, ["ToUserID"] = invitee.Uid }));

        var invite = Family.Parse<InviteListItem>(Assert.Single(await Members.InvitesAsync(invitee)));
        Assert.Equal((familyId, 3, owner.Uid), (invite.Fid, invite.MemberRole, invite.InviterUid));
        Assert.Equal(200, (await Members.HandleAsync(invitee, familyId, 1)).Code());

        var members = await MemberListAsync(ownerApi, familyId);
        Assert.Equal([owner.Uid, invitee.Uid], members.Select(m => m.GetProperty("UserID").GetString()));
        Assert.Equal([1, 0], members.Select(m => m.GetProperty("Role").GetInt32()));
        Assert.Equal(invitee.Username, members[1].GetProperty("NickName").GetString());
        Assert.True(members[1].GetProperty("JoinTime").GetInt64() > 1_600_000_000);
    }

    [Fact]
    public async Task An_invitation_made_in_v2_is_joined_in_Tencent_by_its_invitee_only()
    {
        var (owner, ownerApi, familyId) = await fx.UserWithFamilyAsync();
        var (invitee, inviteeApi) = await UserAsync();
        var (_, otherApi) = await UserAsync();
        await Members.InviteOkAsync(fx.App, owner, familyId, invitee, role: 2);
        var handle = Family.Parse<InviteListItem>(Assert.Single(await Members.InvitesAsync(invitee))).ShareCode;

        Assert.Equal(Errors.FamilyInviteInvalid.TencentCode, await otherApi.ErrorAsync("AppJoinFamily", new() { ["ShareToken"] = handle }));
        var joined = await inviteeApi.OkAsync("AppJoinFamily", new() { ["ShareToken"] = handle });
        Assert.Equal(familyId, joined.GetProperty("FamilyId").GetString());
        Assert.Equal(Errors.FamilyInviteInvalid.TencentCode, await inviteeApi.ErrorAsync("AppJoinFamily", new() { ["ShareToken"] = handle }));
        Assert.Equal(2, Members.RoleOf(await Members.ListAsync(owner, familyId), invitee.Uid));
        Assert.Equal(1, (await inviteeApi.OkAsync("AppDescribeFamily", new() { ["FamilyId"] = familyId })).GetProperty("Role").GetInt32());
    }

    [Fact]
    public async Task A_share_token_is_single_use_and_works_in_both_dialects()
    {
        var (owner, ownerApi, familyId) = await fx.UserWithFamilyAsync();
        var (first, firstApi) = await UserAsync();
        var (_, secondApi) = await UserAsync();
        var token = await ShareTokenAsync(ownerApi, familyId);
        Assert.StartsWith("share_fm_", token, StringComparison.Ordinal);
        Assert.True(token.Length >= "share_fm_".Length + 24 + 1 + 43);

        await firstApi.OkAsync("AppJoinFamily", new() { ["ShareToken"] = token });
        Assert.Equal(Errors.FamilyInviteInvalid.TencentCode, await secondApi.ErrorAsync("AppJoinFamily", new() { ["ShareToken"] = token }));
        Assert.Equal(Errors.FamilyInviteInvalid.TencentCode, await firstApi.ErrorAsync("AppJoinFamily", new() { ["ShareToken"] = token }));
        Assert.Equal(2, (await MemberListAsync(ownerApi, familyId)).Count);

        // A token made in Tencent, accepted through /v2 (familyMemberInviteHandle with Bindery's shareCode), for its own family only.
        var second = await ShareTokenAsync(ownerApi, familyId);
        var (third, _) = await UserAsync();
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(third, Bindery.Protocol.Secrets.NewId(), 1, second)).Code());
        Assert.Equal(Errors.InvalidParameterValue.Code, (await Members.HandleAsync(third, familyId, 0, second)).Code());
        Assert.Equal(200, (await Members.HandleAsync(third, familyId, 1, second)).Code());
        Assert.Equal(3, Members.RoleOf(await Members.ListAsync(owner, familyId), third.Uid));
        Assert.Equal(first.Uid, (await MemberListAsync(ownerApi, familyId))[1].GetProperty("UserID").GetString());
    }

    [Fact]
    public async Task Of_many_users_racing_for_one_share_token_exactly_one_joins()
    {
        var (_, ownerApi, familyId) = await fx.UserWithFamilyAsync();
        var token = await ShareTokenAsync(ownerApi, familyId);
        var racers = new List<TencentApi>();
        for (var i = 0; i < 12; i++)
        {
            racers.Add((await UserAsync()).Api);
        }
        var answers = await Task.WhenAll(racers.Select(r => r.CallAsync("AppJoinFamily", new() { ["ShareToken"] = token })));
        Assert.Single(answers, a => !a.TryGetProperty("Error", out _));
        Assert.All(answers.Where(a => a.TryGetProperty("Error", out _)), a => Assert.Equal(Errors.FamilyInviteInvalid.TencentCode, TencentApi.ErrorCode(a)));
        Assert.Equal(2, (await MemberListAsync(ownerApi, familyId)).Count);
    }

    [Fact]
    public async Task Wrong_or_guessed_tokens_get_one_answer_and_are_locked_out()
    {
        var (_, ownerApi, familyId) = await fx.UserWithFamilyAsync();
        var (_, guesserApi) = await UserAsync();
        var token = await ShareTokenAsync(ownerApi, familyId);
        var wrongSecret = token[..^4] + (token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        var guesses = new[] { wrongSecret, "share_fm_" + Bindery.Protocol.Secrets.NewId(), "nonsense", token[..^1], "share_fm_" + new string('0', 24) + "_x" };
        foreach (var guess in guesses)
        {
            Assert.Equal(Errors.FamilyInviteInvalid.TencentCode, await guesserApi.ErrorAsync("AppJoinFamily", new() { ["ShareToken"] = guess }));
        }
        Assert.Equal(Errors.TooManyAttempts.TencentCode, await guesserApi.ErrorAsync("AppJoinFamily", new() { ["ShareToken"] = token }));
        Assert.Single(await MemberListAsync(ownerApi, familyId));
        Assert.Equal("InvalidParameter", await guesserApi.ErrorAsync("AppJoinFamily", new()));
    }

    [Fact]
    public async Task Members_exit_the_owner_may_not_and_an_exited_member_reaches_nothing()
    {
        var (_, ownerApi, familyId) = await fx.UserWithFamilyAsync();
        var (_, memberApi) = await UserAsync();
        await memberApi.OkAsync("AppJoinFamily", new() { ["ShareToken"] = await ShareTokenAsync(ownerApi, familyId) });
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var room = (await ownerApi.OkAsync("AppCreateRoom", new() { ["FamilyId"] = familyId, ["Name"] = "Hall" })).GetProperty("RoomId").GetString();
        var (_, ownersDevice, ownersDeviceSide) = await fx.DeviceAsync();
        var ownersToken = await ownerApi.CreateTokenAsync();
        await ownersDeviceSide.ReportTokenOkAsync(ownersToken);
        Assert.False((await ownerApi.BindAsync(ownersToken, ownersDevice, familyId)).TryGetProperty("Error", out _));
        Assert.Equal(1, (await memberApi.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId })).GetProperty("Total").GetInt32());

        Assert.Equal(Errors.CannotLeaveOwnFamily.TencentCode, await ownerApi.ErrorAsync("AppExitFamily", new() { ["FamilyId"] = familyId }));
        await memberApi.OkAsync("AppExitFamily", new() { ["FamilyId"] = familyId });

        const string missing = "ResourceNotFound.StudioFamilyNotExist";
        Assert.Equal(missing, await memberApi.ErrorAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId }));
        Assert.Equal(missing, await memberApi.ErrorAsync("AppGetRoomList", new() { ["FamilyId"] = familyId }));
        Assert.Equal(missing, await memberApi.ErrorAsync("AppGetFamilyMemberList", new() { ["FamilyId"] = familyId }));
        Assert.Equal(missing, await memberApi.ErrorAsync("AppDescribeFamily", new() { ["FamilyId"] = familyId }));
        Assert.Equal(missing, await memberApi.ErrorAsync("AppExitFamily", new() { ["FamilyId"] = familyId }));
        Assert.Equal(0, (await memberApi.OkAsync("AppGetFamilyList")).GetProperty("Total").GetInt32());
        var bindToken = await memberApi.CreateTokenAsync();
        await deviceSide.ReportTokenOkAsync(bindToken);
        Assert.Equal(missing, TencentApi.ErrorCode(await memberApi.BindAsync(bindToken, device, familyId, room!)));
        Assert.Single(await MemberListAsync(ownerApi, familyId));
    }

    [Fact]
    public async Task Owners_and_admins_remove_members_roles_change_and_the_family_is_handed_over()
    {
        var (owner, ownerApi, familyId) = await fx.UserWithFamilyAsync();
        var (admin, adminApi) = await UserAsync();
        var (member, memberApi) = await UserAsync();
        var (stranger, strangerApi) = await UserAsync();
        await adminApi.OkAsync("AppJoinFamily", new() { ["ShareToken"] = await ShareTokenAsync(ownerApi, familyId) });
        await memberApi.OkAsync("AppJoinFamily", new() { ["ShareToken"] = await ShareTokenAsync(ownerApi, familyId) });

        Assert.Equal(Errors.NoPermissionToFamily.TencentCode, await adminApi.ErrorAsync("AppModifyFamilyMemberRole", new() { ["FamilyId"] = familyId, ["MemberID"] = member.Uid, ["Role"] = 1 }));
        await ownerApi.OkAsync("AppModifyFamilyMemberRole", new() { ["FamilyId"] = familyId, ["MemberID"] = admin.Uid, ["Role"] = 1 });
        Assert.Equal(Errors.MemberRoleInvalid.TencentCode, await ownerApi.ErrorAsync("AppModifyFamilyMemberRole", new() { ["FamilyId"] = familyId, ["MemberID"] = admin.Uid, ["Role"] = 2 }));
        Assert.Equal(2, Members.RoleOf(await Members.ListAsync(owner, familyId), admin.Uid));

        Assert.Equal(Errors.NoPermissionToFamily.TencentCode, await memberApi.ErrorAsync("AppDeleteFamilyMember", new() { ["FamilyId"] = familyId, ["MemberID"] = admin.Uid }));
        Assert.Equal(Errors.NoPermissionToFamily.TencentCode, await memberApi.ErrorAsync("AppSendShareFamilyInvite", new() { ["FamilyId"] = familyId, ["ToUserID"] = stranger.Uid }));
        Assert.Equal(Errors.NoPermissionToFamily.TencentCode, await memberApi.ErrorAsync("AppCreateShareFamilyToken", new() { ["FamilyId"] = familyId }));
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", await strangerApi.ErrorAsync("AppDeleteFamilyMember", new() { ["FamilyId"] = familyId, ["MemberID"] = member.Uid }));
        Assert.Equal(Errors.MemberNotInFamily.TencentCode, await ownerApi.ErrorAsync("AppDeleteFamilyMember", new() { ["FamilyId"] = familyId, ["MemberID"] = stranger.Uid }));
        Assert.Equal(Errors.CannotRemoveSelf.TencentCode, await ownerApi.ErrorAsync("AppDeleteFamilyMember", new() { ["FamilyId"] = familyId, ["MemberID"] = owner.Uid }));
        await adminApi.OkAsync("AppDeleteFamilyMember", new() { ["FamilyId"] = familyId, ["MemberID"] = member.Uid });
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", await memberApi.ErrorAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId }));

        Assert.Equal(Errors.NoPermissionToFamily.TencentCode, await adminApi.ErrorAsync("AppTransferFamilyOwner", new() { ["FamilyId"] = familyId, ["MemberID"] = admin.Uid }));
        await ownerApi.OkAsync("AppTransferFamilyOwner", new() { ["FamilyId"] = familyId, ["MemberID"] = admin.Uid });
        var roles = (await Members.ListAsync(owner, familyId)).ToDictionary(m => m.GetProperty("uid").GetString()!, m => m.GetProperty("memberRole").GetInt32());
        Assert.Equal(new Dictionary<string, int> { [admin.Uid] = 1, [owner.Uid] = 2 }, roles);
        await ownerApi.OkAsync("AppExitFamily", new() { ["FamilyId"] = familyId });
        Assert.Single(await MemberListAsync(adminApi, familyId));
    }
}
