using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

public sealed class MemberTests(SharedApp app) : IClassFixture<SharedApp>
{
    private static int RoleOf(System.Text.Json.JsonElement[] members, string uid) =>
        members.Single(m => m.GetProperty("uid").GetString() == uid).GetProperty("memberRole").GetInt32();

    [Fact]
    public async Task Every_member_reads_the_member_list_owner_first()
    {
        var home = await Family.HouseholdAsync(app);
        var members = await Family.ListAsync(home.Member, $"getFamilyMemberList?fid={home.Fid}");
        Assert.Equal([home.Owner.Uid, home.Admin.Uid, home.Member.Uid], members.Select(m => m.GetProperty("uid").GetString()));
        Assert.Equal([1, 2, 3], members.Select(m => m.GetProperty("memberRole").GetInt32()));
        Assert.Equal(home.Admin.Username, members[1].GetProperty("username").GetString());
        var member = Family.Parse<MemberItem>(members[2]);
        Assert.Equal((home.Member.Uid, home.Member.Username, 3), (member.Uid, member.MemberName, member.MemberRole));
        Assert.True(member.AcceptTimeTs > 0);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", member.AcceptTime);
    }

    [Fact]
    public async Task Admins_add_regular_members_only_and_regular_members_add_nobody()
    {
        var home = await Family.HouseholdAsync(app);
        var newcomer = await Seed.UserAsync(app, home.Domain);
        var another = await Seed.UserAsync(app, home.Domain);
        Assert.Equal(9107, (await Family.PostAsync(home.Admin, "addFamilyMember", new { fid = home.Fid, username = newcomer.Username, role = 2 })).Code());
        Assert.Equal(9107, (await Family.PostAsync(home.Member, "addFamilyMember", new { fid = home.Fid, username = newcomer.Username, role = 3 })).Code());
        await Family.PostOkAsync(home.Admin, "addFamilyMember", new { fid = home.Fid, username = newcomer.Username.ToUpperInvariant(), role = 3 });
        await Family.PostOkAsync(home.Owner, "addFamilyMember", new { fid = home.Fid, username = another.Username, role = 2 });
        var members = await Family.ListAsync(home.Owner, $"getFamilyMemberList?fid={home.Fid}");
        Assert.Equal(3, RoleOf(members, newcomer.Uid));
        Assert.Equal(2, RoleOf(members, another.Uid));
    }

    [Theory]
    [InlineData("""{"fid":"FID","username":"USER","role":1}""", 9001, "role must be 2")]
    [InlineData("""{"fid":"FID","username":"USER","role":7}""", 9001, "role must be 2")]
    [InlineData("""{"fid":"FID","username":"USER","role":"admin"}""", 9000, "$.role")]
    [InlineData("""{"fid":"FID","username":"USER"}""", 9000, "role is required")]
    [InlineData("""{"fid":"FID","role":3}""", 9000, "username is required")]
    [InlineData("""{"fid":"FID","username":"nobody-at-all","role":3}""", 9003, "no user")]
    public async Task Bad_member_input_is_refused(string json, int code, string extMsgPart)
    {
        var home = await Family.HouseholdAsync(app);
        var body = json.Replace("FID", home.Fid, StringComparison.Ordinal).Replace("USER", home.Stranger.Username, StringComparison.Ordinal);
        var envelope = await Seed.PostRawAsync(home.Owner.Client, Family.Api + "addFamilyMember", body);
        Assert.Equal(code, envelope.Code());
        Assert.Contains(extMsgPart, envelope.ExtMsg(), StringComparison.Ordinal);
        Assert.Equal(3, (await Family.ListAsync(home.Owner, $"getFamilyMemberList?fid={home.Fid}")).Length);
    }

