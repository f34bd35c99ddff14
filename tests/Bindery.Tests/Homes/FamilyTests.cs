using Bindery.Infrastructure;
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
        var page = await Family.PageAsync<FamilyItem>(user, "getFamilyList");
        var family = Assert.Single(page.List);
        Assert.Equal(fid, family.Fid);
        Assert.Equal("Beach house", family.FamilyName);
        Assert.Equal(1, family.MemberRole);
        Assert.True(family.AddTime > 0);
        Assert.Equal(family.AddTime, family.AddTimeTs);
        Assert.Equal((1L, 1, 1), (page.Total, page.PageNum, page.Pages));
    }

    [Fact]
    public async Task Add_family_answers_the_family_and_creates_its_room_list_in_one_go()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        var added = Family.Parse<FamilyItem>(await Family.PostOkAsync(user, "addFamily", new
        {
            familyName = "Farm",
            familyLocation = "Hill road 1",
            familyCoordinates = "8.54,47.37",
            familyRoomList = new[] { "Barn", "Kitchen" },
        }));
        Assert.Equal(("Farm", "Hill road 1", "8.54,47.37", 1), (added.FamilyName, added.FamilyLocation, added.FamilyCoordinates, added.MemberRole));
        Assert.Equal(added, Assert.Single((await Family.PageAsync<FamilyItem>(user, "getFamilyList")).List));
        var rooms = await Family.PageAsync<RoomItem>(user, $"getFamilyRoomList?fid={added.Fid}");
        Assert.Equal(["Barn", "Kitchen"], rooms.List.Select(r => r.RoomName));
    }

    [Fact]
    public async Task A_bad_room_in_the_room_list_creates_no_family_at_all()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        var duplicate = await Family.PostAsync(user, "addFamily", new { familyName = "Farm", familyRoomList = new[] { "Barn", "Barn" } });
        Assert.Equal(Errors.AlreadyExists.Code, duplicate.Code());
        var blank = await Family.PostAsync(user, "addFamily", new { familyName = "Farm", familyRoomList = new[] { "Barn", " " } });
        Assert.Equal(Errors.InvalidParameter.Code, blank.Code());
        Assert.Equal(0, (await Family.PageAsync<FamilyItem>(user, "getFamilyList")).Total);
    }

    [Fact]
    public async Task The_family_list_pages_and_filters_by_role()
    {
        var home = await Family.HouseholdAsync(app);
        for (var i = 0; i < 4; i++)
        {
            await Tenant.CreateFamilyAsync(home.Admin, $"Admin's {i}");
        }
        var first = await Family.PageAsync<FamilyItem>(home.Admin, "getFamilyList?page=1&pageSize=2");
        Assert.Equal((5L, 1, 2, 3, 2), (first.Total, first.PageNum, first.PageSize, first.Pages, first.List.Count));
        var last = await Family.PageAsync<FamilyItem>(home.Admin, "getFamilyList?page=3&pageSize=2");
        Assert.Equal((3, 1), (last.PageNum, last.List.Count));
        var all = (await Family.PageAsync<FamilyItem>(home.Admin, "getFamilyList?pageSize=100")).List;
        Assert.Equal(5, all.Select(f => f.Fid).Distinct().Count());

        var administered = await Family.PageAsync<FamilyItem>(home.Admin, "getFamilyList?role=2");
        Assert.Equal(home.Fid, Assert.Single(administered.List).Fid);
        Assert.Equal(4, (await Family.PageAsync<FamilyItem>(home.Admin, "getFamilyList?role=1,3")).Total);
        Assert.Equal(Errors.InvalidParameterValue.Code, (await Family.GetAsync(home.Admin, "getFamilyList?role=owner")).Code());
    }

    [Fact]
    public async Task Members_see_the_family_with_their_own_role()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(2, Assert.Single((await Family.PageAsync<FamilyItem>(home.Admin, "getFamilyList")).List).MemberRole);
        Assert.Equal(3, Assert.Single((await Family.PageAsync<FamilyItem>(home.Member, "getFamilyList")).List).MemberRole);
        Assert.Empty((await Family.PageAsync<FamilyItem>(home.Stranger, "getFamilyList")).List);
    }

    [Fact]
    public async Task Owner_and_admin_rename_a_family_a_regular_member_cannot()
    {
        var home = await Family.HouseholdAsync(app);
        await Family.SendOkAsync(home.Owner, HttpMethod.Put, Family.Q("setFamily", ("fid", home.Fid), ("familyName", "  Renamed  ")));
        Assert.Equal("Renamed", Assert.Single(await Family.ListAsync(home.Member, "getFamilyList")).GetProperty("familyName").GetString());
        await Family.SendOkAsync(home.Admin, HttpMethod.Put, Family.Q("setFamily", ("fid", home.Fid), ("familyName", "By admin")));
        var refused = await Family.SendAsync(home.Member, HttpMethod.Put, Family.Q("setFamily", ("fid", home.Fid), ("familyName", "By member")));
        Assert.Equal(9107, refused.Code());
        Assert.Equal("By admin", Assert.Single(await Family.ListAsync(home.Owner, "getFamilyList")).GetProperty("familyName").GetString());
    }

    [Fact]
    public async Task Set_family_changes_only_the_fields_given()
    {
        var home = await Family.HouseholdAsync(app);
        await Family.SendOkAsync(home.Admin, HttpMethod.Put, Family.Q("setFamily", ("fid", home.Fid), ("familyLocation", "Main street 2"), ("familyCoordinates", "8.5,47.4")));
        var family = Assert.Single((await Family.PageAsync<FamilyItem>(home.Member, "getFamilyList")).List);
        Assert.Equal(("Home", "Main street 2", "8.5,47.4"), (family.FamilyName, family.FamilyLocation, family.FamilyCoordinates));

        await Family.SendOkAsync(home.Owner, HttpMethod.Put, Family.Q("setFamily", ("fid", home.Fid), ("familyName", "Renamed"), ("familyLocation", "")));
        family = Assert.Single((await Family.PageAsync<FamilyItem>(home.Member, "getFamilyList")).List);
        Assert.Equal(("Renamed", "", "8.5,47.4"), (family.FamilyName, family.FamilyLocation, family.FamilyCoordinates));
        Assert.Equal(Errors.InvalidParameter.Code, (await Family.SendAsync(home.Owner, HttpMethod.Put, Family.Q("setFamily", ("fid", home.Fid)))).Code());
    }

    [Fact]
    public async Task Only_the_owner_deletes_a_family_and_then_it_is_gone_for_everyone()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid);
        Assert.Equal(9107, (await Family.SendAsync(home.Admin, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", home.Fid)))).Code());
        Assert.Equal(9107, (await Family.SendAsync(home.Member, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", home.Fid)))).Code());

        await Family.SendOkAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", home.Fid)));

        Assert.Empty(await Family.ListAsync(home.Owner, "getFamilyList"));
        Assert.Empty(await Family.ListAsync(home.Member, "getFamilyList"));
        Assert.Equal(9108, (await Family.GetAsync(home.Owner, $"getFamilyRoomList?fid={home.Fid}")).Code());
        Assert.Equal(9114, (await Family.SendAsync(home.Owner, HttpMethod.Put, Family.Q("setFamilyRoom", ("frid", room), ("roomName", "x")))).Code());
        Assert.Equal(9108, (await Family.SendAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", home.Fid)))).Code());
    }

    [Fact]
    public async Task A_family_with_bound_devices_is_not_deleted()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Member, home.Fid);
        var refused = await Family.SendAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", home.Fid)));
        Assert.Equal(9010, refused.Code());
        Assert.Contains("unbind", refused.ExtMsg(), StringComparison.Ordinal);
        Assert.Single(await Family.ListAsync(home.Owner, "getFamilyList"));

        await Seed.Db(app).WriteAsync(tx => tx.ExecuteAsync("DELETE FROM bindings WHERE pk = @Pk AND dk = @Dk", new { Pk = pk, Dk = dk }));
        await Family.SendOkAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", home.Fid)));
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
        Assert.Equal(5636, (await Family.SendAsync(user, HttpMethod.Put, Family.Q("setFamily", ("familyName", "x")))).Code());
        Assert.Equal(5636, (await Family.GetAsync(user, "getFamilyRoomList")).Code());
        Assert.Equal(5636, (await Family.SendAsync(user, HttpMethod.Delete, Family.Q("deleteFamily"))).Code());
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
        Assert.Equal(20, (await Family.ListAsync(user, "getFamilyList?pageSize=100")).Length);
    }
}
