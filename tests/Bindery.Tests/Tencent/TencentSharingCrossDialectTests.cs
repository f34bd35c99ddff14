using System.Text.Json;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using static Bindery.Tests.Tencent.TencentSharingTests;

namespace Bindery.Tests.Tencent;

/// <summary>
/// One share, two dialects (docs/sharing.md): a share made by a Tencent action is accepted, listed and ended through
/// the Quectel-style <c>/v2</c> endpoints, and the other way round; whichever side ends it, both sides stop seeing it.
/// </summary>
public sealed class TencentSharingCrossDialectTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    private const string Base = BindingApi.Base;

    private static async Task<JsonElement> OkAsync(Task<HttpResponseMessage> request)
    {
        var envelope = await (await request).ReadEnvelopeAsync();
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data();
    }

    /// <summary>The recipient's /v2 device list entries that are shares (deviceType 2), by productKey/deviceKey.</summary>
    private static async Task<List<JsonElement>> QuectelSharedAsync(Tenant.User user)
    {
        var list = (await BindingApi.ListAsync(user.Client, pageSize: 100)).Data().GetProperty("list");
        return list.EnumerateArray().Where(d => d.GetProperty("deviceType").GetInt32() == 2).ToList();
    }

    private static async Task<List<string>> TencentSharedAsync(TencentApi api) =>
        (await api.OkAsync("AppListUserShareDevices", new() { ["Offset"] = 0, ["Limit"] = 50 }))
            .GetProperty("ShareDevices").EnumerateArray().Select(d => d.GetProperty("DeviceId").GetString()!).ToList();

    private static async Task<List<string>> TencentUsersAsync(TencentApi owner, Tenant.Device device) =>
        (await owner.OkAsync("AppListShareDeviceUsers", DeviceParameters(device)))
            .GetProperty("Users").EnumerateArray().Select(u => u.GetProperty("UserID").GetString()!).ToList();

    private async Task<(Tenant.User User, TencentApi Api)> RecipientAsync()
    {
        var user = await fx.Tenant.CreateUserAsync();
        return (user, new TencentApi(fx.App.CreateClient(), user.Token));
    }

    [Fact]
    public async Task A_Tencent_share_token_is_accepted_listed_and_revoked_through_v2()
    {
        var (owner, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var token = await ShareTokenAsync(ownerApi, familyId, device);
        var (recipient, recipientApi) = await RecipientAsync();

        var accepted = await OkAsync(recipient.Client.PostAsync($"{Base}/shareDevice?{BindingApi.Query(("shareCode", token))}", null));
        var handle = accepted.GetProperty("shareCode").GetString()!;
        Assert.True(token.StartsWith(handle + "_", StringComparison.Ordinal), $"{handle} is not the handle of the token");
        Assert.Equal(owner.Uid, accepted.GetProperty("ownerUid").GetString());

        var listed = Assert.Single(await QuectelSharedAsync(recipient));
        Assert.Equal(device.Dk, listed.GetProperty("deviceKey").GetString());
        Assert.Equal(handle, listed.GetProperty("shareCode").GetString());
        Assert.Equal([device.Pk + "/" + device.Dk], await TencentSharedAsync(recipientApi));
        Assert.Equal([recipient.Uid], await TencentUsersAsync(ownerApi, device));

        await OkAsync(owner.Client.DeleteAsync($"{Base}/ownerUserUnshareDevice?{BindingApi.Query(("shareCode", handle))}"));
        Assert.Empty(await TencentSharedAsync(recipientApi));
        Assert.Empty(await TencentUsersAsync(ownerApi, device));
        Assert.Empty(await QuectelSharedAsync(recipient));
        // The used token is no way back in.
        Assert.Equal(Bindery.Infrastructure.Errors.ShareCodeInvalid.TencentCode,
            await recipientApi.ErrorAsync("AppBindUserShareDevice", BindShare(device, token)));
    }

    [Fact]
    public async Task A_v2_share_code_is_bound_by_the_Tencent_action_and_left_through_v2()
    {
        var (owner, ownerApi, _, device) = await OwnerWithDeviceAsync(fx);
        var acceptingExpireAt = fx.App.Clock.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds();
        var code = (await OkAsync(owner.Client.PostAsync(
            $"{Base}/shareInfo?{BindingApi.Query(("pk", device.Pk), ("dk", device.Dk), ("acceptingExpireAt", acceptingExpireAt))}", null))).GetString()!;
        var (recipient, recipientApi) = await RecipientAsync();

        var info = (await recipientApi.OkAsync("AppDescribeShareDeviceToken", new() { ["ShareDeviceToken"] = code })).GetProperty("ShareDeviceTokenInfo");
        Assert.Equal(acceptingExpireAt / 1000, info.GetProperty("ExpireTime").GetInt64());
        await recipientApi.OkAsync("AppBindUserShareDevice", BindShare(device, code));
        Assert.Equal([recipient.Uid], await TencentUsersAsync(ownerApi, device));
        var v2Users = await OkAsync(owner.Client.GetAsync($"{Base}/deviceShareUserList?{BindingApi.Query(("pk", device.Pk), ("dk", device.Dk))}"));
        Assert.Equal(recipient.Uid, Assert.Single(v2Users.EnumerateArray()).GetProperty("userInfo").GetProperty("uid").GetString());

        // The recipient's app finds the share's handle in its /v2 device list and leaves by it.
        var handle = Assert.Single(await QuectelSharedAsync(recipient)).GetProperty("shareCode").GetString()!;
        await OkAsync(recipient.Client.DeleteAsync($"{Base}/shareUserUnshareDevice?{BindingApi.Query(("shareCode", handle))}"));
        Assert.Empty(await TencentUsersAsync(ownerApi, device));
        Assert.Empty(await TencentSharedAsync(recipientApi));
    }

    [Fact]
    public async Task A_Tencent_invitation_is_accepted_through_v2_by_its_invitee_only()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var (invitee, inviteeApi) = await RecipientAsync();
        var handle = (await ownerApi.OkAsync("AppSendShareDeviceInvite", DeviceParameters(device, new() { ["FamilyId"] = familyId, ["ToUserID"] = invitee.Uid })))
            .GetProperty("ShareDeviceToken").GetString()!;

        var (other, _) = await RecipientAsync();
        var refused = await (await other.Client.PostAsync($"{Base}/shareDevice?{BindingApi.Query(("shareCode", handle))}", null)).ReadEnvelopeAsync();
        Assert.Equal(Bindery.Infrastructure.Errors.ShareCodeInvalid.Code, refused.Code());
        await OkAsync(invitee.Client.PostAsync($"{Base}/shareDevice?{BindingApi.Query(("shareCode", handle))}", null));
        Assert.Equal([device.Pk + "/" + device.Dk], await TencentSharedAsync(inviteeApi));
        Assert.Equal([invitee.Uid], await TencentUsersAsync(ownerApi, device));
    }

    [Fact]
    public async Task The_owner_deleting_the_device_from_the_family_ends_the_share_at_once()
    {
        var (_, ownerApi, familyId, device) = await OwnerWithDeviceAsync(fx);
        var (recipient, recipientApi) = await RecipientAsync();
        await recipientApi.OkAsync("AppBindUserShareDevice", BindShare(device, await ShareTokenAsync(ownerApi, familyId, device)));
        Assert.Single(await QuectelSharedAsync(recipient));

        await ownerApi.OkAsync("AppDeleteDeviceInFamily", DeviceParameters(device, new() { ["FamilyId"] = familyId }));
        Assert.Empty(await TencentSharedAsync(recipientApi));
        Assert.Empty(await QuectelSharedAsync(recipient));
        Assert.Equal(Bindery.Infrastructure.Errors.ShareCodeInvalid.TencentCode, await recipientApi.ErrorAsync("AppRemoveUserShareDevice", DeviceParameters(device)));
    }
}
