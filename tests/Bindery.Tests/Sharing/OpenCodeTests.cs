using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Sharing;

/// <summary>
/// Open share codes (<c>shareInfo</c>): the owner makes a code, whoever presents the full code first (same user
/// domain, not the owner, not already holding the device) gets the device as a share with an authKey of their own;
/// the code is single use, stored hashed, limited per device, and coverMark decides what happens to the previous one.
/// </summary>
public sealed class OpenCodeTests(SharingFixture fx) : IClassFixture<SharingFixture>
{
    private readonly ShareSteps _steps = new(fx);

    [Fact]
    public async Task An_open_code_is_accepted_once_and_gives_the_recipient_the_device_and_an_authKey_of_their_own()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var late = await fx.Tenant.CreateUserAsync();
        var sharingEnd = _steps.In(TimeSpan.FromDays(30));
        var code = await _steps.CodeAsync(owner, device, sharingEnd);
        Assert.Matches("^share_dv_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$", code);
        var handle = code[..("share_dv_".Length + 24)];

        Assert.Equal(Errors.CannotShareOwnDevice.Code, (await ShareApi.AcceptAsync(owner.Client, code)).Code());
        var accepted = await ShareSteps.AcceptOkAsync(guest, code, "Guest lamp");
        Assert.Equal((device.Pk, device.Dk, handle, owner.Uid),
            (accepted.GetProperty("pk").GetString(), accepted.GetProperty("dk").GetString(), accepted.GetProperty("shareCode").GetString(),
             accepted.GetProperty("ownerUid").GetString()));
        Assert.Equal(sharingEnd, accepted.GetProperty("sharingExpireAtTs").GetInt64());
        var authKey = accepted.GetProperty("authKey").GetString()!;

