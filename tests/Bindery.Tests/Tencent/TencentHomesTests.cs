using System.Text.Json;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>Families, rooms and family devices through the Tencent-style actions, and the same data through /v2.</summary>
public sealed class TencentHomesTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    private static async Task BindAsync(TencentApi api, DeviceClient side, Tenant.Device device, string familyId, string roomId = "0")
    {
        var token = await api.CreateTokenAsync();
        await side.ReportTokenOkAsync(token);
        var response = await api.BindAsync(token, device, familyId, roomId);
        Assert.False(response.TryGetProperty("Error", out _), response.ToString());
    }

    private static IEnumerable<string> DeviceNames(JsonElement data) =>
        data.GetProperty("DeviceList").EnumerateArray().Select(d => d.GetProperty("DeviceName").GetString()!).Order();

    [Fact]
    public async Task Families_can_be_created_listed_described_renamed_and_deleted()
    {
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        // Families list oldest first; created within one millisecond they would tie (and then order by id).
        fx.App.Clock.Advance(TimeSpan.FromMilliseconds(5));
        var second = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Office" })).GetProperty("FamilyId").GetString()!;

        var list = await api.OkAsync("AppGetFamilyList");
        Assert.Equal(2, list.GetProperty("Total").GetInt32());
        Assert.Equal([familyId, second], list.GetProperty("FamilyList").EnumerateArray().Select(f => f.GetProperty("FamilyId").GetString()));
        var page = await api.OkAsync("AppGetFamilyList", new() { ["Offset"] = 1, ["Limit"] = 1 });
        Assert.Equal(second, Assert.Single(page.GetProperty("FamilyList").EnumerateArray()).GetProperty("FamilyId").GetString());

        await api.OkAsync("AppModifyFamily", new() { ["FamilyId"] = second, ["Name"] = "Studio" });
        var described = await api.OkAsync("AppDescribeFamily", new() { ["FamilyId"] = second });
        Assert.Equal("Studio", described.GetProperty("FamilyName").GetString());
        Assert.Equal(1, described.GetProperty("Role").GetInt32());

        await api.OkAsync("AppDeleteFamily", new() { ["FamilyId"] = second });
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", await api.ErrorAsync("AppDescribeFamily", new() { ["FamilyId"] = second }));
    }

    [Fact]
    public async Task A_stranger_cannot_see_or_touch_a_family_and_a_regular_member_cannot_modify_it()
    {
        var (owner, _, familyId) = await fx.UserWithFamilyAsync();
        var (_, stranger, _) = await fx.UserWithFamilyAsync();
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", await stranger.ErrorAsync("AppGetRoomList", new() { ["FamilyId"] = familyId }));
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", await stranger.ErrorAsync("AppModifyFamily", new() { ["FamilyId"] = familyId, ["Name"] = "Mine" }));
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", await stranger.ErrorAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId }));

        var member = await fx.Tenant.CreateUserAsync();
        await Tenant.AddMemberAsync(owner, familyId, member, role: 3);
        var memberApi = new TencentApi(fx.App.CreateClient(), member.Token);
        Assert.Equal("UnauthorizedOperation.NoPermissionToFamily", await memberApi.ErrorAsync("AppModifyFamily", new() { ["FamilyId"] = familyId, ["Name"] = "Ours" }));
        Assert.Equal("UnauthorizedOperation.NoPermissionToFamily", await memberApi.ErrorAsync("AppModifyFamily", new() { ["FamilyId"] = familyId }));
        Assert.Equal("UnauthorizedOperation.NoPermissionToFamily", await memberApi.ErrorAsync("AppCreateRoom", new() { ["FamilyId"] = familyId, ["Name"] = "Den" }));
    }

    [Fact]
    public async Task Rooms_and_devices_in_them()
    {
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var kitchen = (await api.OkAsync("AppCreateRoom", new() { ["FamilyId"] = familyId, ["Name"] = "Kitchen" })).GetProperty("RoomId").GetString()!;
        var hall = (await api.OkAsync("AppCreateRoom", new() { ["FamilyId"] = familyId, ["Name"] = "Hall" })).GetProperty("RoomId").GetString()!;
        await api.OkAsync("AppModifyRoom", new() { ["FamilyId"] = familyId, ["RoomId"] = hall, ["Name"] = "Hallway" });

        var (_, inKitchen, kitchenSide) = await fx.DeviceAsync();
        var (_, inNoRoom, noRoomSide) = await fx.DeviceAsync();
        await BindAsync(api, kitchenSide, inKitchen, familyId, kitchen);
        await BindAsync(api, noRoomSide, inNoRoom, familyId);

        var rooms = await api.OkAsync("AppGetRoomList", new() { ["FamilyId"] = familyId });
        Assert.Equal(2, rooms.GetProperty("Total").GetInt32());
        var roomList = rooms.GetProperty("RoomList").EnumerateArray().ToList();
        Assert.Equal(["Kitchen", "Hallway"], roomList.Select(r => r.GetProperty("RoomName").GetString()));
        Assert.Equal([1, 0], roomList.Select(r => r.GetProperty("DeviceNum").GetInt32()));

        var all = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId, ["RoomId"] = "" });
        Assert.Equal(new[] { inKitchen.Dk, inNoRoom.Dk }.Order(), DeviceNames(all));
        var defaultRoom = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId, ["RoomId"] = "0" });
        Assert.Equal([inNoRoom.Dk], DeviceNames(defaultRoom));
        Assert.Equal("0", defaultRoom.GetProperty("DeviceList")[0].GetProperty("RoomId").GetString());
        Assert.Equal([inKitchen.Dk], DeviceNames(await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId, ["RoomId"] = kitchen })));

        var move = new Dictionary<string, object?> { ["FamilyId"] = familyId, ["ProductId"] = inNoRoom.Pk, ["DeviceName"] = inNoRoom.Dk, ["RoomId"] = hall };
        await api.OkAsync("AppModifyFamilyDeviceRoom", move);
        Assert.Equal([inNoRoom.Dk], DeviceNames(await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId, ["RoomId"] = hall })));
        move["RoomId"] = "no-such-room";
        Assert.Equal("ResourceNotFound", await api.ErrorAsync("AppModifyFamilyDeviceRoom", move));

        // Deleting a room leaves its devices in the family, in the default room.
        await api.OkAsync("AppDeleteRoom", new() { ["FamilyId"] = familyId, ["RoomId"] = kitchen });
        Assert.Equal([inKitchen.Dk], DeviceNames(await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId, ["RoomId"] = "0" })));

        var delete = new Dictionary<string, object?> { ["FamilyId"] = familyId, ["ProductId"] = inKitchen.Pk, ["DeviceName"] = inKitchen.Dk };
        await api.OkAsync("AppDeleteDeviceInFamily", delete);
        Assert.Equal("ResourceNotFound.DeviceNotExist", await api.ErrorAsync("AppDeleteDeviceInFamily", delete));
        Assert.Equal([inNoRoom.Dk], DeviceNames(await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId })));
        Assert.Equal("UnsupportedOperation", await api.ErrorAsync("AppDeleteFamily", new() { ["FamilyId"] = familyId }));
    }

    [Fact]
    public async Task A_stranger_cannot_delete_a_device_from_someone_elses_family()
    {
        var (_, owner, familyId) = await fx.UserWithFamilyAsync();
        var (_, device, side) = await fx.DeviceAsync();
        await BindAsync(owner, side, device, familyId);
        var (_, stranger, strangersFamily) = await fx.UserWithFamilyAsync();
        var delete = new Dictionary<string, object?> { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk };
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", await stranger.ErrorAsync("AppDeleteDeviceInFamily", delete));
        delete["FamilyId"] = strangersFamily;
        Assert.Equal("ResourceNotFound.DeviceNotExist", await stranger.ErrorAsync("AppDeleteDeviceInFamily", delete));
        Assert.Single((await owner.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId })).GetProperty("DeviceList").EnumerateArray());
    }

    [Fact]
    public async Task A_token_bind_names_its_family_whatever_the_users_own_home_mode()
    {
        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        using var off = new HttpRequestMessage(HttpMethod.Put, "/v2/family/enduserapi/enabledFamilyMode?enabled=false");
        Assert.Equal(200, (await (await user.Client.SendAsync(off)).ReadEnvelopeAsync()).Code());
        var (_, device, side) = await fx.DeviceAsync();
        await BindAsync(api, side, device, familyId);
        Assert.Equal([device.Dk], DeviceNames(await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId })));
    }

    [Fact]
    public async Task The_same_family_reads_the_same_through_both_dialects()
    {
        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        // A room made through /v2, a device bound through the token API into it, another bound over Wi-Fi through /v2.
        var frid = await Tenant.CreateRoomAsync(user, familyId, "Garage");
        var (_, tokenDevice, tokenSide) = await fx.DeviceAsync();
        await BindAsync(api, tokenSide, tokenDevice, familyId, frid);
        var (_, wifiDevice, wifiSide) = await fx.DeviceAsync(methods: ["WIFI", "TOKEN"]);
        var wifi = BindingApi.WifiBody(wifiDevice, await wifiSide.ReportNewCodeAsync());
        wifi["fid"] = familyId;
        Assert.Equal(200, (await BindingApi.BindWifiAsync(user.Client, wifi)).Code());

        var tencent = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId });
        var tencentDevices = tencent.GetProperty("DeviceList").EnumerateArray()
            .Select(d => (d.GetProperty("ProductId").GetString()!, d.GetProperty("DeviceName").GetString()!, d.GetProperty("RoomId").GetString()!))
            .Order().ToList();

        var v2 = await user.Client.GetAsync($"/v2/family/enduserapi/getFamilyDeviceList?fid={familyId}");
        var v2Devices = (await v2.ReadEnvelopeAsync()).Data().GetProperty("list").EnumerateArray()
            .Select(d => (d.GetProperty("productKey").GetString()!, d.GetProperty("deviceKey").GetString()!, d.GetProperty("frid").GetString() is { Length: > 0 } r ? r : "0"))
            .Order().ToList();

        Assert.Equal(2, tencentDevices.Count);
        Assert.Equal(v2Devices, tencentDevices);
        Assert.Contains((tokenDevice.Pk, tokenDevice.Dk, frid), tencentDevices);
        Assert.Contains((wifiDevice.Pk, wifiDevice.Dk, "0"), tencentDevices);

        var v2Families = await user.Client.GetAsync("/v2/family/enduserapi/getFamilyList");
        var v2Family = Assert.Single((await v2Families.ReadEnvelopeAsync()).Data().GetProperty("list").EnumerateArray());
        Assert.Equal(familyId, v2Family.GetProperty("fid").GetString());
        var rooms = await api.OkAsync("AppGetRoomList", new() { ["FamilyId"] = familyId });
        Assert.Equal(frid, Assert.Single(rooms.GetProperty("RoomList").EnumerateArray()).GetProperty("RoomId").GetString());
    }
}
