using System.Text.Json;
using Bindery.Sharing;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Sharing;

/// <summary>
/// Residual access (issue 14): however a share ends — the owner revokes it (in either dialect), the recipient leaves
/// it (in either dialect), its time runs out, or the owner's binding ends (unbind, displacement by a rotation
/// binding, the device's factory reset, the admin deleting the device) — the recipient loses the device at once, on
/// the next request: it leaves their device list in both dialects, their authKey stops verifying on the device, and
/// every share action on it is refused. Before the end, each of those is shown to work, so every check can fail.
/// </summary>
public sealed class ResidualAccessTests(SharingFixture fx) : IClassFixture<SharingFixture>
{
    public enum ShareEnd
    {
        OwnerRevokes,
        OwnerRevokesInTencent,
        RecipientLeaves,
        RecipientLeavesInTencent,
        SharingTimeEnds,
        OwnerUnbinds,
        OwnerDisplacedByRotation,
        DeviceReset,
        DeviceDeletedByAdmin,
    }

    private readonly ShareSteps _steps = new(fx);

    private sealed record LiveShare(Tenant.Device Device, Tenant.User Owner, Tenant.User Recipient, string Handle, string Code, string AuthKey);

    [Theory]
    [MemberData(nameof(Ends))]
    public async Task After_a_share_ends_the_recipient_loses_the_device_at_once(ShareEnd end)
    {
        var share = await ShareAcceptedAsync(rotation: end == ShareEnd.OwnerDisplacedByRotation,
            sharingFor: end == ShareEnd.SharingTimeEnds ? TimeSpan.FromHours(2) : null);
        await AssertRecipientHasDeviceAsync(share);

        if (end == ShareEnd.SharingTimeEnds)
        {
            // Refused on the very next request, before any pruner has run; the pruner then removes the row and says so.
            await _steps.WithClockAdvancedAsync(TimeSpan.FromHours(3), async () =>
            {
                await AssertRecipientLostDeviceAsync(share);
                Assert.Empty(await UnsharedEventsAsync(share));
                await fx.App.Services.GetRequiredService<SharePruner>().PruneAsync();
            });
            Assert.Equal("system", Assert.Single(await UnsharedEventsAsync(share)).ActorType);
            await AssertRecipientLostDeviceAsync(share);
            return;
        }
        await EndAsync(end, share);
        await AssertRecipientLostDeviceAsync(share);
        Assert.Single(await UnsharedEventsAsync(share));
    }

    private async Task<List<(string Kind, string? UserId, string ActorType, string? ActorId)>> UnsharedEventsAsync(LiveShare share) =>
        (await _steps.ShareEventsAsync(share.Device)).Where(e => e.Kind == "unshared" && e.UserId == share.Recipient.Uid).ToList();

    public static TheoryData<ShareEnd> Ends()
    {
        var data = new TheoryData<ShareEnd>();
        foreach (var end in Enum.GetValues<ShareEnd>())
        {
            data.Add(end);
        }
        return data;
    }