    [Fact]
    public async Task Adding_someone_twice_is_9008()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(9008, (await Family.PostAsync(home.Owner, "addFamilyMember", new { fid = home.Fid, username = home.Member.Username, role = 3 })).Code());
        Assert.Equal(9008, (await Family.PostAsync(home.Owner, "addFamilyMember", new { fid = home.Fid, username = home.Owner.Username, role = 2 })).Code());
    }

    [Fact]
    public async Task Only_the_owner_changes_roles_and_the_owners_role_never_changes()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(9107, (await Family.SendAsync(home.Admin, HttpMethod.Put, Family.Q("setFamilyMemberRole", ("fid", home.Fid), ("memberUid", home.Member.Uid), ("memberRole", 2)))).Code());
        Assert.Equal(9010, (await Family.SendAsync(home.Owner, HttpMethod.Put, Family.Q("setFamilyMemberRole", ("fid", home.Fid), ("memberUid", home.Owner.Uid), ("memberRole", 3)))).Code());
        Assert.Equal(9003, (await Family.SendAsync(home.Owner, HttpMethod.Put, Family.Q("setFamilyMemberRole", ("fid", home.Fid), ("memberUid", home.Stranger.Uid), ("memberRole", 3)))).Code());
        Assert.Equal(9001, (await Family.SendAsync(home.Owner, HttpMethod.Put, Family.Q("setFamilyMemberRole", ("fid", home.Fid), ("memberUid", home.Member.Uid), ("memberRole", 1)))).Code());

        await Family.SendOkAsync(home.Owner, HttpMethod.Put, Family.Q("setFamilyMemberRole", ("fid", home.Fid), ("memberUid", home.Member.Uid), ("memberRole", 2)));
        await Family.SendOkAsync(home.Owner, HttpMethod.Put, Family.Q("setFamilyMemberRole", ("fid", home.Fid), ("memberUid", home.Admin.Uid), ("memberRole", 3)));

        var members = await Family.ListAsync(home.Owner, $"getFamilyMemberList?fid={home.Fid}");
        Assert.Equal(2, RoleOf(members, home.Member.Uid));
        Assert.Equal(3, RoleOf(members, home.Admin.Uid));
        // The demoted admin lost the right to manage rooms.
        Assert.Equal(9107, (await Family.SendAsync(home.Admin, HttpMethod.Post, Family.Q("addFamilyRoom", ("fid", home.Fid), ("roomName", "Den")))).Code());
    }

    [Fact]
    public async Task Removing_members_follows_the_roles()
    {
        var home = await Family.HouseholdAsync(app);
        var second = await Seed.UserAsync(app, home.Domain);
        await Tenant.AddMemberAsync(home.Owner, home.Fid, second, 2);
        Assert.Equal(9107, (await Family.SendAsync(home.Member, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", home.Admin.Uid)))).Code());
        Assert.Equal(9107, (await Family.SendAsync(home.Admin, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", second.Uid)))).Code());
        Assert.Equal(9107, (await Family.SendAsync(home.Admin, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", home.Owner.Uid)))).Code());
        Assert.Equal(9003, (await Family.SendAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", home.Stranger.Uid)))).Code());

        await Family.SendOkAsync(home.Admin, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", home.Member.Uid)));
        await Family.SendOkAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", second.Uid)));

        Assert.Equal(9108, (await Family.GetAsync(home.Member, $"getFamilyMemberList?fid={home.Fid}")).Code());
        Assert.Empty(await Family.ListAsync(second, "getFamilyList"));
        Assert.Equal(2, (await Family.ListAsync(home.Owner, $"getFamilyMemberList?fid={home.Fid}")).Length);
    }

    [Fact]
    public async Task Members_may_leave_but_the_owner_may_not()
    {
        var home = await Family.HouseholdAsync(app);
        await Family.SendOkAsync(home.Member, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", home.Member.Uid)));
        await Family.SendOkAsync(home.Admin, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", home.Admin.Uid)));
        var refused = await Family.SendAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", home.Owner.Uid)));
        Assert.Equal(9010, refused.Code());
        Assert.Empty(await Family.ListAsync(home.Member, "getFamilyList"));
        Assert.Single(await Family.ListAsync(home.Owner, $"getFamilyMemberList?fid={home.Fid}"));
    }

    [Fact]
    public async Task A_departing_members_devices_leave_the_family_with_them()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Member, home.Fid);
        var (_, ownerDk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid);
        await Family.PostOkAsync(home.Owner, "addCommonUsedDevice", new { fid = home.Fid, deviceList = new[] { new { pk, dk } } });

        await Family.SendOkAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamilyMember", ("fid", home.Fid), ("memberUid", home.Member.Uid)));

        var device = Assert.Single((await Family.DevicesAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}")).List);
        Assert.Equal(ownerDk, device.DeviceKey);
        Assert.Empty((await Family.DevicesAsync(home.Owner, $"getCommonUsedDeviceList?fid={home.Fid}")).List);
    }
}
