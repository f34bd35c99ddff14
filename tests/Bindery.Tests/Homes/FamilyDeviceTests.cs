using Bindery.Infrastructure;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

public sealed class FamilyDeviceTests(SharedApp app) : IClassFixture<SharedApp>
{
    private static object Move(string pk, string dk, string newFrid, string? oldFrid = null) => new { pk, dk, oldFrid, newFrid };

    [Fact]
    public async Task The_family_device_list_reads_the_bindings_of_the_family_in_the_real_item_shape()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Kitchen");
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid, room, name: "Kettle", method: "WIFI");
        await Seed.BoundDeviceAsync(app, home.Admin, home.Fid, null, name: "Fan");
        await Seed.BoundDeviceAsync(app, home.Stranger, null, null, name: "Not in any family");

        var page = await Family.DevicesAsync(home.Member, $"getFamilyDeviceList?fid={home.Fid}");
        // Both bindings may share a millisecond, so the order between them is not part of the contract.
        Assert.Equal(["Fan", "Kettle"], page.List.Select(d => d.DeviceName).Order());
        Assert.Equal(2, page.Total);
        var kettle = page.List.Single(d => d.DeviceName == "Kettle");
        Assert.Equal((pk, dk, home.Fid, room, "Kitchen"), (kettle.ProductKey, kettle.DeviceKey, kettle.Fid, kettle.Frid, kettle.RoomName));
        Assert.Equal((2, 1), (kettle.BindingType, kettle.DeviceType));
        Assert.False(kettle.IsCommonUsed);
        Assert.True(kettle.DeviceBindTimeTs > 0);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", kettle.DeviceBindTime);
        Assert.Equal("Test product", kettle.ProductName);
        Assert.Equal(1, page.List.Single(d => d.DeviceName == "Fan").BindingType);

        var inKitchen = Assert.Single((await Family.DevicesAsync(home.Member, $"getFamilyDeviceList?fid={home.Fid}&frid={room}")).List);
        Assert.Equal("Kettle", inKitchen.DeviceName);
    }

    [Fact]
    public async Task Family_device_lists_page()
    {
        var home = await Family.HouseholdAsync(app);
        for (var i = 0; i < 3; i++)
        {
            await Seed.BoundDeviceAsync(app, home.Owner, home.Fid, name: $"Lamp {i}");
        }
        var first = await Family.DevicesAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}&page=1&pageSize=2");
        var second = await Family.DevicesAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}&page=2&pageSize=2");
        Assert.Equal((3L, 2, 2, 1), (first.Total, first.Pages, first.List.Count, second.List.Count));
        Assert.Equal(3, first.List.Concat(second.List).Select(d => d.DeviceKey).Distinct().Count());
    }

    [Fact]
    public async Task A_device_bound_by_two_members_is_listed_once()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid, name: "Lamp");
        // The earliest binding speaks for the device: make the second one later even on a fast machine (same ms).
        app.Clock.Advance(TimeSpan.FromMilliseconds(5));
        await Seed.AlsoBoundByAsync(app, pk, dk, home.Member, home.Fid);
        var device = Assert.Single((await Family.DevicesAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}")).List);
        Assert.Equal("Lamp", device.DeviceName);
    }

    [Fact]
    public async Task Several_devices_move_into_rooms_in_one_call_and_read_back_per_room()
    {
        var home = await Family.HouseholdAsync(app);
        var kitchen = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Kitchen");
        var hall = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Hall");
        var kettle = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid, kitchen, name: "Kettle");
        var lamp = await Seed.BoundDeviceAsync(app, home.Member, home.Fid, null, name: "Lamp");
        var fan = await Seed.BoundDeviceAsync(app, home.Admin, home.Fid, null, name: "Fan");

        var batch = Family.Parse<Batch>(await Family.PostOkAsync(home.Admin, "addDeviceInFamilyRoom", new[]
        {
            Move(kettle.Pk, kettle.Dk, hall, oldFrid: kitchen),
            Move(lamp.Pk, lamp.Dk, hall),
            Move(fan.Pk, fan.Dk, kitchen),
        }));
        Assert.Equal(3, batch.SuccessList.Count);
        Assert.Empty(batch.FailureList);

        var inHall = await Family.DevicesAsync(home.Member, $"getFamilyRoomDeviceList?frid={hall}");
        Assert.Equal(["Kettle", "Lamp"], inHall.List.Select(d => d.DeviceName).Order());
        Assert.All(inHall.List, d => Assert.Equal((hall, "Hall"), (d.Frid, d.RoomName)));
        Assert.Equal("Fan", Assert.Single((await Family.DevicesAsync(home.Member, $"getFamilyRoomDeviceList?frid={kitchen}")).List).DeviceName);
        var rooms = (await Family.PageAsync<RoomItem>(home.Owner, $"getFamilyRoomList?fid={home.Fid}")).List;
        Assert.Equal([("Hall", 2), ("Kitchen", 1)], rooms.OrderBy(r => r.RoomName).Select(r => (r.RoomName, r.DeviceCount)));
    }

    [Fact]
    public async Task Items_that_cannot_move_fail_on_their_own_and_the_rest_move()
    {
        var home = await Family.HouseholdAsync(app);
        var hall = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Hall");
        var inFamily = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid);
        var outside = await Seed.BoundDeviceAsync(app, home.Owner, null);

        var batch = Family.Parse<Batch>(await Family.PostOkAsync(home.Owner, "addDeviceInFamilyRoom", new[]
        {
            Move(inFamily.Pk, inFamily.Dk, hall),
            Move(outside.Pk, outside.Dk, hall),
            Move(inFamily.Pk, inFamily.Dk, "no-such-room"),
        }));
        Assert.Single(batch.SuccessList);
        Assert.Equal([Errors.DeviceNotBound.Code, Errors.RoomNotExist.Code], batch.FailureList.Select(f => f.Code));
        Assert.Equal(hall, Assert.Single((await Family.DevicesAsync(home.Owner, $"getFamilyRoomDeviceList?frid={hall}")).List).Frid);
    }

    [Fact]
    public async Task A_device_key_not_of_the_products_format_fails_its_item()
    {
        var home = await Family.HouseholdAsync(app);
        var hall = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Hall");
        var (pk, _) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid);
        var moved = Family.Parse<Batch>(await Family.PostOkAsync(home.Owner, "addDeviceInFamilyRoom", new[] { Move(pk, "not-a-device-key", hall) }));
        Assert.Equal(Errors.DkFormat.Code, Assert.Single(moved.FailureList).Code);
        var common = Family.Parse<Batch>(await Family.PostOkAsync(home.Owner, "addCommonUsedDevice",
            new { fid = home.Fid, deviceList = new[] { new { pk, dk = "not-a-device-key" } } }));
        Assert.Equal(Errors.DkFormat.Code, Assert.Single(common.FailureList).Code);
    }

    [Fact]
    public async Task A_regular_member_cannot_move_devices()
    {
        var home = await Family.HouseholdAsync(app);
        var hall = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Hall");
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Member, home.Fid);
        var batch = Family.Parse<Batch>(await Family.PostOkAsync(home.Member, "addDeviceInFamilyRoom", new[] { Move(pk, dk, hall) }));
        Assert.Equal(Errors.NoPermissionToFamily.Code, Assert.Single(batch.FailureList).Code);
        Assert.Empty((await Family.DevicesAsync(home.Owner, $"getFamilyRoomDeviceList?frid={hall}")).List);
    }

    [Theory]
    [InlineData("""[{"dk":"866123456789012","newFrid":"r"}]""", 5066)]
    [InlineData("""[{"pk":"p1","newFrid":"r"}]""", 5067)]
    [InlineData("""[{"pk":"p1","dk":"866123456789012"}]""", 5637)]
    [InlineData("""[{"pk":"p1","dk":"866123456789012","oldFrid":"r","newFrid":"r"}]""", 5663)]
    [InlineData("""[]""", 9000)]
    [InlineData("""{"pk":"p1","dk":"866123456789012","newFrid":"r"}""", 9000)]
    [InlineData("""[{"pk":1,"dk":"866123456789012","newFrid":"r"}]""", 9000)]
    public async Task Malformed_moves_refuse_the_whole_call(string json, int code)
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(code, (await Seed.PostRawAsync(home.Owner.Client, Family.Api + "addDeviceInFamilyRoom", json)).Code());
    }

    [Fact]
    public async Task Common_used_devices_are_added_listed_flagged_and_removed()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Den");
        var speaker = await Seed.BoundDeviceAsync(app, home.Member, home.Fid, room, name: "Speaker");
        var radio = await Seed.BoundDeviceAsync(app, home.Member, home.Fid, room, name: "Radio");
        var devices = new[] { new { pk = speaker.Pk, dk = speaker.Dk }, new { pk = radio.Pk, dk = radio.Dk } };

        var added = Family.Parse<Batch>(await Family.PostOkAsync(home.Admin, "addCommonUsedDevice", new { fid = home.Fid, deviceList = devices }));
        Assert.Equal(2, added.SuccessList.Count);
        await Family.PostOkAsync(home.Owner, "addCommonUsedDevice", new { fid = home.Fid, deviceList = devices });

        var common = await Family.DevicesAsync(home.Member, $"getCommonUsedDeviceList?fid={home.Fid}");
        Assert.Equal(2, common.Total);
        Assert.All(common.List, d => Assert.True(d.IsCommonUsed));
        Assert.Equal(["Radio", "Speaker"], common.List.Select(d => d.DeviceName).Order());
        Assert.Equal(room, common.List[0].Frid);
        Assert.Single((await Family.DevicesAsync(home.Member, $"getCommonUsedDeviceList?fid={home.Fid}&pageSize=1")).List);

        var memberTry = await Family.SendAsync(home.Member, HttpMethod.Delete, "deleteCommonUsedDevice", new { fid = home.Fid, deviceList = devices });
        Assert.Equal(Errors.NoPermissionToFamily.Code, memberTry.Code());
        await Family.SendOkAsync(home.Owner, HttpMethod.Delete, "deleteCommonUsedDevice", new { fid = home.Fid, deviceList = new[] { devices[0] } });
        Assert.Equal("Radio", Assert.Single((await Family.DevicesAsync(home.Member, $"getCommonUsedDeviceList?fid={home.Fid}")).List).DeviceName);
        var speakerNow = (await Family.DevicesAsync(home.Member, $"getFamilyDeviceList?fid={home.Fid}")).List.Single(d => d.DeviceName == "Speaker");
        Assert.False(speakerNow.IsCommonUsed);
    }

    [Fact]
    public async Task A_device_outside_the_family_is_not_made_common()
    {
        var home = await Family.HouseholdAsync(app);
        var outside = await Seed.BoundDeviceAsync(app, home.Owner, null);
        var batch = Family.Parse<Batch>(await Family.PostOkAsync(home.Owner, "addCommonUsedDevice",
            new { fid = home.Fid, deviceList = new[] { new { pk = outside.Pk, dk = outside.Dk } } }));
        Assert.Equal(Errors.DeviceNotBound.Code, Assert.Single(batch.FailureList).Code);
        Assert.Empty((await Family.DevicesAsync(home.Owner, $"getCommonUsedDeviceList?fid={home.Fid}")).List);
    }

    [Fact]
    public async Task A_regular_member_cannot_add_common_devices()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Member, home.Fid);
        var refused = await Family.PostAsync(home.Member, "addCommonUsedDevice", new { fid = home.Fid, deviceList = new[] { new { pk, dk } } });
        Assert.Equal(Errors.NoPermissionToFamily.Code, refused.Code());
        Assert.Empty((await Family.DevicesAsync(home.Member, $"getCommonUsedDeviceList?fid={home.Fid}")).List);
    }

    [Theory]
    [InlineData("""{"fid":"FID","deviceList":[{"dk":"866123456789012"}]}""", 5066)]
    [InlineData("""{"fid":"FID","deviceList":[{"pk":"p1"}]}""", 5067)]
    [InlineData("""{"deviceList":[{"pk":"p1","dk":"866123456789012"}]}""", 5636)]
    [InlineData("""{"fid":"FID","deviceList":[]}""", 9000)]
    [InlineData("""{"fid":"FID","deviceList":[{"pk":1,"dk":"866123456789012"}]}""", 9000)]
    public async Task Bad_common_device_input_is_refused(string json, int code)
    {
        var home = await Family.HouseholdAsync(app);
        var body = json.Replace("FID", home.Fid, StringComparison.Ordinal);
        Assert.Equal(code, (await Seed.PostRawAsync(home.Owner.Client, Family.Api + "addCommonUsedDevice", body)).Code());
        Assert.Equal(code, (await Family.SendAsync(home.Owner, HttpMethod.Delete, "deleteCommonUsedDevice", Family.Json(body))).Code());
    }
}
