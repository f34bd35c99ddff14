using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Sharing;
using Bindery.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Sharing;

/// <summary>
/// The parts of the sharing core the Quectel endpoints do not reach, as the Tencent adapter calls them: describing a
/// code, accepting with the device named, the recipient's shared-device list, and revoking / leaving by device and
/// user. A share made by one path is seen and ended by the other.
/// </summary>
public sealed class SharingCoreTests(SharingFixture fx) : IClassFixture<SharingFixture>
{
    private readonly ShareSteps _steps = new(fx);

    private DeviceSharing Core => fx.App.Services.GetRequiredService<DeviceSharing>();

    private AppUser As(Tenant.User user) => new(user.Uid, fx.Tenant.DomainId, user.Username);

    [Fact]
    public async Task A_code_is_described_before_acceptance_and_a_wrong_device_is_an_invalid_code()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var issued = await Core.CreateCodeAsync(As(owner), device.Pk, device.Dk, new ShareTerms(null, null, null));
        Assert.InRange(issued.AcceptingExpireAt, _steps.In(TimeSpan.FromHours(24)) - 5000, _steps.In(TimeSpan.FromHours(24)));

        var info = await Core.DescribeCodeAsync(As(guest), issued.ShareCode);
        Assert.Equal((issued.ShareId, device.Pk, device.Dk, owner.Uid, owner.Username), (info.ShareId, info.Pk, info.Dk, info.OwnerUid, info.OwnerName));
        Assert.Equal(Errors.ShareCodeInvalid,
            (await Assert.ThrowsAsync<BinderyException>(() => Core.DescribeCodeAsync(As(guest), issued.ShareCode[..^2] + "xx"))).Error);
        Assert.Equal(Errors.ShareCodeMissing, (await Assert.ThrowsAsync<BinderyException>(() => Core.DescribeCodeAsync(As(guest), ""))).Error);

        // The Tencent action names the device along with the code: another device's name makes the code invalid.
        Assert.Equal(Errors.ShareCodeInvalid, (await Assert.ThrowsAsync<BinderyException>(() =>
            Core.AcceptAsync(As(guest), issued.ShareCode, null, device.Pk, "000000000000000"))).Error);
        var accepted = await Core.AcceptAsync(As(guest), issued.ShareCode, null, device.Pk, device.Dk);
        Assert.Equal((DeviceSharing.ShareCodeOf(issued.ShareId), owner.Uid), (accepted.ShareCode, accepted.OwnerUid));
        Assert.Equal((true, "SHARE"), await _steps.VerifyAsync(device, accepted.AuthKey));

        // After acceptance the code describes nothing to anyone else.
        var late = await fx.Tenant.CreateUserAsync();
        Assert.Equal(Errors.ShareCodeUsed, (await Assert.ThrowsAsync<BinderyException>(() => Core.DescribeCodeAsync(As(late), issued.ShareCode))).Error);
    }

    [Fact]
    public async Task The_recipients_list_pages_their_live_shared_devices_and_revoke_and_leave_work_by_device_and_user()
    {
        var guest = await fx.Tenant.CreateUserAsync();
        var (first, firstOwner, _) = await _steps.OwnedDeviceAsync();
        var (second, secondOwner, _) = await _steps.OwnedDeviceAsync();
        await ShareSteps.AcceptOkAsync(guest, await _steps.CodeAsync(firstOwner, first));
        fx.App.Clock.Advance(TimeSpan.FromMilliseconds(5));
        var invitation = await Core.ShareWithUserAsync(As(secondOwner), second.Pk, second.Dk, new ShareRecipient(guest.Uid, null, null, null),
            new ShareTerms(null, _steps.In(TimeSpan.FromDays(2)), null));
        await ShareSteps.AcceptOkAsync(guest, invitation.ShareCode, "Second");

        var page = await Core.SharedWithMeAsync(As(guest), new PageRequest(1, 1));
        Assert.Equal(2, page.Total);
        var newest = Assert.Single(page.List);
        Assert.Equal((second.Dk, "Second", secondOwner.Uid, invitation.SharingExpireAt), (newest.Dk, newest.DeviceName, newest.OwnerUid, newest.SharingExpireAt));
        Assert.Equal(first.Dk, Assert.Single((await Core.SharedWithMeAsync(As(guest), new PageRequest(2, 1))).List).Dk);
        var users = await Core.ShareUsersAsync(As(secondOwner), second.Pk, second.Dk);
        Assert.Equal((guest.Uid, guest.Username), (Assert.Single(users).UserId, users[0].UserName));

        // The owner removes a user by device and user id; the recipient leaves by device.
        Assert.Equal(Errors.ShareCodeInvalid, (await Assert.ThrowsAsync<BinderyException>(() =>
            Core.RevokeAsync(As(firstOwner), new ShareSelector.ByDeviceUser(second.Pk, second.Dk, guest.Uid)))).Error);
        await Core.RevokeAsync(As(secondOwner), new ShareSelector.ByDeviceUser(second.Pk, second.Dk, guest.Uid));
        await Core.LeaveAsync(As(guest), new ShareSelector.ByDeviceUser(first.Pk, first.Dk, null));
        Assert.Equal(0, (await Core.SharedWithMeAsync(As(guest), new PageRequest(1, 10))).Total);
        Assert.Empty(await ShareApi.DevicesAsync(guest.Client));
    }
}
