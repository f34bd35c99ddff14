using Bindery.Infrastructure;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>Ownership transfer (Bindery's transferFamilyOwner) and member names (setFamilyMemberName).</summary>
public sealed class FamilyMembershipRoleTests(SharedApp app) : IClassFixture<SharedApp>
{
    [Fact]
    public async Task The_owner_hands_the_family_to_a_member_and_may_then_leave()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(Errors.CannotLeaveOwnFamily.Code, (await Members.LeaveAsync(home.Owner, home.Fid)).Code());
        Assert.Equal(200, (await Members.TransferAsync(home.Owner, home.Fid, home.Member.Uid)).Code());

        var members = await Members.ListAsync(home.Admin, home.Fid);
        Assert.Equal(1, Members.RoleOf(members, home.Member.Uid));
        Assert.Equal(2, Members.RoleOf(members, home.Owner.Uid));
        Assert.Single(members, m => m.GetProperty("memberRole").GetInt32() == 1);
        Assert.Equal(Errors.CannotLeaveOwnFamily.Code, (await Members.LeaveAsync(home.Member, home.Fid)).Code());
        // The new owner deletes, the former owner no longer can.
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Family.SendAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", home.Fid)))).Code());
        Assert.Equal(200, (await Members.LeaveAsync(home.Owner, home.Fid)).Code());
        Assert.Equal(2, (await Members.ListAsync(home.Member, home.Fid)).Length);
    }

    [Fact]
    public async Task Only_the_owner_transfers_and_only_to_another_member()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.TransferAsync(home.Admin, home.Fid, home.Admin.Uid)).Code());
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.TransferAsync(home.Member, home.Fid, home.Member.Uid)).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Members.TransferAsync(home.Stranger, home.Fid, home.Stranger.Uid)).Code());
        Assert.Equal(Errors.MemberNotInFamily.Code, (await Members.TransferAsync(home.Owner, home.Fid, home.Stranger.Uid)).Code());
        Assert.Equal(Errors.CannotChangeOwnRole.Code, (await Members.TransferAsync(home.Owner, home.Fid, home.Owner.Uid)).Code());
        Assert.Equal(Errors.MemberUidMissing.Code, (await Members.TransferAsync(home.Owner, home.Fid, null)).Code());
        Assert.Equal(1, Members.RoleOf(await Members.ListAsync(home.Owner, home.Fid), home.Owner.Uid));
    }

    [Fact]
    public async Task Members_are_named_in_the_family_by_managers_or_themselves()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(200, (await Members.SetNameAsync(home.Admin, home.Fid, home.Member.Uid, "  Junior  ")).Code());
        Assert.Equal(200, (await Members.SetNameAsync(home.Member, home.Fid, home.Member.Uid, "Kid")).Code());
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.SetNameAsync(home.Member, home.Fid, home.Admin.Uid, "Boss")).Code());
        Assert.Equal(Errors.MemberNameTaken.Code, (await Members.SetNameAsync(home.Owner, home.Fid, home.Admin.Uid, "Kid")).Code());
        Assert.Equal(Errors.MemberNameMissing.Code, (await Members.SetNameAsync(home.Owner, home.Fid, home.Admin.Uid, " ")).Code());
        Assert.Equal(Errors.MemberNameTooLong.Code, (await Members.SetNameAsync(home.Owner, home.Fid, home.Admin.Uid, new string('x', 257))).Code());
        Assert.Equal(Errors.MemberNotInFamily.Code, (await Members.SetNameAsync(home.Owner, home.Fid, home.Stranger.Uid, "Who")).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Members.SetNameAsync(home.Stranger, home.Fid, home.Member.Uid, "Mine")).Code());
        Assert.Equal(200, (await Members.SetNameAsync(home.Owner, home.Fid, home.Member.Uid, "Kid")).Code());

        var member = Family.Parse<MemberInfoItem>((await Members.ListAsync(home.Owner, home.Fid)).Single(m => m.GetProperty("uid").GetString() == home.Member.Uid));
        Assert.Equal(("Kid", home.Member.Username), (member.MemberName, member.Username));
    }
}
