using Bindery.Infrastructure;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>The member list, roles, removal and leaving (invitations: FamilyMembershipInviteTests).</summary>
public sealed class MemberTests(SharedApp app) : IClassFixture<SharedApp>
{
    [Fact]
    public async Task Every_member_reads_the_member_list_owner_first()
    {
        var home = await Family.HouseholdAsync(app);
        var members = await Members.ListAsync(home.Member, home.Fid);
        Assert.Equal([home.Owner.Uid, home.Admin.Uid, home.Member.Uid], members.Select(m => m.GetProperty("uid").GetString()));
        Assert.Equal([1, 2, 3], members.Select(m => m.GetProperty("memberRole").GetInt32()));
        Assert.Equal(home.Admin.Username, members[1].GetProperty("username").GetString());
        var member = Family.Parse<MemberItem>(members[2]);
        Assert.Equal((home.Member.Uid, home.Member.Username, 3), (member.Uid, member.MemberName, member.MemberRole));
        Assert.True(member.AcceptTimeTs > 0);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", member.AcceptTime);
        Assert.Equal(Errors.FamilyNotExist.Code, (await Family.GetAsync(home.Stranger, $"getFamilyMemberList?fid={home.Fid}")).Code());
    }

    [Fact]
    public async Task The_direct_add_without_the_invitees_consent_is_gone()
    {
        var home = await Family.HouseholdAsync(app);
        var envelope = await Family.PostAsync(home.Owner, "addFamilyMember", new { fid = home.Fid, username = home.Stranger.Username, role = 3 });
        Assert.NotEqual(200, envelope.Code());
        Assert.Empty(await Family.ListAsync(home.Stranger, "getFamilyList"));
    }

    [Fact]
    public async Task Only_the_owner_changes_roles_and_never_their_own()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.SetRoleAsync(home.Admin, home.Fid, home.Member.Uid, 2)).Code());
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.SetRoleAsync(home.Member, home.Fid, home.Admin.Uid, 3)).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Members.SetRoleAsync(home.Stranger, home.Fid, home.Member.Uid, 2)).Code());
        Assert.Equal(Errors.CannotChangeOwnRole.Code, (await Members.SetRoleAsync(home.Owner, home.Fid, home.Owner.Uid, 3)).Code());
        Assert.Equal(Errors.CannotChangeOwnRole.Code, (await Members.SetRoleAsync(home.Admin, home.Fid, home.Admin.Uid, 3)).Code());
        Assert.Equal(Errors.MemberNotInFamily.Code, (await Members.SetRoleAsync(home.Owner, home.Fid, home.Stranger.Uid, 3)).Code());
        Assert.Equal(Errors.MemberRoleInvalid.Code, (await Members.SetRoleAsync(home.Owner, home.Fid, home.Member.Uid, 1)).Code());
        Assert.Equal(Errors.MemberRoleInvalid.Code, (await Members.SetRoleAsync(home.Owner, home.Fid, home.Member.Uid, 7)).Code());
        Assert.Equal(Errors.MemberRoleMissing.Code, (await Members.SetRoleAsync(home.Owner, home.Fid, home.Member.Uid, null)).Code());
        Assert.Equal(Errors.MemberUidMissing.Code, (await Members.SetRoleAsync(home.Owner, home.Fid, null, 2)).Code());

        Assert.Equal(200, (await Members.SetRoleAsync(home.Owner, home.Fid, home.Member.Uid, 2)).Code());
        Assert.Equal(200, (await Members.SetRoleAsync(home.Owner, home.Fid, home.Admin.Uid, 3)).Code());

        var members = await Members.ListAsync(home.Owner, home.Fid);
        Assert.Equal(2, Members.RoleOf(members, home.Member.Uid));
        Assert.Equal(3, Members.RoleOf(members, home.Admin.Uid));
        // The demoted admin lost the right to manage rooms.
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Family.SendAsync(home.Admin, HttpMethod.Post, Family.Q("addFamilyRoom", ("fid", home.Fid), ("roomName", "Den")))).Code());
    }

    [Fact]
    public async Task Removing_members_follows_the_roles()
    {
        var home = await Family.HouseholdAsync(app);
        var second = await Seed.UserAsync(app, home.Domain);
        await Tenant.AddMemberAsync(home.Owner, home.Fid, second, 2);
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.RemoveAsync(home.Member, home.Fid, home.Admin.Uid)).Code());
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.RemoveAsync(home.Admin, home.Fid, second.Uid)).Code());
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.RemoveAsync(home.Admin, home.Fid, home.Owner.Uid)).Code());
        Assert.Equal(Errors.MemberNotInFamily.Code, (await Members.RemoveAsync(home.Owner, home.Fid, home.Stranger.Uid)).Code());
        Assert.Equal(Errors.MemberUidMissing.Code, (await Members.RemoveAsync(home.Owner, home.Fid, null)).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Members.RemoveAsync(home.Stranger, home.Fid, home.Member.Uid)).Code());

        Assert.Equal(200, (await Members.RemoveAsync(home.Admin, home.Fid, home.Member.Uid)).Code());
        Assert.Equal(200, (await Members.RemoveAsync(home.Owner, home.Fid, second.Uid)).Code());

        Assert.Equal(Errors.FamilyNotExist.Code, (await Family.GetAsync(home.Member, $"getFamilyMemberList?fid={home.Fid}")).Code());
        Assert.Empty(await Family.ListAsync(second, "getFamilyList"));
        Assert.Equal(2, (await Members.ListAsync(home.Owner, home.Fid)).Length);
    }

    [Fact]
    public async Task Members_leave_with_leaveFamily_the_owner_may_not_and_nobody_removes_themselves()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(Errors.CannotRemoveSelf.Code, (await Members.RemoveAsync(home.Member, home.Fid, home.Member.Uid)).Code());
        Assert.Equal(Errors.CannotRemoveSelf.Code, (await Members.RemoveAsync(home.Owner, home.Fid, home.Owner.Uid)).Code());
        Assert.Equal(200, (await Members.LeaveAsync(home.Member, home.Fid)).Code());
        Assert.Equal(200, (await Members.LeaveAsync(home.Admin, home.Fid)).Code());
        Assert.Equal(Errors.CannotLeaveOwnFamily.Code, (await Members.LeaveAsync(home.Owner, home.Fid)).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Members.LeaveAsync(home.Member, home.Fid)).Code());
        Assert.Equal(Errors.FamilyIdMissing.Code, (await Family.SendAsync(home.Member, HttpMethod.Delete, "leaveFamily")).Code());
        Assert.Empty(await Family.ListAsync(home.Member, "getFamilyList"));
        Assert.Single(await Members.ListAsync(home.Owner, home.Fid));
    }

    [Fact]
    public async Task A_departing_members_devices_leave_the_family_with_them()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Member, home.Fid);
        var (_, ownerDk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid);
        await Family.PostOkAsync(home.Owner, "addCommonUsedDevice", new { fid = home.Fid, deviceList = new[] { new { pk, dk } } });

        Assert.Equal(200, (await Members.RemoveAsync(home.Owner, home.Fid, home.Member.Uid)).Code());

        var device = Assert.Single((await Family.DevicesAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}")).List);
        Assert.Equal(ownerDk, device.DeviceKey);
        Assert.Empty((await Family.DevicesAsync(home.Owner, $"getCommonUsedDeviceList?fid={home.Fid}")).List);
    }
}
