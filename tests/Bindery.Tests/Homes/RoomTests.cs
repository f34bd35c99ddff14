using Bindery.Infrastructure;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

public sealed class RoomTests(SharedApp app) : IClassFixture<SharedApp>
{
    [Fact]
    public async Task Rooms_are_added_listed_in_order_renamed_and_deleted()
    {
        var home = await Family.HouseholdAsync(app);
        var kitchen = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Kitchen");
        var bedroom = await Tenant.CreateRoomAsync(home.Admin, home.Fid, "Bedroom");

        var rooms = await Family.ListAsync(home.Member, $"getFamilyRoomList?fid={home.Fid}");
        Assert.Equal([kitchen, bedroom], rooms.Select(r => r.GetProperty("frid").GetString()));
        Assert.Equal(["Kitchen", "Bedroom"], rooms.Select(r => r.GetProperty("roomName").GetString()));
        Assert.Equal([1, 2], rooms.Select(r => r.GetProperty("roomSort").GetInt32()));

        await Family.SendOkAsync(home.Admin, HttpMethod.Put, Family.Q("setFamilyRoom", ("frid", kitchen), ("roomName", "Pantry")));
        await Family.SendOkAsync(home.Owner, HttpMethod.Delete, "deleteFamilyRoom", new[] { bedroom });

        var after = Assert.Single(await Family.ListAsync(home.Owner, $"getFamilyRoomList?fid={home.Fid}"));
        Assert.Equal("Pantry", after.GetProperty("roomName").GetString());
    }

    [Fact]
    public async Task Room_sort_is_stored_and_the_room_list_follows_it()
    {
        var home = await Family.HouseholdAsync(app);
        var kitchen = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Kitchen");
        var bedroom = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Bedroom");
        var hall = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Hall");

        var batch = Family.Parse<Batch>(await Family.SendOkAsync(home.Admin, HttpMethod.Put, "setFamilyRoomSort", new[]
        {
            new { frid = hall, roomSort = 0 },
            new { frid = kitchen, roomSort = 5 },
            new { frid = bedroom, roomSort = 2 },
        }));
        Assert.Equal(3, batch.SuccessList.Count);

        var rooms = (await Family.PageAsync<RoomItem>(home.Member, $"getFamilyRoomList?fid={home.Fid}")).List;
        Assert.Equal([hall, bedroom, kitchen], rooms.Select(r => r.Frid));
        Assert.Equal([0, 2, 5], rooms.Select(r => r.RoomSort));
        var paged = await Family.PageAsync<RoomItem>(home.Member, $"getFamilyRoomList?fid={home.Fid}&page=2&pageSize=2");
        Assert.Equal((3L, 2, kitchen), (paged.Total, paged.Pages, Assert.Single(paged.List).Frid));
    }

    [Fact]
    public async Task Room_sort_refuses_duplicates_and_leaves_other_families_rooms_alone()
    {
        var home = await Family.HouseholdAsync(app);
        var kitchen = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Kitchen");
        var hall = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Hall");
        var strangersFamily = await Tenant.CreateFamilyAsync(home.Stranger, "Theirs");
        var strangersRoom = await Tenant.CreateRoomAsync(home.Stranger, strangersFamily, "Attic");

        var duplicate = await Family.SendAsync(home.Owner, HttpMethod.Put, "setFamilyRoomSort",
            new[] { new { frid = kitchen, roomSort = 1 }, new { frid = hall, roomSort = 1 } });
        Assert.Equal(Errors.RoomSortDuplicated.Code, duplicate.Code());
        Assert.Equal(Errors.RoomSortMissing.Code, (await Family.SendAsync(home.Owner, HttpMethod.Put, "setFamilyRoomSort", Family.Json("[]"))).Code());

        var batch = Family.Parse<Batch>(await Family.SendOkAsync(home.Owner, HttpMethod.Put, "setFamilyRoomSort",
            new[] { new { frid = strangersRoom, roomSort = 9 }, new { frid = hall, roomSort = 0 } }));
        Assert.Equal(Errors.RoomNotExist.Code, Assert.Single(batch.FailureList).Code);
        Assert.Equal(1, (await Family.PageAsync<RoomItem>(home.Stranger, $"getFamilyRoomList?fid={strangersFamily}")).List[0].RoomSort);

        var memberTry = Family.Parse<Batch>(await Family.SendOkAsync(home.Member, HttpMethod.Put, "setFamilyRoomSort", new[] { new { frid = kitchen, roomSort = 0 } }));
        Assert.Equal(Errors.NoPermissionToFamily.Code, Assert.Single(memberTry.FailureList).Code);
        Assert.Equal([hall, kitchen], (await Family.PageAsync<RoomItem>(home.Owner, $"getFamilyRoomList?fid={home.Fid}")).List.Select(r => r.Frid));
    }

