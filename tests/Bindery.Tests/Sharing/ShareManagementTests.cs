using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Sharing;

/// <summary>
/// What the owner and the recipient do with a share once it exists: the owner lists its users
/// (<c>deviceShareUserList</c>), revokes (<c>ownerUserUnshareDevice</c>) and sets its time (<c>setShareTime</c>); the
/// recipient leaves (<c>shareUserUnshareDevice</c>) and names the device (<c>changeShareDeviceName</c>). After every
/// way a share ends, the recipient's list and authKey refuse at once.
/// </summary>
public sealed class ShareManagementTests(SharingFixture fx) : IClassFixture<SharingFixture>
{
    private readonly ShareSteps _steps = new(fx);

    private async Task<(Tenant.Device Device, Tenant.User Owner, Tenant.User Guest, string Handle, string AuthKey)> SharedAsync(long? sharingExpireAt = null)
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var accepted = await ShareSteps.AcceptOkAsync(guest, await _steps.CodeAsync(owner, device, sharingExpireAt));
        return (device, owner, guest, accepted.GetProperty("shareCode").GetString()!, accepted.GetProperty("authKey").GetString()!);
    }

    private async Task AssertGoneAsync(Tenant.Device device, Tenant.User guest, string authKey)
    {
        Assert.Empty(await ShareApi.DevicesAsync(guest.Client));
        Assert.Equal((false, null), await _steps.VerifyAsync(device, authKey));
        var info = await (await guest.Client.GetAsync($"{BindingApi.Base}/deviceInfo?{BindingApi.Query(("pk", device.Pk), ("dk", device.Dk))}")).ReadEnvelopeAsync();
        Assert.Equal(Errors.DeviceNotBound.Code, info.Code());
    }

    [Fact]
    public async Task The_owner_lists_addressed_and_accepted_users_of_a_device_but_not_pending_open_codes()
    {
        var (device, owner, guest, handle, _) = await SharedAsync();
        var invited = await fx.Tenant.CreateUserAsync();
        var invitation = ShareApi.Ok(await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", invited.Uid)));
        await _steps.CodeAsync(owner, device);

        var users = (await ShareApi.UsersAsync(owner.Client, device.Pk, device.Dk)).Data().EnumerateArray().ToList();
        Assert.Equal(2, users.Count);
        var byUid = users.ToDictionary(u => u.GetProperty("userInfo").GetProperty("uid").GetString()!);
        var accepted = byUid[guest.Uid].GetProperty("shareInfo");
        Assert.Equal((handle, 1, owner.Uid, device.Dk), (accepted.GetProperty("shareCode").GetString(), accepted.GetProperty("shareStatus").GetInt32(),
            accepted.GetProperty("ownerUid").GetString(), accepted.GetProperty("dk").GetString()));
        Assert.Equal(guest.Username, byUid[guest.Uid].GetProperty("userInfo").GetProperty("nikeName").GetString());
        var pending = byUid[invited.Uid].GetProperty("shareInfo");
        Assert.Equal((invitation, 0, JsonValueKind.Null), (pending.GetProperty("shareCode").GetString(), pending.GetProperty("shareStatus").GetInt32(),
            pending.GetProperty("acceptTimeTs").ValueKind));

        // Nobody but a holder of the device may list them; a recipient is no holder.
        Assert.Equal(Errors.DeviceNotBound.Code, (await ShareApi.UsersAsync(guest.Client, device.Pk, device.Dk)).Code());
        Assert.Equal(Errors.ProductKeyMissing.Code, (await ShareApi.UsersAsync(owner.Client, null, device.Dk)).Code());
        Assert.Equal(Errors.DeviceKeyMissing.Code, (await ShareApi.UsersAsync(owner.Client, device.Pk, null)).Code());
    }

    [Fact]
    public async Task The_owner_revokes_and_the_recipients_access_ends_at_once()
    {
        var (device, owner, guest, handle, authKey) = await SharedAsync();
        var stranger = await fx.Tenant.CreateUserAsync();
        Assert.Equal(Errors.ShareCodeMissing.Code, (await ShareApi.RevokeAsync(owner.Client, null)).Code());
        // Someone else's share, the recipient on the owner's endpoint, a code that never existed: the same refusal.
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.RevokeAsync(stranger.Client, handle)).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.RevokeAsync(guest.Client, handle)).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.RevokeAsync(owner.Client, "share_dv_0123456789abcdef01234567")).Code());

        Assert.Equal(200, (await ShareApi.RevokeAsync(owner.Client, handle)).Code());
        await AssertGoneAsync(device, guest, authKey);
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.RevokeAsync(owner.Client, handle)).Code());
        Assert.Equal(("unshared", guest.Uid, "user", owner.Uid), (await _steps.ShareEventsAsync(device))[^1]);
    }

    [Fact]
    public async Task The_owner_revokes_a_pending_open_code_by_the_code_itself()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var code = await _steps.CodeAsync(owner, device);
        Assert.Equal(200, (await ShareApi.RevokeAsync(owner.Client, code)).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guest.Client, code)).Code());
    }

    [Fact]
    public async Task The_recipient_leaves_and_the_owner_cannot_leave_for_them()
    {
        var (device, owner, guest, handle, authKey) = await SharedAsync();
        Assert.Equal(Errors.ShareCodeMissing.Code, (await ShareApi.LeaveAsync(guest.Client, " ")).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.LeaveAsync(owner.Client, handle)).Code());
        Assert.Equal(200, (await ShareApi.LeaveAsync(guest.Client, handle)).Code());
        await AssertGoneAsync(device, guest, authKey);
        Assert.Equal(("unshared", guest.Uid, "user", guest.Uid), (await _steps.ShareEventsAsync(device))[^1]);
        Assert.Empty((await ShareApi.UsersAsync(owner.Client, device.Pk, device.Dk)).Data().EnumerateArray());
    }

    [Fact]
    public async Task The_owner_sets_the_sharing_time_and_when_it_passes_the_share_is_gone()
    {
        var (device, owner, guest, handle, authKey) = await SharedAsync();
        var soon = _steps.In(TimeSpan.FromMinutes(2));
        Assert.Equal(Errors.ShareCodeMissing.Code, (await ShareApi.SetTimeAsync(owner.Client, null, soon)).Code());
        Assert.Equal(Errors.InvalidParameter.Code, (await ShareApi.SetTimeAsync(owner.Client, handle, null)).Code());
        Assert.Equal(Errors.InvalidParameterValue.Code, (await ShareApi.SetTimeAsync(owner.Client, handle, _steps.Now - 1)).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.SetTimeAsync(guest.Client, handle, soon)).Code());

        Assert.Equal(200, (await ShareApi.SetTimeAsync(owner.Client, handle, soon)).Code());
        Assert.Equal(soon, Assert.Single(await ShareApi.DevicesAsync(guest.Client)).GetProperty("sharingExpireTimeTs").GetInt64());
        Assert.Equal(("share_updated", guest.Uid, "user", owner.Uid), (await _steps.ShareEventsAsync(device))[^1]);
        Assert.Equal((true, "SHARE"), await _steps.VerifyAsync(device, authKey));
        await _steps.WithClockAdvancedAsync(TimeSpan.FromMinutes(3), () => AssertGoneAsync(device, guest, authKey));
    }

    [Fact]
    public async Task A_pending_shares_sharing_time_must_end_after_its_accepting_time()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var code = await _steps.CodeAsync(owner, device);
        Assert.Equal(Errors.SharingBeforeAccepting.Code, (await ShareApi.SetTimeAsync(owner.Client, code, _steps.In(TimeSpan.FromMinutes(30)))).Code());
        Assert.Equal(200, (await ShareApi.SetTimeAsync(owner.Client, code, _steps.In(TimeSpan.FromHours(2)))).Code());
    }

    [Fact]
    public async Task The_recipient_names_the_shared_device_for_themselves()
    {
        var (device, owner, guest, handle, _) = await SharedAsync();
        Assert.Equal(Errors.DeviceNameMissing.Code, (await ShareApi.RenameAsync(guest.Client, handle, " ")).Code());
        Assert.Equal(Errors.DeviceNameTooLong.Code, (await ShareApi.RenameAsync(guest.Client, handle, new string('n', 65))).Code());
        Assert.Equal(Errors.ShareCodeMissing.Code, (await ShareApi.RenameAsync(guest.Client, null, "Hall")).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.RenameAsync(owner.Client, handle, "Hall")).Code());
        Assert.Equal(200, (await ShareApi.RenameAsync(guest.Client, handle, "Hall")).Code());
        Assert.Equal("Hall", Assert.Single(await ShareApi.DevicesAsync(guest.Client)).GetProperty("deviceName").GetString());
        Assert.NotEqual("Hall", Assert.Single(await ShareApi.DevicesAsync(owner.Client)).GetProperty("deviceName").GetString());
        Assert.Equal(device.Dk, Assert.Single(await ShareApi.DevicesAsync(owner.Client)).GetProperty("deviceKey").GetString());
    }

    [Fact]
    public async Task When_the_owner_unbinds_the_recipients_share_and_authKey_end_with_the_binding()
    {
        var (device, owner, guest, _, authKey) = await SharedAsync();
        Assert.Equal((true, "SHARE"), await _steps.VerifyAsync(device, authKey));
        Assert.Equal(200, (await BindingApi.UnbindAsync(owner.Client, device.Pk, device.Dk)).Code());
        await AssertGoneAsync(device, guest, authKey);
        Assert.Equal(("unshared", guest.Uid, "user", owner.Uid), (await _steps.ShareEventsAsync(device))[^1]);
    }

    [Fact]
    public async Task A_recipient_with_an_accepted_share_cannot_bind_the_device_on_top_of_it()
    {
        var (device, _, guest, _, authKey) = await SharedAsync();
        // An accepted share: binding it yourself is 6040 (leave the share first), as the pre-check says.
        var again = await BindingApi.BindWifiAsync(guest.Client, BindingApi.WifiBody(device, await fx.DeviceClient(device).ReportNewCodeAsync()));
        Assert.Equal(Errors.AlreadyAcceptedShare.Code, again.Code());
        Assert.Equal((true, "SHARE"), await _steps.VerifyAsync(device, authKey));
    }
}