    private async Task<LiveShare> ShareAcceptedAsync(bool rotation, TimeSpan? sharingFor)
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync(mode: rotation ? 3 : 1);
        var recipient = await fx.Tenant.CreateUserAsync();
        var code = await _steps.CodeAsync(owner, device, sharingExpireAt: sharingFor is { } span ? _steps.In(span) : null);
        var accepted = await ShareSteps.AcceptOkAsync(recipient, code);
        return new LiveShare(device, owner, recipient, accepted.GetProperty("shareCode").GetString()!, code, accepted.GetProperty("authKey").GetString()!);
    }

    private async Task EndAsync(ShareEnd end, LiveShare share)
    {
        switch (end)
        {
            case ShareEnd.OwnerRevokes:
                ShareApi.Ok(await ShareApi.RevokeAsync(share.Owner.Client, share.Handle));
                break;
            case ShareEnd.OwnerRevokesInTencent:
                await Tencent(share.Owner).OkAsync("AppRemoveShareDeviceUser", new()
                {
                    ["ProductId"] = share.Device.Pk,
                    ["DeviceName"] = share.Device.Dk,
                    ["RemoveUserID"] = share.Recipient.Uid,
                });
                break;
            case ShareEnd.RecipientLeaves:
                ShareApi.Ok(await ShareApi.LeaveAsync(share.Recipient.Client, share.Handle));
                break;
            case ShareEnd.RecipientLeavesInTencent:
                await Tencent(share.Recipient).OkAsync("AppRemoveUserShareDevice", new()
                {
                    ["ProductId"] = share.Device.Pk,
                    ["DeviceName"] = share.Device.Dk,
                });
                break;
            case ShareEnd.OwnerUnbinds:
                ShareApi.Ok(await BindingApi.UnbindAsync(share.Owner.Client, share.Device.Pk, share.Device.Dk));
                break;
            case ShareEnd.OwnerDisplacedByRotation:
                var newcomer = await fx.Tenant.CreateUserAsync();
                await BindingApi.BindWifiOkAsync(fx, newcomer, share.Device);
                break;
            case ShareEnd.DeviceReset:
                await fx.DeviceClient(share.Device).ResetAsync();
                break;
            case ShareEnd.DeviceDeletedByAdmin:
                using (var admin = fx.App.CreateAdminClient())
                {
                    var deleted = await (await admin.DeleteAsync($"/admin/v1/products/{share.Device.Pk}/devices/{share.Device.Dk}")).ReadEnvelopeAsync();
                    Assert.True(deleted.Code() == 200, deleted.ToString());
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(end), end, null);
        }
    }

    private TencentApi Tencent(Tenant.User user) => new(fx.App.CreateClient(), user.Token);

    private async Task AssertRecipientHasDeviceAsync(LiveShare share)
    {
        Assert.Contains(await ShareApi.DevicesAsync(share.Recipient.Client), d => IsDevice(d, share.Device) && d.GetProperty("deviceType").GetInt32() == 2);
        Assert.Contains(await TencentSharedDeviceIdsAsync(share.Recipient), id => id == $"{share.Device.Pk}/{share.Device.Dk}");
        Assert.Equal((true, "SHARE"), await _steps.VerifyAsync(share.Device, share.AuthKey));
        Assert.Equal(200, (await DeviceInfoAsync(share)).Code());
        Assert.Equal(200, (await ShareApi.RenameAsync(share.Recipient.Client, share.Handle, "hall lamp")).Code());
        if (await OwnerStillHoldsAsync(share))
        {
            Assert.Contains(await ShareUserIdsAsync(share), uid => uid == share.Recipient.Uid);
        }
    }

    private async Task AssertRecipientLostDeviceAsync(LiveShare share)
    {
        Assert.DoesNotContain(await ShareApi.DevicesAsync(share.Recipient.Client), d => IsDevice(d, share.Device));
        Assert.DoesNotContain(await TencentSharedDeviceIdsAsync(share.Recipient), id => id == $"{share.Device.Pk}/{share.Device.Dk}");
        if (await DeviceExistsAsync(share.Device))
        {
            Assert.Equal((false, (string?)null), await _steps.VerifyAsync(share.Device, share.AuthKey));
        }
        Assert.NotEqual(200, (await DeviceInfoAsync(share)).Code());
        Assert.NotEqual(200, (await ShareApi.RenameAsync(share.Recipient.Client, share.Handle, "still mine?")).Code());
        Assert.NotEqual(200, (await ShareApi.LeaveAsync(share.Recipient.Client, share.Handle)).Code());
        // The code was single-use: it does not bring the device back, for the recipient or anyone else.
        Assert.NotEqual(200, (await ShareApi.AcceptAsync(share.Recipient.Client, share.Code)).Code());
        if (await OwnerStillHoldsAsync(share))
        {
            Assert.DoesNotContain(await ShareUserIdsAsync(share), uid => uid == share.Recipient.Uid);
        }
    }

    private static bool IsDevice(JsonElement item, Tenant.Device device) =>
        item.GetProperty("productKey").GetString() == device.Pk && item.GetProperty("deviceKey").GetString() == device.Dk;

    private static async Task<JsonElement> DeviceInfoAsync(LiveShare share) =>
        await (await share.Recipient.Client.GetAsync($"{BindingApi.Base}/deviceInfo?{BindingApi.Query(("pk", share.Device.Pk), ("dk", share.Device.Dk))}")).ReadEnvelopeAsync();

    private async Task<List<string>> TencentSharedDeviceIdsAsync(Tenant.User user) =>
        (await Tencent(user).OkAsync("AppListUserShareDevices", new() { ["Offset"] = 0, ["Limit"] = 100 }))
            .GetProperty("ShareDevices").EnumerateArray().Select(d => d.GetProperty("DeviceId").GetString()!).ToList();

    private static async Task<bool> OwnerStillHoldsAsync(LiveShare share) =>
        (await ShareApi.DevicesAsync(share.Owner.Client)).Any(d => IsDevice(d, share.Device));

    private static async Task<List<string>> ShareUserIdsAsync(LiveShare share) =>
        (await ShareApi.UsersAsync(share.Owner.Client, share.Device.Pk, share.Device.Dk)).Data().EnumerateArray()
            .Select(u => u.GetProperty("userInfo").GetProperty("uid").GetString()!).ToList();

    private async Task<bool> DeviceExistsAsync(Tenant.Device device)
    {
        using var admin = fx.App.CreateAdminClient();
        return (await (await admin.GetAsync($"/admin/v1/products/{device.Pk}/devices/{device.Dk}")).ReadEnvelopeAsync()).Code() == 200;
    }
}
