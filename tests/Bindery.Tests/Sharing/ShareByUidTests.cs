using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using static Bindery.Tests.Binding.QuectelWire;

namespace Bindery.Tests.Sharing;

/// <summary>
/// Addressed shares (<c>shareByUid</c>): the owner names the recipient by uid, e-mail, phone or username; only that
/// user accepts, by the handle the answer carries; coverMark decides what becomes of a pending invitation to the same
/// user; the invitation's terms travel with it.
/// </summary>
public sealed class ShareByUidTests(SharingFixture fx) : IClassFixture<SharingFixture>
{
    private readonly ShareSteps _steps = new(fx);

    private async Task<(Tenant.Product Product, Tenant.Device Device, DeviceClient Side)> DeviceAsync(int mode)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, 5, methods: ["SN", "WIFI"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        return (product, device, fx.DeviceClient(device));
    }

    private static async Task BindWifiAsync(DeviceClient side, Tenant.User user)
    {
        var code = await side.ReportNewCodeAsync();
        var bound = await BindingApi.BindWifiAsync(user.Client, BindingApi.WifiBody(side.Device, code));
        Assert.True(bound.Code() == 200, bound.ToString());
    }

    [Fact]
    public async Task Share_by_uid_is_accepted_by_code_only_by_the_addressed_user_and_once()
    {
        var (_, device, side) = await DeviceAsync(2);
        var owner = await fx.Tenant.CreateUserAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var other = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(side, owner);

        Assert.Equal(Errors.ShareRecipientMissing.Code, await CodeAsync(await ShareByUid(owner.Client, device.Pk, device.Dk)));
        Assert.Equal(Errors.NotFound.Code, await CodeAsync(await ShareByUid(owner.Client, device.Pk, device.Dk, ("shareUid", "nobody"))));
        Assert.Equal(Errors.DeviceNotBound.Code, await CodeAsync(await ShareByUid(other.Client, device.Pk, device.Dk, ("shareUid", guest.Uid))));
        var shareCode = await OkAsync<string>(await ShareByUid(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid)));
        Assert.StartsWith("share_dv_", shareCode, StringComparison.Ordinal);
        Assert.Equal(Errors.AlreadyExists.Code, await CodeAsync(await ShareByUid(owner.Client, device.Pk, device.Dk, ("username", guest.Username), ("coverMark", 2))));

        // Before accepting, the addressed user may look at the device by the code; nobody else may.
        var preview = await OkAsync<DeviceBean>(await DeviceInfo(guest.Client, ("shareCode", shareCode)));
        Assert.Equal((device.Dk, 2, owner.Uid), (preview.DeviceKey, preview.DeviceType, preview.OwnerUid));
        Assert.Equal(Errors.ShareCodeInvalid.Code, await CodeAsync(await DeviceInfo(other.Client, ("shareCode", shareCode))));

        Assert.Equal(Errors.ShareCodeMissing.Code, await CodeAsync(await AcceptShare(guest.Client, null)));
        Assert.Equal(Errors.ShareCodeInvalid.Code, await CodeAsync(await AcceptShare(guest.Client, "share_dv_0123456789abcdef01234567")));
        Assert.Equal(Errors.ShareCodeInvalid.Code, await CodeAsync(await AcceptShare(other.Client, shareCode)));
        Assert.Equal(Errors.ShareCodeInvalid.Code, await CodeAsync(await AcceptShare(owner.Client, shareCode)));
        Assert.Equal(Errors.DeviceNameTooLong.Code, await CodeAsync(await AcceptShare(guest.Client, shareCode, new string('n', 65))));
        Assert.Equal(200, await CodeAsync(await AcceptShare(guest.Client, shareCode, "Mum's lock")));
        Assert.Equal(Errors.AlreadyAcceptedShare.Code, await CodeAsync(await AcceptShare(guest.Client, shareCode)));
        Assert.Empty(await DevicesAsync(other));

