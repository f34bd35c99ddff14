using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// Tencent-style device sharing (docs/tencent-api.md, "Device sharing"; docs/sharing.md): each action's success and
/// every refusal it names, by the catalogue's entries (their Tencent codes are the real cloud's).
/// </summary>
public sealed class TencentSharingTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    /// <summary>An owner with a family and a device bound into it by token (a binding that proves possession).</summary>
    internal static async Task<(Tenant.User User, TencentApi Api, string FamilyId, Tenant.Device Device)> OwnerWithDeviceAsync(TencentFixture fx)
    {
        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        var (_, device, side) = await fx.DeviceAsync();
        var token = await api.CreateTokenAsync();
        await side.ReportTokenOkAsync(token);
        var bound = await api.BindAsync(token, device, familyId);
        Assert.False(bound.TryGetProperty("Error", out _), bound.ToString());
        return (user, api, familyId, device);
    }

    internal static Dictionary<string, object?> DeviceParameters(Tenant.Device device, Dictionary<string, object?>? more = null)
    {
        var parameters = new Dictionary<string, object?>(more ?? []) { ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk };
        return parameters;
    }

    internal static async Task<string> ShareTokenAsync(TencentApi owner, string familyId, Tenant.Device device) =>
        (await owner.OkAsync("AppCreateShareDeviceToken", DeviceParameters(device, new() { ["FamilyId"] = familyId })))
            .GetProperty("ShareDeviceToken").GetString()!;

    internal static Dictionary<string, object?> BindShare(Tenant.Device device, string token) =>
        DeviceParameters(device, new() { ["ShareDeviceToken"] = token });

    private async Task<(Tenant.User User, TencentApi Api)> UserAsync()
    {
        var (user, api, _) = await fx.UserWithFamilyAsync();
        return (user, api);
    }

    private static IEnumerable<string> SharedDeviceIds(JsonElement data) =>
        data.GetProperty("ShareDevices").EnumerateArray().Select(d => d.GetProperty("DeviceId").GetString()!);

    private static IEnumerable<string> UserIds(JsonElement data) =>
        data.GetProperty("Users").EnumerateArray().Select(u => u.GetProperty("UserID").GetString()!);

    [Fact]
    public async Task A_share_token_is_created_previewed_bound_and_listed_for_both_users()
    {
        var (owner, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var created = await ownerApi.OkAsync("AppCreateShareDeviceToken", DeviceParameters(device, new() { ["FamilyId"] = familyId, ["TokenContext"] = "{}" }));
        var token = created.GetProperty("ShareDeviceToken").GetString()!;
        Assert.Matches("^share_dv_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$", token);
        var now = fx.App.Clock.GetUtcNow().ToUnixTimeSeconds();
        Assert.InRange(created.GetProperty("ExpireTime").GetInt64(), now + (24 * 3600) - 5, now + (24 * 3600) + 5);

        var (recipient, recipientApi) = await UserAsync();
        var info = (await recipientApi.OkAsync("AppDescribeShareDeviceToken", new() { ["ShareDeviceToken"] = token })).GetProperty("ShareDeviceTokenInfo");
        Assert.Equal(owner.Uid, info.GetProperty("FromUserID").GetString());
        Assert.Equal(device.Pk, info.GetProperty("ProductId").GetString());
        Assert.Equal(device.Dk, info.GetProperty("DeviceName").GetString());
        Assert.Equal(device.Pk + "/" + device.Dk, info.GetProperty("DeviceId").GetString());
        Assert.Equal(created.GetProperty("ExpireTime").GetInt64(), info.GetProperty("ExpireTime").GetInt64());
        Assert.Equal("", info.GetProperty("UserID").GetString());

        var bound = await recipientApi.OkAsync("AppBindUserShareDevice", BindShare(device, token));
        Assert.Equal("OK", bound.GetProperty("Status").GetString());

        var mine = await recipientApi.OkAsync("AppListUserShareDevices", new() { ["Offset"] = 0, ["Limit"] = 50 });
        Assert.Equal(1, mine.GetProperty("Total").GetInt64());
        var shared = Assert.Single(mine.GetProperty("ShareDevices").EnumerateArray());
        Assert.Equal(device.Pk + "/" + device.Dk, shared.GetProperty("DeviceId").GetString());
        Assert.Equal(owner.Uid, shared.GetProperty("FromUserID").GetString());
        Assert.InRange(shared.GetProperty("CreateTime").GetInt64(), now - 5, now + 5);

        var users = await ownerApi.OkAsync("AppListShareDeviceUsers", DeviceParameters(device, new() { ["Offset"] = 0, ["Limit"] = 100 }));
        Assert.Equal(1, users.GetProperty("Total").GetInt32());
        Assert.Equal([recipient.Uid], UserIds(users));

        // The owner's own lists are unchanged: the device is theirs, not shared with them.
        Assert.Equal(0, (await ownerApi.OkAsync("AppListUserShareDevices")).GetProperty("Total").GetInt64());
    }

    [Fact]
    public async Task A_used_token_is_refused_to_everyone_else_and_its_user_is_told_they_have_the_device()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var token = await ShareTokenAsync(ownerApi, familyId, device);
        var (_, first) = await UserAsync();
        var (_, second) = await UserAsync();
        await first.OkAsync("AppBindUserShareDevice", BindShare(device, token));

        Assert.Equal(Errors.ShareCodeUsed.TencentCode, await second.ErrorAsync("AppBindUserShareDevice", BindShare(device, token)));
        Assert.Equal(Errors.AlreadyAcceptedShare.TencentCode, await first.ErrorAsync("AppBindUserShareDevice", BindShare(device, token)));
        Assert.Equal("InvalidParameterValue.ShareDeviceTokenUsed", Errors.ShareCodeUsed.TencentCode);
        Assert.Equal("InvalidParameterValue.DeviceBinded", Errors.AlreadyAcceptedShare.TencentCode);
    }

    [Fact]
    public async Task The_owner_cannot_bind_their_own_share_token()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var token = await ShareTokenAsync(ownerApi, familyId, device);
        Assert.Equal(Errors.CannotShareOwnDevice.TencentCode, await ownerApi.ErrorAsync("AppBindUserShareDevice", BindShare(device, token)));
        Assert.Equal("InvalidParameterValue.CannotBindOwnDevice", Errors.CannotShareOwnDevice.TencentCode);
    }

    [Fact]
    public async Task A_user_who_holds_the_device_themselves_is_told_it_is_bound_to_them()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var (_, otherApi, otherFamily) = await fx.UserWithFamilyAsync();
        var token = await otherApi.CreateTokenAsync();
        await fx.DeviceClient(device).ReportTokenOkAsync(token);
        Assert.False((await otherApi.BindAsync(token, device, otherFamily)).TryGetProperty("Error", out _));

        var share = await ShareTokenAsync(ownerApi, familyId, device);
        Assert.Equal("InvalidParameterValue.DeviceBinded", await otherApi.ErrorAsync("AppBindUserShareDevice", BindShare(device, share)));
    }

    [Fact]
    public async Task Tokens_that_do_not_exist_are_for_another_device_or_have_expired_are_all_the_same_invalid_token()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var (_, _, _, otherDevice) = await OwnerWithDeviceAsync(fx);
        var token = await ShareTokenAsync(ownerApi, familyId, device);
        var (_, recipient) = await UserAsync();
        var invalid = Errors.ShareCodeInvalid.TencentCode;
        Assert.Equal("InvalidParameterValue.InvalidShareDeviceToken", invalid);

        Assert.Equal(invalid, await recipient.ErrorAsync("AppBindUserShareDevice", BindShare(device, "0820728466424d8f0000422ec06bd398")));
        Assert.Equal(invalid, await recipient.ErrorAsync("AppBindUserShareDevice", BindShare(device, token[..^2] + (token[^2..] == "AA" ? "BB" : "AA"))));
        Assert.Equal(invalid, await recipient.ErrorAsync("AppDescribeShareDeviceToken", new() { ["ShareDeviceToken"] = token + "x" }));
        Assert.Equal(invalid, await recipient.ErrorAsync("AppBindUserShareDevice", BindShare(otherDevice, token)));
        Assert.Equal(Errors.ShareCodeMissing.TencentCode, await recipient.ErrorAsync("AppBindUserShareDevice", DeviceParameters(device)));
    }

    [Fact]
    public async Task A_token_expires_after_24_hours()
    {
        // A server of its own: its clock moves a day, which the shared fixture's device clients would not survive.
        var own = new TencentFixture();
        await own.InitializeAsync();
        try
        {
            var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(own);
            var token = await ShareTokenAsync(ownerApi, familyId, device);
            var (_, recipient, _) = await own.UserWithFamilyAsync();
            own.App.Clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromMinutes(1));
            Assert.NotNull((await recipient.OkAsync("AppDescribeShareDeviceToken", new() { ["ShareDeviceToken"] = token })).GetProperty("ShareDeviceTokenInfo").GetProperty("FromUserID").GetString());
            own.App.Clock.Advance(TimeSpan.FromMinutes(2));
            Assert.Equal(Errors.ShareCodeInvalid.TencentCode, await recipient.ErrorAsync("AppDescribeShareDeviceToken", new() { ["ShareDeviceToken"] = token }));
            Assert.Equal(Errors.ShareCodeInvalid.TencentCode, await recipient.ErrorAsync("AppBindUserShareDevice", BindShare(device, token)));
        }
        finally
        {
            await own.DisposeAsync();
        }
    }

    [Fact]
    public async Task Only_a_verified_holder_shares_and_only_from_a_family_they_belong_to()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var (_, stranger, strangersFamily) = await fx.UserWithFamilyAsync();
        var parameters = DeviceParameters(device, new() { ["FamilyId"] = familyId });
        Assert.Equal(Errors.FamilyNotExist.TencentCode, await stranger.ErrorAsync("AppCreateShareDeviceToken", parameters));
        parameters["FamilyId"] = strangersFamily;
        Assert.Equal(Errors.DeviceNotBound.TencentCode, await stranger.ErrorAsync("AppCreateShareDeviceToken", parameters));
        Assert.Equal(Errors.DeviceNotBound.TencentCode, await stranger.ErrorAsync("AppListShareDeviceUsers", DeviceParameters(device)));

        // An SN binding proves nothing: it cannot hand the device on.
        var (snUser, snApi, snFamily) = await fx.UserWithFamilyAsync();
        var (_, snDevice, _) = await fx.DeviceAsync();
        var sn = await BindingApi.BindSnAsync(snUser.Client, snDevice.Pk, snDevice.Sn, ("fid", snFamily));
        Assert.Equal(200, sn.Code());
        Assert.Equal(Errors.UnverifiedBindingCannotShare.TencentCode,
            await snApi.ErrorAsync("AppCreateShareDeviceToken", DeviceParameters(snDevice, new() { ["FamilyId"] = snFamily })));
        Assert.Equal(0, (await ownerApi.OkAsync("AppListShareDeviceUsers", DeviceParameters(device))).GetProperty("Total").GetInt32());
    }

    [Fact]
    public async Task The_recipient_leaves_and_the_owner_removes_a_user()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var (leaver, leaverApi) = await UserAsync();
        var (removed, removedApi) = await UserAsync();
        await leaverApi.OkAsync("AppBindUserShareDevice", BindShare(device, await ShareTokenAsync(ownerApi, familyId, device)));
        await removedApi.OkAsync("AppBindUserShareDevice", BindShare(device, await ShareTokenAsync(ownerApi, familyId, device)));
        var users = await ownerApi.OkAsync("AppListShareDeviceUsers", DeviceParameters(device));
        Assert.Equal(new[] { leaver.Uid, removed.Uid }.Order(), UserIds(users).Order());

        Assert.Equal("OK", (await leaverApi.OkAsync("AppRemoveUserShareDevice", DeviceParameters(device))).GetProperty("Status").GetString());
        Assert.Empty(SharedDeviceIds(await leaverApi.OkAsync("AppListUserShareDevices")));

        // A stranger cannot end someone's share; the owner can.
        var (_, stranger) = await UserAsync();
        var removal = DeviceParameters(device, new() { ["RemoveUserID"] = removed.Uid });
        Assert.Equal(Errors.ShareCodeInvalid.TencentCode, await stranger.ErrorAsync("AppRemoveShareDeviceUser", removal));
        Assert.Single(SharedDeviceIds(await removedApi.OkAsync("AppListUserShareDevices")));
        Assert.Equal("OK", (await ownerApi.OkAsync("AppRemoveShareDeviceUser", removal)).GetProperty("Status").GetString());
        Assert.Empty(SharedDeviceIds(await removedApi.OkAsync("AppListUserShareDevices")));
        Assert.Equal(0, (await ownerApi.OkAsync("AppListShareDeviceUsers", DeviceParameters(device))).GetProperty("Total").GetInt32());

        // Gone is gone: leaving again, or removing again, finds no share.
        Assert.Equal(Errors.ShareCodeInvalid.TencentCode, await leaverApi.ErrorAsync("AppRemoveUserShareDevice", DeviceParameters(device)));
        Assert.Equal(Errors.ShareCodeInvalid.TencentCode, await ownerApi.ErrorAsync("AppRemoveShareDeviceUser", removal));
    }

    [Fact]
    public async Task An_invitation_is_bound_by_its_invitee_only_and_lists_the_user_once_accepted()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var (invitee, inviteeApi) = await UserAsync();
        var sent = await ownerApi.OkAsync("AppSendShareDeviceInvite", DeviceParameters(device, new() { ["FamilyId"] = familyId, ["ToUserID"] = invitee.Uid }));
        Assert.Equal("OK", sent.GetProperty("Status").GetString());
        var handle = sent.GetProperty("ShareDeviceToken").GetString()!;
        Assert.Matches("^share_dv_[0-9a-f]{24}$", handle);
        Assert.Equal(0, (await ownerApi.OkAsync("AppListShareDeviceUsers", DeviceParameters(device))).GetProperty("Total").GetInt32());

        var (_, other) = await UserAsync();
        Assert.Equal(Errors.ShareCodeInvalid.TencentCode, await other.ErrorAsync("AppBindUserShareDevice", BindShare(device, handle)));
        await inviteeApi.OkAsync("AppBindUserShareDevice", BindShare(device, handle));
        Assert.Equal([invitee.Uid], UserIds(await ownerApi.OkAsync("AppListShareDeviceUsers", DeviceParameters(device))));
        Assert.Equal([device.Pk + "/" + device.Dk], SharedDeviceIds(await inviteeApi.OkAsync("AppListUserShareDevices")));
    }

    [Fact]
    public async Task The_mini_program_names_the_device_by_DeviceId()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var deviceId = device.Pk + "/" + device.Dk;
        var token = (await ownerApi.OkAsync("AppCreateShareDeviceToken", new() { ["FamilyId"] = familyId, ["DeviceId"] = deviceId, ["TokenContext"] = "" }))
            .GetProperty("ShareDeviceToken").GetString()!;
        var (recipient, recipientApi) = await UserAsync();
        await recipientApi.OkAsync("AppBindUserShareDevice", new() { ["ShareDeviceToken"] = token, ["DeviceId"] = deviceId });
        Assert.Equal([recipient.Uid], UserIds(await ownerApi.OkAsync("AppListShareDeviceUsers", new() { ["DeviceId"] = deviceId, ["Offset"] = 0, ["Limit"] = 10 })));
        await ownerApi.OkAsync("AppRemoveShareDeviceUser", new() { ["DeviceId"] = deviceId, ["RemoveUserID"] = recipient.Uid });
        Assert.Empty(SharedDeviceIds(await recipientApi.OkAsync("AppListUserShareDevices", new() { ["Offset"] = 0, ["Limit"] = 10 })));
    }

    [Fact]
    public async Task The_shared_device_list_pages_by_Offset_and_Limit_newest_first()
    {
        var (_, recipientApi) = await UserAsync();
        var devices = new List<Tenant.Device>();
        for (var i = 0; i < 3; i++)
        {
            var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
            await recipientApi.OkAsync("AppBindUserShareDevice", BindShare(device, await ShareTokenAsync(ownerApi, familyId, device)));
            devices.Add(device);
            fx.App.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var newestFirst = devices.Select(d => d.Pk + "/" + d.Dk).Reverse().ToList();
        Assert.Equal(newestFirst, SharedDeviceIds(await recipientApi.OkAsync("AppListUserShareDevices", new() { ["Offset"] = 0, ["Limit"] = 999 })));
        var middle = await recipientApi.OkAsync("AppListUserShareDevices", new() { ["Offset"] = 1, ["Limit"] = 1 });
        Assert.Equal([newestFirst[1]], SharedDeviceIds(middle));
        Assert.Equal(3, middle.GetProperty("Total").GetInt64());
        Assert.Empty(SharedDeviceIds(await recipientApi.OkAsync("AppListUserShareDevices", new() { ["Offset"] = 3, ["Limit"] = 10 })));
    }

    [Fact]
    public async Task Invitation_refusals()
    {
        var (owner, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        Dictionary<string, object?> To(string uid) => DeviceParameters(device, new() { ["FamilyId"] = familyId, ["ToUserID"] = uid });

        Assert.Equal(Errors.NotFound.TencentCode, await ownerApi.ErrorAsync("AppSendShareDeviceInvite", To("no-such-user")));
        Assert.Equal(Errors.CannotShareOwnDevice.TencentCode, await ownerApi.ErrorAsync("AppSendShareDeviceInvite", To(owner.Uid)));
        var (holder, holderApi, holderFamily) = await fx.UserWithFamilyAsync();
        var token = await holderApi.CreateTokenAsync();
        await fx.DeviceClient(device).ReportTokenOkAsync(token);
        Assert.False((await holderApi.BindAsync(token, device, holderFamily)).TryGetProperty("Error", out _));
        Assert.Equal(Errors.DeviceAlreadyBound.TencentCode, await ownerApi.ErrorAsync("AppSendShareDeviceInvite", To(holder.Uid)));

        var (invitee, inviteeApi) = await UserAsync();
        var handle = (await ownerApi.OkAsync("AppSendShareDeviceInvite", To(invitee.Uid))).GetProperty("ShareDeviceToken").GetString()!;
        await inviteeApi.OkAsync("AppBindUserShareDevice", BindShare(device, handle));
        Assert.Equal(Errors.AlreadyExists.TencentCode, await ownerApi.ErrorAsync("AppSendShareDeviceInvite", To(invitee.Uid)));
        var (_, stranger, strangersFamily) = await fx.UserWithFamilyAsync();
        Assert.Equal(Errors.FamilyNotExist.TencentCode,
            await stranger.ErrorAsync("AppSendShareDeviceInvite", DeviceParameters(device, new() { ["FamilyId"] = familyId, ["ToUserID"] = invitee.Uid })));
        Assert.Equal(Errors.DeviceNotBound.TencentCode,
            await stranger.ErrorAsync("AppSendShareDeviceInvite", DeviceParameters(device, new() { ["FamilyId"] = strangersFamily, ["ToUserID"] = invitee.Uid })));
    }

    [Fact]
    public async Task A_new_token_voids_the_earlier_unused_ones_but_no_accepted_share()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var (kept, keptApi) = await UserAsync();
        await keptApi.OkAsync("AppBindUserShareDevice", BindShare(device, await ShareTokenAsync(ownerApi, familyId, device)));
        var unused = await ShareTokenAsync(ownerApi, familyId, device);
        var newest = await ShareTokenAsync(ownerApi, familyId, device);

        var (_, late) = await UserAsync();
        Assert.Equal(Errors.ShareCodeInvalid.TencentCode, await late.ErrorAsync("AppBindUserShareDevice", BindShare(device, unused)));
        await late.OkAsync("AppBindUserShareDevice", BindShare(device, newest));
        Assert.Equal(2, (await ownerApi.OkAsync("AppListShareDeviceUsers", DeviceParameters(device))).GetProperty("Total").GetInt32());
        Assert.Contains(kept.Uid, UserIds(await ownerApi.OkAsync("AppListShareDeviceUsers", DeviceParameters(device))));
    }
}
