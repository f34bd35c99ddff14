namespace Bindery.Tests.Tencent;

/// <summary>
/// What the official clients send that the documentation does not (real-clients.md T9–T17): Limit 999 or 0,
/// no RoomId, DeviceId = pid/dn, TokenLengthType, and a bind retried after its answer was lost.
/// </summary>
public sealed class TencentToleranceTests(TencentClientFixture fx) : IClassFixture<TencentClientFixture>
{
    [Theory]
    [InlineData("TokenLengthType", "1", 6)]
    [InlineData("TokenLengthType", 1, 6)]
    [InlineData("TokenLengthType", "0", 32)]
    [InlineData("TokenLengthType", "", 32)]
    [InlineData("TokenLength", 6, 6)]
    [InlineData("TokenLength", 32, 32)]
    public async Task The_token_length_follows_TokenLengthType_or_TokenLength(string field, object value, int length)
    {
        var api = await fx.UserAsync(fx.Client);
        var token = (await api.OkAsync("AppCreateDeviceBindToken", new() { [field] = value })).GetProperty("Token").GetString()!;
        Assert.Equal(length, token.Length);
    }

    [Fact]
    public async Task A_six_character_token_from_TokenLengthType_binds_and_bad_lengths_are_refused()
    {
        var api = await fx.UserAsync(fx.Client);
        var familyId = await api.FamilyAsync();
        var device = await TencentClientFixture.DeviceAsync(fx.Client);
        var token = await api.ReportedTokenAsync(fx.DeviceClient(device), new() { ["TokenLengthType"] = "1" });
        Assert.Equal(6, token.Length);
        await api.OkAsync("AppTokenBindDeviceFamily", ClientApi.AndroidBind(token, device, familyId));

        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppCreateDeviceBindToken", new() { ["TokenLengthType"] = "2" }));
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppCreateDeviceBindToken", new() { ["TokenLengthType"] = "1", ["TokenLength"] = 32 }));
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppCreateDeviceBindToken", new() { ["TokenLength"] = 7 }));
    }

    [Fact]
    public async Task List_limits_are_clamped_not_refused()
    {
        var api = await fx.UserAsync(fx.Client);
        var familyId = await api.FamilyAsync();
        await api.FamilyAsync("Second");
        for (var i = 0; i < 3; i++)
        {
            await api.RoomAsync(familyId, "Room " + i);
        }
        foreach (var limit in new[] { 999, 101, 0, int.MaxValue })
        {
            var families = await api.OkAsync("AppGetFamilyList", new() { ["Offset"] = 0, ["Limit"] = limit });
            Assert.Equal(2, families.GetProperty("FamilyList").GetArrayLength());
            var rooms = await api.OkAsync("AppGetRoomList", new() { ["FamilyId"] = familyId, ["Offset"] = 0, ["Limit"] = limit });
            Assert.Equal(3, rooms.GetProperty("Roomlist").GetArrayLength());
            Assert.Equal(3, rooms.GetProperty("Total").GetInt32());
        }
        var page = await api.OkAsync("AppGetRoomList", new() { ["FamilyId"] = familyId, ["Offset"] = 1, ["Limit"] = 1 });
        Assert.Equal(1, page.GetProperty("RoomList").GetArrayLength());
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppGetFamilyList", new() { ["Limit"] = -5 }));
    }

    [Fact]
    public async Task A_device_is_deleted_by_DeviceId_and_a_bad_or_disagreeing_DeviceId_is_refused()
    {
        var api = await fx.UserAsync(fx.Client);
        var familyId = await api.FamilyAsync();
        var device = await TencentClientFixture.DeviceAsync(fx.Client);
        await api.BindAsync(fx, device, familyId);

        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["DeviceId"] = device.Pk }));
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["DeviceId"] = device.Pk + "/" }));
        Assert.Equal("InvalidParameter", await api.ErrorAsync("AppDeleteDeviceInFamily", new()
        {
            ["FamilyId"] = familyId, ["DeviceId"] = device.Pk + "/" + device.Dk, ["ProductId"] = "other",
        }));
        Assert.Equal("InvalidParameter", await api.ErrorAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId }));

        await api.OkAsync("AppDeleteDeviceInFamily", new()
        {
            ["FamilyId"] = familyId, ["DeviceId"] = device.Pk + "/" + device.Dk, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk,
        });
        Assert.Equal(0, (await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId })).GetProperty("Total").GetInt32());
        Assert.Equal("ResourceNotFound.DeviceNotExist",
            await api.ErrorAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["DeviceId"] = device.Pk + "/" + device.Dk }));
    }

    [Fact]
    public async Task A_bind_without_RoomId_lands_in_the_default_room()
    {
        var api = await fx.UserAsync(fx.Client);
        var familyId = await api.FamilyAsync();
        var device = await TencentClientFixture.DeviceAsync(fx.Client);
        await api.BindAsync(fx, device, familyId);
        var devices = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId, ["RoomId"] = "0" });
        Assert.Equal("0", Assert.Single(devices.GetProperty("DeviceList").EnumerateArray()).GetProperty("RoomId").GetString());
        Assert.Equal("InvalidParameter", await api.ErrorAsync("AppTokenBindDeviceFamily", new()
        {
            ["Token"] = new string('a', 32), ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk, ["RoomId"] = 0,
        }));
    }

    [Fact]
    public async Task A_bind_retried_after_a_lost_answer_succeeds_again_for_the_same_user_device_and_family_only()
    {
        var api = await fx.UserAsync(fx.Client);
        var familyId = await api.FamilyAsync();
        var otherFamilyId = await api.FamilyAsync("Office");
        var device = await TencentClientFixture.DeviceAsync(fx.Client);
        var token = await api.ReportedTokenAsync(fx.DeviceClient(device));
        var bind = ClientApi.AndroidBind(token, device, familyId);
        await api.OkAsync("AppTokenBindDeviceFamily", bind);

        // The answer was lost; the app sends the same request again (iOS with RoomId "0", too).
        await api.OkAsync("AppTokenBindDeviceFamily", bind);
        await api.OkAsync("AppTokenBindDeviceFamily", new(bind) { ["RoomId"] = "0" }, "/api/exploreropen/tokenapi/AppTokenBindDeviceFamily");
        Assert.Equal(1, (await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId })).GetProperty("Total").GetInt32());

        // Never for another family, another device, or another user.
        Assert.NotEqual("", await api.ErrorAsync("AppTokenBindDeviceFamily", new(bind) { ["FamilyId"] = otherFamilyId }));
        var otherDevice = await TencentClientFixture.DeviceAsync(fx.Client);
        Assert.Equal("InvalidParameterValue.TokenNotExist",
            await api.ErrorAsync("AppTokenBindDeviceFamily", ClientApi.AndroidBind(token, otherDevice, familyId)));
        var stranger = await fx.UserAsync(fx.Client);
        var strangerFamily = await stranger.FamilyAsync();
        Assert.Equal("InvalidParameterValue.TokenNotExist",
            await stranger.ErrorAsync("AppTokenBindDeviceFamily", ClientApi.AndroidBind(token, device, strangerFamily)));
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", await stranger.ErrorAsync("AppTokenBindDeviceFamily", bind));

        // Never after the binding it made is gone, even when the device is bound there again by another token.
        await api.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["DeviceId"] = device.Pk + "/" + device.Dk });
        Assert.Equal("InvalidParameterValue.TokenNotExist", await api.ErrorAsync("AppTokenBindDeviceFamily", bind));
        await api.BindAsync(fx, device, familyId);
        Assert.NotEqual("", await api.ErrorAsync("AppTokenBindDeviceFamily", bind));
    }
}