        // The recipient's list shows it as shared (deviceType 2), under the name given, never with an authKey.
        var shared = Assert.Single(await DevicesAsync(guest));
        Assert.Equal((device.Dk, 2, 1, 2, "Mum's lock"), (shared.DeviceKey, shared.DeviceType, shared.Verified, shared.BindingType, shared.DeviceName));
        Assert.Equal(owner.Uid, shared.OwnerUid);
        Assert.Equal(shareCode, shared.ShareCode);
        Assert.Null(shared.AuthKey);
        var info = await OkAsync<DeviceBean>(await DeviceInfo(guest.Client, ("pk", device.Pk), ("dk", device.Dk)));
        Assert.Equal((2, "Mum's lock"), (info.DeviceType, info.DeviceName));
        // The owner's own list is unchanged.
        Assert.Equal(1, Assert.Single(await DevicesAsync(owner)).DeviceType);
    }

    [Fact]
    public async Task An_unverified_binding_cannot_share_and_an_email_or_phone_account_is_found_by_its_name()
    {
        var (_, device, side) = await DeviceAsync(1);
        var snUser = await fx.Tenant.CreateUserAsync();
        var byEmail = await fx.Tenant.CreateUserAsync("guest" + Guid.NewGuid().ToString("N")[..8] + "@example.com");
        var byPhone = await fx.Tenant.CreateUserAsync("+86138" + Random.Shared.Next(10_000_000, 99_999_999));
        Assert.Equal(200, (await BindingApi.BindSnAsync(snUser.Client, device.Pk, device.Sn)).Code());
        Assert.Equal(Errors.UnverifiedBindingCannotShare.Code, await CodeAsync(await ShareByUid(snUser.Client, device.Pk, device.Dk, ("shareUid", byEmail.Uid))));

        var holder = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(side, holder);
        var emailCode = await OkAsync<string>(await ShareByUid(holder.Client, device.Pk, device.Dk, ("email", byEmail.Username.ToUpperInvariant())));
        var phoneCode = await OkAsync<string>(await ShareByUid(holder.Client, device.Pk, device.Dk, ("phone", byPhone.Username)));
        Assert.Equal(200, await CodeAsync(await AcceptShare(byEmail.Client, emailCode)));
        Assert.Equal(200, await CodeAsync(await AcceptShare(byPhone.Client, phoneCode)));
        Assert.Equal(Errors.InvalidParameterValue.Code,
            await CodeAsync(await ShareByUid(holder.Client, device.Pk, device.Dk, ("shareUid", byEmail.Uid), ("phone", byPhone.Username))));
    }

    [Fact]
    public async Task Sharing_with_yourself_or_with_a_holder_is_refused_and_a_holder_cannot_accept_a_code()
    {
        var (_, device, side) = await DeviceAsync(1);
        var owner = await fx.Tenant.CreateUserAsync();
        var holder = await fx.Tenant.CreateUserAsync();
        await BindWifiAsync(side, owner);
        await BindWifiAsync(side, holder);
        Assert.Equal(Errors.CannotShareOwnDevice.Code, await CodeAsync(await ShareByUid(owner.Client, device.Pk, device.Dk, ("shareUid", owner.Uid))));
        Assert.Equal(Errors.DeviceAlreadyBound.Code, await CodeAsync(await ShareByUid(owner.Client, device.Pk, device.Dk, ("shareUid", holder.Uid))));
        Assert.Equal(Errors.ShareCoverMarkOutOfRange.Code,
            await CodeAsync(await ShareByUid(owner.Client, device.Pk, device.Dk, ("shareUid", Guid.NewGuid().ToString("N")), ("coverMark", 0))));
        // Nor can a holder accept an open code of a device they hold.
        var code = ShareApi.Ok(await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, _steps.In(TimeSpan.FromHours(1))));
        Assert.Equal(Errors.DeviceAlreadyBound.Code, (await ShareApi.AcceptAsync(holder.Client, code)).Code());
    }

    [Fact]
    public async Task CoverMark_decides_what_becomes_of_a_pending_invitation_to_the_same_user_and_an_accepted_share_is_never_replaced()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var week = _steps.In(TimeSpan.FromDays(6));
        var day = _steps.In(TimeSpan.FromDays(1));

        var first = ShareApi.Ok(await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid), ("sharingExpireAt", week)));
        Assert.Matches("^share_dv_[0-9a-f]{24}$", first);
        // 2: one share per device and recipient.
        Assert.Equal(Errors.AlreadyExists.Code,
            (await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid), ("coverMark", 2))).Code());
        // 3 with an earlier end: refused; with a later one: replaces.
        Assert.Equal(Errors.ShareNotExtended.Code,
            (await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid), ("coverMark", 3), ("sharingExpireAt", day))).Code());
        var second = ShareApi.Ok(await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid), ("coverMark", 3)));
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guest.Client, first)).Code());
        // 1 (default) replaces the pending invitation.
        var third = ShareApi.Ok(await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid), ("sharingExpireAt", day)));
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guest.Client, second)).Code());
        var accepted = await ShareSteps.AcceptOkAsync(guest, third);
        Assert.Equal(day, accepted.GetProperty("sharingExpireAtTs").GetInt64());
        Assert.Equal((true, "SHARE"), await _steps.VerifyAsync(device, accepted.GetProperty("authKey").GetString()!));
        // Accepted: a new invitation is 9008 whatever the coverMark (setShareTime changes its time).
        Assert.Equal(Errors.AlreadyExists.Code, (await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid))).Code());
        Assert.Equal(Errors.AlreadyExists.Code,
            (await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid), ("coverMark", 3))).Code());
    }

    [Fact]
    public async Task Accepting_an_open_code_makes_a_pending_invitation_of_the_same_device_moot()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var invitation = ShareApi.Ok(await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", guest.Uid)));
        await ShareSteps.AcceptOkAsync(guest, await _steps.CodeAsync(owner, device));
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guest.Client, invitation)).Code());
        Assert.Single(await ShareApi.DevicesAsync(guest.Client));
        // And a second open code of a device already shared with the caller: 6040.
        Assert.Equal(Errors.AlreadyAcceptedShare.Code, (await ShareApi.AcceptAsync(guest.Client, await _steps.CodeAsync(owner, device, coverMark: 2))).Code());
    }
}