    [Fact]
    public async Task A_regular_member_reads_rooms_but_cannot_change_them()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Study");
        Assert.Equal(9107, (await Family.SendAsync(home.Member, HttpMethod.Post, Family.Q("addFamilyRoom", ("fid", home.Fid), ("roomName", "Den")))).Code());
        Assert.Equal(9107, (await Family.SendAsync(home.Member, HttpMethod.Put, Family.Q("setFamilyRoom", ("frid", room), ("roomName", "Den")))).Code());
        var deleted = Family.Parse<Batch>(await Family.SendOkAsync(home.Member, HttpMethod.Delete, "deleteFamilyRoom", new[] { room }));
        Assert.Equal(Errors.NoPermissionToFamily.Code, Assert.Single(deleted.FailureList).Code);
        Assert.Equal("Study", Assert.Single(await Family.ListAsync(home.Member, $"getFamilyRoomList?fid={home.Fid}")).GetProperty("roomName").GetString());
    }

    [Fact]
    public async Task Room_names_are_unique_within_a_family()
    {
        var home = await Family.HouseholdAsync(app);
        var first = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Hall");
        var second = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Garage");
        Assert.Equal(9008, (await Family.SendAsync(home.Owner, HttpMethod.Post, Family.Q("addFamilyRoom", ("fid", home.Fid), ("roomName", "Hall")))).Code());
        Assert.Equal(9008, (await Family.SendAsync(home.Owner, HttpMethod.Put, Family.Q("setFamilyRoom", ("frid", second), ("roomName", "Hall")))).Code());
        await Family.SendOkAsync(home.Owner, HttpMethod.Put, Family.Q("setFamilyRoom", ("frid", first), ("roomName", "Hall")));
        var otherFamily = await Tenant.CreateFamilyAsync(home.Owner, "Cabin");
        await Tenant.CreateRoomAsync(home.Owner, otherFamily, "Hall");
    }

    [Fact]
    public async Task Deleting_a_room_keeps_its_devices_in_the_family_in_no_room()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Porch");
        var (_, dk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid, room);
        Assert.Equal(1, Assert.Single(await Family.ListAsync(home.Owner, $"getFamilyRoomList?fid={home.Fid}")).GetProperty("deviceCount").GetInt32());

        await Family.SendOkAsync(home.Owner, HttpMethod.Delete, "deleteFamilyRoom", new[] { room });

        var device = Assert.Single((await Family.DevicesAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}")).List);
        Assert.Equal((dk, "", ""), (device.DeviceKey, device.Frid, device.RoomName));
    }

    [Theory]
    [InlineData("POST", "addFamilyRoom?fid=FID", 9000, "roomName is required")]
    [InlineData("POST", "addFamilyRoom?roomName=Den", 5636, "fid is required")]
    [InlineData("POST", "addFamilyRoom?fid=FID&roomName=%20%20", 9000, "roomName is required")]
    [InlineData("PUT", "setFamilyRoom?roomName=Den", 9000, "frid is required")]
    [InlineData("PUT", "setFamilyRoom?frid=no-such-room&roomName=Den", 9114, "")]
    public async Task Bad_room_input_is_refused(string method, string actionAndQuery, int code, string extMsgPart)
    {
        var home = await Family.HouseholdAsync(app);
        var envelope = await Family.SendAsync(home.Owner, new HttpMethod(method), actionAndQuery.Replace("FID", home.Fid, StringComparison.Ordinal));
        Assert.Equal(code, envelope.Code());
        Assert.Contains(extMsgPart, envelope.ExtMsg(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", 5637)]
    [InlineData("""[""]""", 5637)]
    [InlineData("""{"frid":"x"}""", 9000)]
    public async Task Bad_room_deletions_are_refused(string json, int code)
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(code, (await Family.SendAsync(home.Owner, HttpMethod.Delete, "deleteFamilyRoom", Family.Json(json))).Code());
    }
}
