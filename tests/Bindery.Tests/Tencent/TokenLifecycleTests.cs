using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// The distribution-network token from creation to binding (seed 003): the app creates it, the device reports it,
/// the app sees state 2 and binds; and the token is useless to another user, to another device, after its lifetime
/// and after one use.
/// </summary>
public sealed class TokenLifecycleTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    [Fact]
    public async Task Create_report_state_bind_and_the_device_is_in_the_family_and_the_v2_list()
    {
        var (product, device, deviceSide) = await fx.DeviceAsync();
        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        var roomId = (await api.OkAsync("AppCreateRoom", new() { ["FamilyId"] = familyId, ["Name"] = "Study" })).GetProperty("RoomId").GetString()!;

        var created = await api.OkAsync("AppCreateDeviceBindToken");
        var token = created.GetProperty("Token").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", token);
        var expireTime = created.GetProperty("ExpireTime").GetInt64();
        Assert.InRange(expireTime - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 590, 610);

        var state = await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token });
        Assert.Equal(1, state.GetProperty("State").GetInt32());
        Assert.False(state.TryGetProperty("ProductId", out _));

        await deviceSide.ReportTokenOkAsync(token);
        state = await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token });
        Assert.Equal(2, state.GetProperty("State").GetInt32());
        Assert.Equal(device.Pk, state.GetProperty("ProductId").GetString());
        Assert.Equal(device.Dk, state.GetProperty("DeviceName").GetString());

        var requestId = Guid.NewGuid().ToString();
        var bind = TencentApi.BindParameters(token, device, familyId, roomId);
        bind["RequestId"] = requestId;
        var response = await api.CallAsync("AppTokenBindDeviceFamily", bind);
        Assert.False(response.TryGetProperty("Error", out _), response.ToString());
        Assert.Equal(requestId, response.GetProperty("RequestId").GetString());
        Assert.Equal(requestId, response.GetProperty("Data").GetProperty("RequestId").GetString());

        state = await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token });
        Assert.Equal(3, state.GetProperty("State").GetInt32());

        var devices = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId });
        var item = Assert.Single(devices.GetProperty("DeviceList").EnumerateArray());
        Assert.Equal(device.Pk, item.GetProperty("ProductId").GetString());
        Assert.Equal(device.Dk, item.GetProperty("DeviceName").GetString());
        Assert.Equal($"{device.Pk}/{device.Dk}", item.GetProperty("DeviceId").GetString());
        Assert.Equal(roomId, item.GetProperty("RoomId").GetString());
        Assert.Equal(product.Name, item.GetProperty("AliasName").GetString());
        Assert.Equal("TOKEN", item.GetProperty("BindType").GetString());

        var v2 = await BindingApi.ListAsync(user.Client);
        var listed = Assert.Single(v2.Data().GetProperty("list").EnumerateArray());
        Assert.Equal(device.Dk, listed.GetProperty("deviceKey").GetString());
        Assert.Equal(2, listed.GetProperty("bindingType").GetInt32()); // a token binding lists as Wi-Fi (docs/binding.md)
        Assert.Equal(familyId, listed.GetProperty("fid").GetString());
        Assert.Equal(1, listed.GetProperty("verified").GetInt32());
    }

    [Fact]
    public async Task Reporting_the_same_token_again_from_the_same_device_is_a_harmless_retry()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        await deviceSide.ReportTokenOkAsync(token);
        await deviceSide.ReportTokenOkAsync(token);
        Assert.False((await api.BindAsync(token, device, familyId)).TryGetProperty("Error", out _));
    }

    [Fact]
    public async Task A_token_is_useless_to_another_user()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (_, owner, _) = await fx.UserWithFamilyAsync();
        var (_, other, otherFamily) = await fx.UserWithFamilyAsync();
        var token = await owner.CreateTokenAsync();
        await deviceSide.ReportTokenOkAsync(token);

        Assert.Equal("InvalidParameterValue.TokenNotExist", await other.ErrorAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token }));
        Assert.Equal("InvalidParameterValue.TokenNotExist", TencentApi.ErrorCode(await other.BindAsync(token, device, otherFamily)));
        // Exactly what a token that never existed answers.
        Assert.Equal("InvalidParameterValue.TokenNotExist", await other.ErrorAsync("AppGetDeviceBindTokenState", new() { ["Token"] = new string('a', 32) }));
    }

    [Fact]
    public async Task A_token_reported_by_one_device_cannot_bind_another()
    {
        var (product, deviceA, sideA) = await fx.DeviceAsync();
        var deviceB = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        await sideA.ReportTokenOkAsync(token);

        Assert.Equal("InvalidParameterValue.TokenNotBind", TencentApi.ErrorCode(await api.BindAsync(token, deviceB, familyId)));
        // The refusal consumed nothing: device A still binds with it.
        Assert.False((await api.BindAsync(token, deviceA, familyId)).TryGetProperty("Error", out _));
    }

    [Fact]
    public async Task A_token_is_useless_after_its_lifetime()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        await deviceSide.ReportTokenOkAsync(token);
        fx.App.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        try
        {
            Assert.Equal("InvalidParameterValue.TokenIsExpire", await api.ErrorAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token }));
            Assert.Equal("InvalidParameterValue.TokenIsExpire", TencentApi.ErrorCode(await api.BindAsync(token, device, familyId)));
        }
        finally
        {
            fx.App.Clock.Advance(-(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1)));
        }
    }

    [Fact]
    public async Task A_token_is_useless_after_one_use()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        await deviceSide.ReportTokenOkAsync(token);
        Assert.False((await api.BindAsync(token, device, familyId)).TryGetProperty("Error", out _));
        await api.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });

        Assert.Equal("InvalidParameterValue.TokenNotExist", TencentApi.ErrorCode(await api.BindAsync(token, device, familyId)));
        // Nor can the device bring it back to life by reporting it again.
        Assert.Equal(9101, (await deviceSide.ReportTokenAsync(token)).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_token_no_device_has_reported_is_not_bound_yet()
    {
        var (_, device, _) = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        Assert.Equal("InvalidParameterValue.TokenNotBind", TencentApi.ErrorCode(await api.BindAsync(token, device, familyId)));
    }

    [Fact]
    public async Task A_token_reported_by_two_devices_is_void_for_both()
    {
        var (product, deviceA, sideA) = await fx.DeviceAsync();
        var deviceB = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var sideB = fx.DeviceClient(deviceB);
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        await sideA.ReportTokenOkAsync(token);
        Assert.Equal(9101, (await sideB.ReportTokenAsync(token)).GetProperty("code").GetInt32());

        Assert.Equal("InvalidParameterValue.ReadTokenInfoError", await api.ErrorAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token }));
        Assert.Equal("InvalidParameterValue.ReadTokenInfoError", TencentApi.ErrorCode(await api.BindAsync(token, deviceA, familyId)));
        Assert.Equal("InvalidParameterValue.ReadTokenInfoError", TencentApi.ErrorCode(await api.BindAsync(token, deviceB, familyId)));
    }

    [Fact]
    public async Task A_six_character_token_is_short_lived()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var created = await api.OkAsync("AppCreateDeviceBindToken", new() { ["TokenLength"] = 6 });
        var token = created.GetProperty("Token").GetString()!;
        Assert.Matches("^[A-HJ-NP-Z2-9]{6}$", token);
        Assert.InRange(created.GetProperty("ExpireTime").GetInt64() - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 170, 190);
        await deviceSide.ReportTokenOkAsync(token);

        fx.App.Clock.Advance(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(1));
        try
        {
            Assert.Equal("InvalidParameterValue.TokenIsExpire", TencentApi.ErrorCode(await api.BindAsync(token, device, familyId)));
        }
        finally
        {
            fx.App.Clock.Advance(-(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(1)));
        }

        var fresh = await api.CreateTokenAsync(6);
        await deviceSide.ReportTokenOkAsync(fresh);
        Assert.False((await api.BindAsync(fresh, device, familyId)).TryGetProperty("Error", out _));
    }

    [Fact]
    public async Task Only_32_and_6_character_tokens_exist()
    {
        var (_, api, _) = await fx.UserWithFamilyAsync();
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppCreateDeviceBindToken", new() { ["TokenLength"] = 8 }));
        Assert.Equal("InvalidParameter", await api.ErrorAsync("AppCreateDeviceBindToken", new() { ["TokenLength"] = "six" }));
    }

    [Fact]
    public async Task A_device_reporting_unknown_tokens_is_stopped_after_five()
    {
        var (_, _, deviceSide) = await fx.DeviceAsync();
        var (_, api, _) = await fx.UserWithFamilyAsync();
        for (var i = 0; i < 5; i++)
        {
            var guess = DeviceClient.NewCode()[..6];
            Assert.Equal(9101, (await deviceSide.ReportTokenAsync(guess)).GetProperty("code").GetInt32());
        }
        var real = await api.CreateTokenAsync(6);
        Assert.Equal(9007, (await deviceSide.ReportTokenAsync(real)).GetProperty("code").GetInt32());
        Assert.Equal(1, (await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = real })).GetProperty("State").GetInt32());
    }

    [Fact]
    public async Task A_malformed_token_report_is_refused_without_touching_any_token()
    {
        var (_, _, deviceSide) = await fx.DeviceAsync();
        Assert.Equal(9001, (await deviceSide.ReportTokenAsync("not a token")).GetProperty("code").GetInt32());
        Assert.Equal(9000, (await deviceSide.ReportTokenAsync("")).GetProperty("code").GetInt32());
    }
}
