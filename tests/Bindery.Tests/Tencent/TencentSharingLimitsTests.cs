using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// The limits of docs/sharing.md as the Tencent actions answer them, on a server with small limits: shares per device,
/// shared devices per user, and failed token presentations per user.
/// </summary>
public sealed class TencentSharingLimitsTests : IAsyncLifetime, IDisposable
{
    private readonly BinderyApp _app = new(new Dictionary<string, string?>
    {
        ["Sharing:MaxSharesPerDevice"] = "1",
        ["Sharing:MaxSharedDevicesPerUser"] = "1",
        ["Sharing:FailuresPerUser"] = "3",
    });

    private Tenant _tenant = null!;

    public async Task InitializeAsync() => _tenant = await Tenant.CreateAsync(_app, homeMode: true);

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _app.Dispose();

    private async Task<(TencentApi Api, string FamilyId)> UserAsync()
    {
        var api = new TencentApi(_app.CreateClient(), (await _tenant.CreateUserAsync()).Token);
        var familyId = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        return (api, familyId);
    }

    private async Task<(TencentApi Api, string FamilyId, Tenant.Device Device)> OwnerAsync()
    {
        var (api, familyId) = await UserAsync();
        var product = await _tenant.CreateProductAsync(1);
        var device = await _tenant.CreateDeviceAsync(product.Pk);
        var token = await api.CreateTokenAsync();
        await new DeviceClient(_app.CreateClient(), device).ReportTokenOkAsync(token);
        Assert.False((await api.BindAsync(token, device, familyId)).TryGetProperty("Error", out _));
        return (api, familyId, device);
    }

    [Fact]
    public async Task A_device_at_its_share_limit_makes_no_more_tokens()
    {
        var (owner, familyId, device) = await OwnerAsync();
        var (recipient, _) = await UserAsync();
        await recipient.OkAsync("AppBindUserShareDevice", TencentSharingTests.BindShare(device, await TencentSharingTests.ShareTokenAsync(owner, familyId, device)));
        Assert.Equal(Errors.DeviceShareLimit.TencentCode,
            await owner.ErrorAsync("AppCreateShareDeviceToken", TencentSharingTests.DeviceParameters(device, new() { ["FamilyId"] = familyId })));
        Assert.Equal("InvalidParameterValue.DeviceShareExceedLimit", Errors.DeviceShareLimit.TencentCode);
    }

    [Fact]
    public async Task A_user_at_the_shared_device_limit_binds_no_more()
    {
        var (first, firstFamily, firstDevice) = await OwnerAsync();
        var (second, secondFamily, secondDevice) = await OwnerAsync();
        var (recipient, _) = await UserAsync();
        await recipient.OkAsync("AppBindUserShareDevice", TencentSharingTests.BindShare(firstDevice, await TencentSharingTests.ShareTokenAsync(first, firstFamily, firstDevice)));
        var token = await TencentSharingTests.ShareTokenAsync(second, secondFamily, secondDevice);
        Assert.Equal(Errors.UserShareLimit.TencentCode, await recipient.ErrorAsync("AppBindUserShareDevice", TencentSharingTests.BindShare(secondDevice, token)));
        Assert.Equal("InvalidParameterValue.UserBindExceedLimit", Errors.UserShareLimit.TencentCode);

        // Leaving the first share makes room.
        await recipient.OkAsync("AppRemoveUserShareDevice", TencentSharingTests.DeviceParameters(firstDevice));
        await recipient.OkAsync("AppBindUserShareDevice", TencentSharingTests.BindShare(secondDevice, token));
    }

    [Fact]
    public async Task Guessing_tokens_is_cut_off_even_for_a_good_token()
    {
        var (owner, familyId, device) = await OwnerAsync();
        var token = await TencentSharingTests.ShareTokenAsync(owner, familyId, device);
        var (guesser, _) = await UserAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Errors.ShareCodeInvalid.TencentCode,
                await guesser.ErrorAsync("AppBindUserShareDevice", TencentSharingTests.BindShare(device, token[..^4] + $"AAA{i}")));
        }
        Assert.Equal(Errors.TooManyAttempts.TencentCode, await guesser.ErrorAsync("AppBindUserShareDevice", TencentSharingTests.BindShare(device, token)));
        Assert.Equal(Errors.TooManyAttempts.TencentCode, await guesser.ErrorAsync("AppDescribeShareDeviceToken", new() { ["ShareDeviceToken"] = token }));

        // Another user is not held back by the guesser's failures.
        var (other, _) = await UserAsync();
        await other.OkAsync("AppBindUserShareDevice", TencentSharingTests.BindShare(device, token));
    }
}
