using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

public sealed class FamilyDeviceTests(SharedApp app) : IClassFixture<SharedApp>
{
    [Fact]
    public async Task The_family_device_list_reads_the_bindings_of_the_family()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Kitchen");
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid, room, name: "Kettle", method: "WIFI");
        await Seed.BoundDeviceAsync(app, home.Admin, home.Fid, null, name: "Fan");
        await Seed.BoundDeviceAsync(app, home.Stranger, null, null, name: "Not in any family");

        var devices = await Family.ListAsync(home.Member, $"getFamilyDeviceList?fid={home.Fid}");
        // Both bindings may share a millisecond, so the order between them is not part of the contract.
        Assert.Equal(["Fan", "Kettle"], devices.Select(d => d.GetProperty("deviceName").GetString()).Order());
        var kettle = devices.Single(d => d.GetProperty("deviceName").GetString() == "Kettle");
        Assert.Equal(pk, kettle.GetProperty("pk").GetString());
        Assert.Equal(dk, kettle.GetProperty("dk").GetString());
        Assert.Equal(room, kettle.GetProperty("frid").GetString());
        Assert.False(kettle.GetProperty("isCommonDevice").GetBoolean());
        Assert.Equal("WIFI", kettle.GetProperty("bindingType").GetString());
        Assert.True(kettle.GetProperty("boundAt").GetInt64() > 0);

        var inKitchen = Assert.Single(await Family.ListAsync(home.Member, $"getFamilyDeviceList?fid={home.Fid}&frid={room}"));
        Assert.Equal("Kettle", inKitchen.GetProperty("deviceName").GetString());
    }

    [Fact]
    public async Task A_device_bound_by_two_members_is_listed_once()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid, name: "Lamp");
        await Seed.AlsoBoundByAsync(app, pk, dk, home.Member, home.Fid);
        var device = Assert.Single(await Family.ListAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}"));
        Assert.Equal("Lamp", device.GetProperty("deviceName").GetString());
    }

    [Fact]
    public async Task Owner_and_admin_move_devices_between_rooms()
    {
        var home = await Family.HouseholdAsync(app);
        var kitchen = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Kitchen");
        var hall = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Hall");
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid, kitchen);

        await Family.PostOkAsync(home.Admin, "moveDeviceToRoom", new { fid = home.Fid, pk, dk, frid = hall });
        Assert.Equal(hall, Assert.Single(await Family.ListAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}")).GetProperty("frid").GetString());
        Assert.Empty(await Family.ListAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}&frid={kitchen}"));

        await Family.PostOkAsync(home.Owner, "moveDeviceToRoom", new { fid = home.Fid, pk, dk, frid = "" });
        Assert.Equal("", Assert.Single(await Family.ListAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}")).GetProperty("frid").GetString());

        Assert.Equal(9107, (await Family.PostAsync(home.Member, "moveDeviceToRoom", new { fid = home.Fid, pk, dk, frid = hall })).Code());
        Assert.Equal(9114, (await Family.PostAsync(home.Owner, "moveDeviceToRoom", new { fid = home.Fid, pk, dk, frid = "no-such-room" })).Code());
    }

    [Fact]
    public async Task A_device_outside_the_family_cannot_be_moved_or_made_common()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Owner, null);
        Assert.Equal(5052, (await Family.PostAsync(home.Owner, "moveDeviceToRoom", new { fid = home.Fid, pk, dk })).Code());
        Assert.Equal(5052, (await Family.PostAsync(home.Owner, "addCommonDevice", new { fid = home.Fid, pk, dk })).Code());
    }

    [Fact]
    public async Task Common_devices_are_added_listed_flagged_and_removed()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Den");
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Member, home.Fid, room, name: "Speaker");

        await Family.PostOkAsync(home.Admin, "addCommonDevice", new { fid = home.Fid, pk, dk });
        await Family.PostOkAsync(home.Owner, "addCommonDevice", new { fid = home.Fid, pk, dk });

        var common = Assert.Single(await Family.ListAsync(home.Member, $"getCommonDeviceList?fid={home.Fid}"));
        Assert.Equal(pk, common.GetProperty("pk").GetString());
        Assert.Equal(dk, common.GetProperty("dk").GetString());
        Assert.Equal("Speaker", common.GetProperty("deviceName").GetString());
        Assert.Equal(room, common.GetProperty("frid").GetString());
        Assert.True(Assert.Single(await Family.ListAsync(home.Member, $"getFamilyDeviceList?fid={home.Fid}")).GetProperty("isCommonDevice").GetBoolean());

        Assert.Equal(9107, (await Family.PostAsync(home.Member, "deleteCommonDevice", new { fid = home.Fid, pk, dk })).Code());
        await Family.PostOkAsync(home.Owner, "deleteCommonDevice", new { fid = home.Fid, pk, dk });
        Assert.Empty(await Family.ListAsync(home.Member, $"getCommonDeviceList?fid={home.Fid}"));
        Assert.False(Assert.Single(await Family.ListAsync(home.Member, $"getFamilyDeviceList?fid={home.Fid}")).GetProperty("isCommonDevice").GetBoolean());
    }

    [Fact]
    public async Task A_regular_member_cannot_add_common_devices()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Member, home.Fid);
        Assert.Equal(9107, (await Family.PostAsync(home.Member, "addCommonDevice", new { fid = home.Fid, pk, dk })).Code());
        Assert.Empty(await Family.ListAsync(home.Member, $"getCommonDeviceList?fid={home.Fid}"));
    }

    [Theory]
    [InlineData("""{"fid":"FID","dk":"866123456789012"}""", 5066)]
    [InlineData("""{"fid":"FID","pk":"p1"}""", 5067)]
    [InlineData("""{"fid":"FID","pk":"p1","dk":"not-a-device-key"}""", 5361)]
    [InlineData("""{"pk":"p1","dk":"866123456789012"}""", 5636)]
    [InlineData("""{"fid":"FID","pk":1,"dk":"866123456789012"}""", 9000)]
    public async Task Bad_device_input_is_refused(string json, int code)
    {
        var home = await Family.HouseholdAsync(app);
        var body = json.Replace("FID", home.Fid, StringComparison.Ordinal);
        Assert.Equal(code, (await Seed.PostRawAsync(home.Owner.Client, Family.Api + "addCommonDevice", body)).Code());
        Assert.Equal(code, (await Seed.PostRawAsync(home.Owner.Client, Family.Api + "moveDeviceToRoom", body)).Code());
    }
}