        // Single use: the recipient again 6040, anyone else 9201, once the secret is verified.
        Assert.Equal(Errors.AlreadyAcceptedShare.Code, (await ShareApi.AcceptAsync(guest.Client, code)).Code());
        Assert.Equal(Errors.ShareCodeUsed.Code, (await ShareApi.AcceptAsync(late.Client, code)).Code());
        // The handle alone is no bearer secret: it accepts nothing.
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(late.Client, handle)).Code());

        var shared = Assert.Single(await ShareApi.DevicesAsync(guest.Client));
        Assert.Equal((2, handle, owner.Uid, "Guest lamp"),
            (shared.GetProperty("deviceType").GetInt32(), shared.GetProperty("shareCode").GetString(), shared.GetProperty("ownerUid").GetString(),
             shared.GetProperty("deviceName").GetString()));
        Assert.Equal(sharingEnd, shared.GetProperty("sharingExpireTimeTs").GetInt64());
        Assert.Equal(QuectelFields.Time(sharingEnd), shared.GetProperty("sharingExpireAt").GetString());
        Assert.Empty(await ShareApi.DevicesAsync(late.Client));

        Assert.Equal((true, "SHARE"), await _steps.VerifyAsync(device, authKey));
        Assert.Equal(
            [("shared", null, "user", owner.Uid), ("share_accepted", guest.Uid, "user", guest.Uid)],
            (await _steps.ShareEventsAsync(device)).Select(e => (e.Kind, e.UserId, e.ActorType, e.ActorId)).ToArray());
    }

    [Fact]
    public async Task The_database_holds_only_the_hash_of_a_codes_secret_and_of_the_recipients_authKey()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var code = await _steps.CodeAsync(owner, device);
        var secret = code[("share_dv_".Length + 25)..];
        var authKey = (await ShareSteps.AcceptOkAsync(guest, code)).GetProperty("authKey").GetString()!;

        var row = await _steps.Db.ReadAsync(c => c.QuerySingleAsync<(string ShareId, string CodeHash, string AuthKeyHash)>(
            "SELECT share_id, code_hash, auth_key_hash FROM device_shares WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk }));
        Assert.Equal(Secrets.Sha256Hex(secret), row.CodeHash);
        Assert.Equal(Secrets.Sha256Hex(authKey), row.AuthKeyHash);
        var texts = await _steps.Db.ReadAsync(c => c.QueryAsync<string?>(
            """
            SELECT share_id FROM device_shares UNION ALL SELECT code_hash FROM device_shares UNION ALL SELECT auth_key_hash FROM device_shares
            UNION ALL SELECT device_name FROM device_shares UNION ALL SELECT share_id FROM binding_events UNION ALL SELECT event_id FROM binding_events
            """));
        Assert.DoesNotContain(texts, t => t is not null && (t.Contains(secret, StringComparison.Ordinal) || t.Contains(authKey, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ShareInfo_refuses_missing_and_out_of_range_terms_and_anyone_but_a_verified_holder()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var stranger = await fx.Tenant.CreateUserAsync();
        var hour = _steps.In(TimeSpan.FromHours(1));

        Assert.Equal(Errors.ShareAcceptingExpireMissing.Code, (await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, null)).Code());
        Assert.Equal(Errors.ProductKeyMissing.Code, (await ShareApi.ShareInfoAsync(owner.Client, null, device.Dk, hour)).Code());
        Assert.Equal(Errors.DeviceKeyMissing.Code, (await ShareApi.ShareInfoAsync(owner.Client, device.Pk, null, hour)).Code());
        Assert.Equal(Errors.ShareCoverMarkOutOfRange.Code, (await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, hour, coverMark: 4)).Code());
        Assert.Equal(Errors.InvalidParameterValue.Code, (await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, _steps.Now - 1000)).Code());
        Assert.Equal(Errors.InvalidParameterValue.Code,
            (await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, _steps.In(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1)))).Code());
        Assert.Equal(Errors.SharingBeforeAccepting.Code, (await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, hour, hour)).Code());
        Assert.Equal(Errors.DeviceNotBound.Code, (await ShareApi.ShareInfoAsync(stranger.Client, device.Pk, device.Dk, hour)).Code());

        // An SN binding proves nothing: it cannot hand the device on.
        var product = await fx.Tenant.CreateProductAsync(1, methods: ["SN", "WIFI"]);
        var snDevice = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var snUser = await fx.Tenant.CreateUserAsync();
        Assert.Equal(200, (await BindingApi.BindSnAsync(snUser.Client, snDevice.Pk, snDevice.Sn)).Code());
        Assert.Equal(Errors.UnverifiedBindingCannotShare.Code, (await ShareApi.ShareInfoAsync(snUser.Client, snDevice.Pk, snDevice.Dk, hour)).Code());

        // A recipient cannot re-share.
        var guest = await fx.Tenant.CreateUserAsync();
        await ShareSteps.AcceptOkAsync(guest, await _steps.CodeAsync(owner, device));
        Assert.Equal(Errors.DeviceNotBound.Code, (await ShareApi.ShareInfoAsync(guest.Client, device.Pk, device.Dk, hour)).Code());
    }

    [Fact]
    public async Task CoverMark_1_replaces_the_pending_code_2_adds_alongside_3_replaces_only_a_code_whose_time_is_not_cut()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var day = _steps.In(TimeSpan.FromDays(1));
        var week = _steps.In(TimeSpan.FromDays(6));

        var first = await _steps.CodeAsync(owner, device, sharingExpireAt: week);
        var second = await _steps.CodeAsync(owner, device, sharingExpireAt: week, coverMark: 2);
        // 3 with an earlier end than a live code's: refused, both stay.
        Assert.Equal(Errors.ShareNotExtended.Code,
            (await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, _steps.In(TimeSpan.FromHours(1)), day, 3)).Code());
        // 3 with the same end (not cut) replaces both.
        var third = await _steps.CodeAsync(owner, device, sharingExpireAt: week, coverMark: 3);
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guest.Client, first)).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guest.Client, second)).Code());
        // 1 (the default) replaces the pending code whatever its time.
        var fourth = await _steps.CodeAsync(owner, device, sharingExpireAt: day);
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guest.Client, third)).Code());
        await ShareSteps.AcceptOkAsync(guest, fourth);

        // An accepted share is never replaced by a new code.
        var fifth = await _steps.CodeAsync(owner, device);
        Assert.Single(await ShareApi.DevicesAsync(guest.Client));
        Assert.NotEqual(fourth, fifth);
        var kinds = (await _steps.ShareEventsAsync(device)).Select(e => e.Kind).ToList();
        Assert.Equal(["shared", "shared", "unshared", "unshared", "shared", "unshared", "shared", "share_accepted", "shared"], kinds);
    }

    [Fact]
    public async Task A_code_past_its_accepting_time_is_invalid_and_an_accepted_share_past_its_sharing_time_is_gone_at_once()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var guest = await fx.Tenant.CreateUserAsync();
        var slow = await fx.Tenant.CreateUserAsync();
        var code = ShareApi.Ok(await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, _steps.In(TimeSpan.FromMinutes(1)), _steps.In(TimeSpan.FromMinutes(3)), 2));
        var late = ShareApi.Ok(await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, _steps.In(TimeSpan.FromMinutes(1)), coverMark: 2));
        var authKey = (await ShareSteps.AcceptOkAsync(guest, code)).GetProperty("authKey").GetString()!;

        await _steps.WithClockAdvancedAsync(TimeSpan.FromMinutes(2), async () =>
        {
            // The accepting window is over: the same refusal as a code that never existed.
            Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(slow.Client, late)).Code());
            Assert.Equal((true, "SHARE"), await _steps.VerifyAsync(device, authKey));
        });
        await _steps.WithClockAdvancedAsync(TimeSpan.FromMinutes(4), async () =>
        {
            // The sharing time is over: the list, the authKey and the owner's list of users refuse at once.
            Assert.Empty(await ShareApi.DevicesAsync(guest.Client));
            Assert.Equal((false, null), await _steps.VerifyAsync(device, authKey));
            Assert.Empty((await ShareApi.UsersAsync(owner.Client, device.Pk, device.Dk)).Data().EnumerateArray());
            Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.RenameAsync(guest.Client, code, "x")).Code());
            // The pruner deletes both rows, each as unshared by the system.
            var pruner = fx.App.Services.GetRequiredService<Bindery.Sharing.SharePruner>();
            Assert.True(await pruner.PruneAsync() >= 2);
        });
        var events = await _steps.ShareEventsAsync(device);
        Assert.Equal(2, events.Count(e => e is { Kind: "unshared", ActorType: "system", ActorId: null }));
        Assert.Equal(0L, await _steps.Db.ReadAsync(c => c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM device_shares WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk })));
    }

    [Fact]
    public async Task Pending_codes_and_shares_per_device_and_shared_devices_per_recipient_are_limited()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        for (var i = 0; i < SharingFixture.OpenCodesPerDevice; i++)
        {
            await _steps.CodeAsync(owner, device, coverMark: 2);
        }
        Assert.Equal(Errors.DeviceShareLimit.Code,
            (await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, _steps.In(TimeSpan.FromHours(1)), coverMark: 2)).Code());
        // Invitations fill the rest of the device's shares.
        for (var i = SharingFixture.OpenCodesPerDevice; i < SharingFixture.SharesPerDevice; i++)
        {
            var user = await fx.Tenant.CreateUserAsync();
            ShareApi.Ok(await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", user.Uid)));
        }
        var one = await fx.Tenant.CreateUserAsync();
        Assert.Equal(Errors.DeviceShareLimit.Code, (await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", one.Uid))).Code());

        // A recipient holds at most SharedDevicesPerUser shared devices.
        var collector = await fx.Tenant.CreateUserAsync();
        for (var i = 0; i < SharingFixture.SharedDevicesPerUser; i++)
        {
            var (other, otherOwner, _) = await _steps.OwnedDeviceAsync();
            await ShareSteps.AcceptOkAsync(collector, await _steps.CodeAsync(otherOwner, other));
        }
        var (last, lastOwner, _) = await _steps.OwnedDeviceAsync();
        Assert.Equal(Errors.UserShareLimit.Code, (await ShareApi.AcceptAsync(collector.Client, await _steps.CodeAsync(lastOwner, last))).Code());
    }

    [Fact]
    public async Task Fifty_recipients_racing_for_one_code_one_wins_and_one_share_accepted_is_written()
    {
        var (device, owner, _) = await _steps.OwnedDeviceAsync();
        var code = await _steps.CodeAsync(owner, device);
        var users = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fx.Tenant.CreateUserAsync()));

        var answers = await Task.WhenAll(users.Select(u => ShareApi.AcceptAsync(u.Client, code)));

        Assert.Single(answers, a => a.Code() == 200);
        Assert.Equal(49, answers.Count(a => a.Code() == Errors.ShareCodeUsed.Code));
        Assert.Single(await _steps.ShareEventsAsync(device), e => e.Kind == "share_accepted");
        Assert.Equal(1L, await _steps.Db.ReadAsync(c => c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM device_shares WHERE pk = @Pk AND dk = @Dk AND accepted_at IS NOT NULL", new { device.Pk, device.Dk })));
    }
}
