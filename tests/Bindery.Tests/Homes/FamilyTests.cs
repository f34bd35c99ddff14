using Bindery.Tests.Accounts;
using Bindery.Tests.Support;
using Bindery.Storage;

namespace Bindery.Tests.Homes;

public sealed class FamilyTests(SharedApp app) : IClassFixture<SharedApp>
{
    [Fact]
    public async Task The_creator_owns_a_new_family_and_sees_it_in_the_list()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        var fid = await Tenant.CreateFamilyAsync(user, "Beach house");
        var families = await Family.ListAsync(user, "getFamilyList");
        var family = Assert.Single(families);
        Assert.Equal(fid, family.GetProperty("fid").GetString());
        Assert.Equal("Beach house", family.GetProperty("familyName").GetString());
        Assert.Equal(1, family.GetProperty("role").GetInt32());
        Assert.True(family.GetProperty("createdAt").GetInt64() > 0);
        Assert.Equal(1, (await Seed.GetOkAsync(user.Client, Family.Api + "getFamilyList")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Members_see_the_family_with_their_own_role()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(2, Assert.Single(await Family.ListAsync(home.Admin, "getFamilyList")).GetProperty("role").GetInt32());
        Assert.Equal(3, Assert.Single(await Family.ListAsync(home.Member, "getFamilyList")).GetProperty("role").GetInt32());
        Assert.Empty(await Family.ListAsync(home.Stranger, "getFamilyList"));
    }

    [Fact]
    public async Task Owner_and_admin_rename_a_family_a_regular_member_cannot()
    {
        var home = await Family.HouseholdAsync(app);
        await Family.PostOkAsync(home.Owner, "setFamily", new { fid = home.Fid, familyName = "  Renamed  " });
        Assert.Equal("Renamed", Assert.Single(await Family.ListAsync(home.Member, "getFamilyList")).GetProperty("familyName").GetString());
        await Family.PostOkAsync(home.Admin, "setFamily", new { fid = home.Fid, familyName = "By admin" });
        var refused = await Family.PostAsync(home.Member, "setFamily", new { fid = home.Fid, familyName = "By member" });
        Assert.Equal(9107, refused.Code());
        Assert.Equal("By admin", Assert.Single(await Family.ListAsync(home.Owner, "getFamilyList")).GetProperty("familyName").GetString());
    }

    [Fact]
    public async Task Only_the_owner_deletes_a_family_and_then_it_is_gone_for_everyone()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid);
        Assert.Equal(9107, (await Family.PostAsync(home.Admin, "deleteFamily", new { fid = home.Fid })).Code());
        Assert.Equal(9107, (await Family.PostAsync(home.Member, "deleteFamily", new { fid = home.Fid })).Code());

        await Family.PostOkAsync(home.Owner, "deleteFamily", new { fid = home.Fid });

        Assert.Empty(await Family.ListAsync(home.Owner, "getFamilyList"));
        Assert.Empty(await Family.ListAsync(home.Member, "getFamilyList"));
        Assert.Equal(9108, (await Family.GetAsync(home.Owner, $"getFamilyRoomList?fid={home.Fid}")).Code());
        Assert.Equal(9114, (await Family.PostAsync(home.Owner, "setFamilyRoom", new { frid = room, roomName = "x" })).Code());
        Assert.Equal(9108, (await Family.PostAsync(home.Owner, "deleteFamily", new { fid = home.Fid })).Code());
    }

    [Fact]
    public async Task A_family_with_bound_devices_is_not_deleted()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Member, home.Fid);
        var refused = await Family.PostAsync(home.Owner, "deleteFamily", new { fid = home.Fid });
        Assert.Equal(9010, refused.Code());
        Assert.Contains("unbind", refused.ExtMsg(), StringComparison.Ordinal);
        Assert.Single(await Family.ListAsync(home.Owner, "getFamilyList"));

        await Seed.Db(app).WriteAsync(tx => tx.ExecuteAsync("DELETE FROM bindings WHERE pk = @Pk AND dk = @Dk", new { Pk = pk, Dk = dk }));
        await Family.PostOkAsync(home.Owner, "deleteFamily", new { fid = home.Fid });
    }

    [Theory]
    [InlineData("{}", 9000, "familyName is required")]
    [InlineData("""{"familyName":"   "}""", 9000, "familyName is required")]
    [InlineData("""{"familyName":42}""", 9000, "$.familyName")]
    [InlineData("""{"familyName":"line\nbreak"}""", 9001, "control characters")]
    [InlineData("""{"familyName":"0123456789012345678901234567890123456789012345678901234567890123456789"}""", 9001, "longer than 64")]
    public async Task Add_family_refuses_bad_names(string json, int code, string extMsgPart)
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        var envelope = await Seed.PostRawAsync(user.Client, Family.Api + "addFamily", json);
        Assert.Equal(code, envelope.Code());
        Assert.Contains(extMsgPart, envelope.ExtMsg(), StringComparison.Ordinal);
        Assert.Empty(await Family.ListAsync(user, "getFamilyList"));
    }

    [Fact]
    public async Task Family_calls_need_a_token()
    {
        var anonymous = app.CreateClient();
        Assert.Equal(5106, (await Seed.PostAsync(anonymous, Family.Api + "addFamily", new { familyName = "x" })).Code());
        Assert.Equal(5106, (await Seed.GetAsync(anonymous, Family.Api + "getFamilyList")).Code());
        Assert.Equal(5032, (await Seed.GetAsync(Seed.ClientWithToken(app, "forged"), Family.Api + "getFamilyList")).Code());
    }

    [Fact]
    public async Task A_missing_fid_is_5636()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        Assert.Equal(5636, (await Family.PostAsync(user, "setFamily", new { familyName = "x" })).Code());
        Assert.Equal(5636, (await Family.GetAsync(user, "getFamilyRoomList")).Code());
        Assert.Equal(5636, (await Family.PostAsync(user, "deleteFamily", new { })).Code());
    }

    [Fact]
    public async Task A_user_owns_at_most_twenty_families()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        for (var i = 0; i < 20; i++)
        {
            await Tenant.CreateFamilyAsync(user, $"Home {i}");
        }
        var refused = await Family.PostAsync(user, "addFamily", new { familyName = "One too many" });
        Assert.Equal(9010, refused.Code());
        Assert.Equal(20, (await Family.ListAsync(user, "getFamilyList")).Length);
    }
}
