using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// Every error code of seed 003 that AppTokenBindDeviceFamily can answer, triggered through the HTTP API
/// (docs/errors.md explains the one that cannot occur: FamilyDeviceCountReadError).
/// </summary>
public sealed class TokenBindingErrorTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    /// <summary>A token created by <paramref name="api"/>'s user and reported by <paramref name="deviceSide"/>.</summary>
    private static async Task<string> ReportedTokenAsync(TencentApi api, DeviceClient deviceSide)
    {
        var token = await api.CreateTokenAsync();
        await deviceSide.ReportTokenOkAsync(token);
        return token;
    }

    [Fact]
    public async Task Unknown_product_and_unknown_device()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await ReportedTokenAsync(api, deviceSide);

        var bind = TencentApi.BindParameters(token, device, familyId);
        bind["ProductId"] = "NOPRODUCT1";
        Assert.Equal("ResourceNotFound.StudioProductNotExist", await api.ErrorAsync("AppTokenBindDeviceFamily", bind));

        bind = TencentApi.BindParameters(token, device, familyId);
        bind["DeviceName"] = await UnregisteredImeiAsync();
        Assert.Equal("ResourceNotFound.DeviceNotExist", await api.ErrorAsync("AppTokenBindDeviceFamily", bind));

        // A DeviceName the product's device-key format (here imei-or-mac) does not accept is a malformed parameter (5361).
        bind["DeviceName"] = "no-such-device";
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppTokenBindDeviceFamily", bind));
        bind["DeviceName"] = "no such device";
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppTokenBindDeviceFamily", bind));
    }

    /// <summary>A well-formed device key of no registered device: register one under a throwaway product and use its key with the real product.</summary>
    private async Task<string> UnregisteredImeiAsync()
    {
        var other = await fx.Tenant.CreateProductAsync(1);
        return (await fx.Tenant.CreateDeviceAsync(other.Pk)).Dk;
    }

    [Fact]
    public async Task Family_that_does_not_exist_or_is_someone_elses()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (_, api, ownFamily) = await fx.UserWithFamilyAsync();
        var (_, _, strangersFamily) = await fx.UserWithFamilyAsync();
        var token = await ReportedTokenAsync(api, deviceSide);
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", TencentApi.ErrorCode(await api.BindAsync(token, device, "f0000000000000000000dead")));
        Assert.Equal("ResourceNotFound.StudioFamilyNotExist", TencentApi.ErrorCode(await api.BindAsync(token, device, strangersFamily)));
        Assert.Equal("ResourceNotFound", TencentApi.ErrorCode(await api.BindAsync(token, device, ownFamily, roomId: "no-such-room")));
    }

    [Fact]
    public async Task Regular_member_has_no_permission_to_bind_into_the_family()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (owner, _, familyId) = await fx.UserWithFamilyAsync();
        var member = await fx.Tenant.CreateUserAsync();
        await Tenant.AddMemberAsync(owner, familyId, member, role: 3);
        var memberApi = new TencentApi(fx.App.CreateClient(), member.Token);
        var token = await ReportedTokenAsync(memberApi, deviceSide);
        Assert.Equal("UnauthorizedOperation.NoPermissionToFamily", TencentApi.ErrorCode(await memberApi.BindAsync(token, device, familyId)));
    }

    [Fact]
    public async Task Product_not_authorised_for_the_app_or_without_token_binding()
    {
        var otherDomain = await Tenant.CreateAsync(fx.App, homeMode: true);
        var foreign = await fx.Tenant.CreateProductAsync(1, userDomains: [otherDomain.DomainId]);
        var foreignDevice = await fx.Tenant.CreateDeviceAsync(foreign.Pk);
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await ReportedTokenAsync(api, fx.DeviceClient(foreignDevice));
        Assert.Equal("UnauthorizedOperation.APPNoPermissionToStudioProduct", TencentApi.ErrorCode(await api.BindAsync(token, foreignDevice, familyId)));

        var (_, wifiOnlyDevice, wifiOnlySide) = await fx.DeviceAsync(methods: ["WIFI"]);
        token = await ReportedTokenAsync(api, wifiOnlySide);
        Assert.Equal("UnauthorizedOperation.APPNoPermissionToStudioProduct", TencentApi.ErrorCode(await api.BindAsync(token, wifiOnlyDevice, familyId)));
    }

    [Fact]
    public async Task Family_device_limit()
    {
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        for (var i = 0; i < TencentFixture.FamilyDeviceLimit; i++)
        {
            var (_, device, side) = await fx.DeviceAsync();
            Assert.False((await api.BindAsync(await ReportedTokenAsync(api, side), device, familyId)).TryGetProperty("Error", out _));
        }
        var (_, oneTooMany, lastSide) = await fx.DeviceAsync();
        var token = await ReportedTokenAsync(api, lastSide);
        Assert.Equal("LimitExceeded.FamilyDeviceExceedLimit", TencentApi.ErrorCode(await api.BindAsync(token, oneTooMany, familyId)));
        // The refused binding did not consume the token.
        Assert.Equal(2, (await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token })).GetProperty("State").GetInt32());
    }

    [Fact]
    public async Task Binding_a_device_already_in_the_family_again()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync();
        var (owner, ownerApi, familyId) = await fx.UserWithFamilyAsync();
        Assert.False((await ownerApi.BindAsync(await ReportedTokenAsync(ownerApi, deviceSide), device, familyId)).TryGetProperty("Error", out _));
        // The same user again, and an admin of the family binding the same device into it.
        Assert.Equal("UnsupportedOperation.CannotBindSameFamily",
            TencentApi.ErrorCode(await ownerApi.BindAsync(await ReportedTokenAsync(ownerApi, deviceSide), device, familyId)));
        var admin = await fx.Tenant.CreateUserAsync();
        await Tenant.AddMemberAsync(owner, familyId, admin, role: 2);
        var adminApi = new TencentApi(fx.App.CreateClient(), admin.Token);
        Assert.Equal("UnsupportedOperation.CannotBindSameFamily",
            TencentApi.ErrorCode(await adminApi.BindAsync(await ReportedTokenAsync(adminApi, deviceSide), device, familyId)));
    }

    [Fact]
    public async Task Owner_mode_device_held_by_someone_else()
    {
        var (_, device, deviceSide) = await fx.DeviceAsync(mode: 2);
        var (_, first, firstFamily) = await fx.UserWithFamilyAsync();
        var (_, second, secondFamily) = await fx.UserWithFamilyAsync();
        Assert.False((await first.BindAsync(await ReportedTokenAsync(first, deviceSide), device, firstFamily)).TryGetProperty("Error", out _));
        Assert.Equal("UnsupportedOperation.CannotBindSameFamily",
            TencentApi.ErrorCode(await second.BindAsync(await ReportedTokenAsync(second, deviceSide), device, secondFamily)));
    }

    [Fact]
    public async Task Missing_and_invalid_access_tokens()
    {
        var (_, device, _) = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var parameters = TencentApi.BindParameters(new string('a', 32), device, familyId);
        var anonymous = new TencentApi(fx.App.CreateClient(), "");
        Assert.Equal("InvalidParameterValue.InvalidAccessToken", await anonymous.ErrorAsync("AppTokenBindDeviceFamily", parameters));
        var wrong = new TencentApi(fx.App.CreateClient(), "not-a-session");
        var response = await wrong.CallAsync("AppTokenBindDeviceFamily", parameters);
        Assert.Equal("InvalidParameterValue.InvalidAccessToken", TencentApi.ErrorCode(response));
        Assert.Equal("Invalid Token", response.GetProperty("Error").GetProperty("Message").GetString());
    }

    [Theory]
    [InlineData("Token")]
    [InlineData("ProductId")]
    [InlineData("DeviceName")]
    [InlineData("FamilyId")]
    public async Task Every_parameter_is_required_and_named_when_missing(string field)
    {
        var (_, device, _) = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var parameters = TencentApi.BindParameters(new string('a', 32), device, familyId);
        parameters.Remove(field);
        var response = await api.CallAsync("AppTokenBindDeviceFamily", parameters);
        Assert.Equal("InvalidParameter", TencentApi.ErrorCode(response));
        Assert.Contains(field, response.GetProperty("Error").GetProperty("Message").GetString());

        parameters[field] = 12345;
        response = await api.CallAsync("AppTokenBindDeviceFamily", parameters);
        Assert.Equal("InvalidParameter", TencentApi.ErrorCode(response));
        Assert.Contains(field, response.GetProperty("Error").GetProperty("Message").GetString());
    }
}
