using System.Net.Http.Json;
using Bindery.Binding;
using Bindery.Protocol;
using Bindery.Storage;
using Bindery.Sharing;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Binding;

/// <summary>
/// The binding-event outbox (docs/architecture.md, "Binding events (the outbox)"): every lifecycle path, driven through
/// the HTTP API, writes exactly its rows to <c>binding_events</c> in the same transaction; a refused bind writes none;
/// no column ever holds a secret.
/// </summary>
public sealed class BindingEventsTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private sealed class EventRow : Bindery.Binding.RecordedBindingEvent
    {
        public long Seq { get; set; }

        public IEnumerable<string?> Texts() =>
            [EventId, Kind, Pk, Dk, UserId, Fid, Method, BindingId, ShareId, OwnerUserId, ActorType, ActorId];
    }

    /// <summary>What a test expects of one event: kind, whose, method, verified, actor type and actor id.</summary>
    private sealed record Expected(string Kind, string? UserId, string? Method, bool? Verified, string ActorType, string? ActorId);

    private const string Columns =
        "seq, event_id, occurred_at, kind, pk, dk, user_id, fid, method, verified, binding_id, share_id, owner_user_id, actor_type, actor_id";

    private IDatabase Db => fx.App.Services.GetRequiredService<IDatabase>();

    private async Task<List<EventRow>> EventsAsync(Tenant.Device device) =>
        (await Db.ReadAsync(c => c.QueryAsync<EventRow>(
            $"SELECT {Columns} FROM binding_events WHERE pk = @Pk AND dk = @Dk ORDER BY seq", new { device.Pk, device.Dk }))).ToList();

    private static Expected User(string kind, Tenant.User whose, string? method, bool? verified, Tenant.User actor) =>
        new(kind, whose.Uid, method, verified, "user", actor.Uid);

    /// <summary>Asserts the device's events, in seq order, are exactly <paramref name="expected"/>, and holds no secret.</summary>
    private async Task<List<EventRow>> AssertEventsAsync(Tenant.Device device, Expected[] expected, params string[] secrets)
    {
        var events = await EventsAsync(device);
        Assert.Equal(expected, events.Select(e => new Expected(e.Kind, e.UserId, e.Method, e.Verified, e.ActorType, e.ActorId)).ToArray());
        Assert.All(events, e =>
        {
            Assert.Equal(device.Pk, e.Pk);
            Assert.Equal(device.Dk, e.Dk);
            Assert.Equal(24, e.EventId.Length);
            Assert.True(e.OccurredAt > 0);
        });
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(events.Select(e => e.Seq).Order(), events.Select(e => e.Seq));
        AssertNoSecret(events, [device.Sn, device.DeviceSecret, .. secrets]);
        return events;
    }

    private static void AssertNoSecret(IEnumerable<EventRow> events, string[] secrets)
    {
        foreach (var e in events)
        {
            foreach (var text in e.Texts().Where(t => t is not null))
            {
                foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
                {
                    Assert.DoesNotContain(secret, text!, StringComparison.Ordinal);
                }
            }
        }
    }

    private async Task<(Tenant.Device Device, DeviceClient Side)> DeviceAsync(int mode, string[] methods, Tenant? tenant = null)
    {
        var product = await (tenant ?? fx.Tenant).CreateProductAsync(mode, methods: methods);
        var device = await (tenant ?? fx.Tenant).CreateDeviceAsync(product.Pk);
        return (device, fx.DeviceClient(device));
    }

    private static async Task<string> ShareAsync(Tenant.User owner, Tenant.Device device, Tenant.User guest)
    {
        var envelope = await BindingApi.ShareAsync(owner.Client, device.Pk, device.Dk, guest.Username);
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data().GetString()!;
    }

    [Fact]
    public async Task A_wifi_bind_records_one_verified_bound_event()
    {
        var (device, side) = await DeviceAsync(2, ["WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var (authKey, code) = await BindingApi.BindWifiOkAsync(side, alice, device);

        var events = await AssertEventsAsync(device, [User("bound", alice, "WIFI", true, alice)], authKey, code, alice.Token, alice.Password);
        var bindingId = await Db.ReadAsync(c => c.ExecuteScalarAsync<string>(
            "SELECT binding_id FROM bindings WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk }));
        Assert.Equal(bindingId, events[0].BindingId);
        Assert.Null(events[0].Fid);
        Assert.Null(events[0].ShareId);
    }

    [Fact]
    public async Task An_sn_bind_records_an_unverified_bound_event_without_the_serial_number()
    {
        var (device, _) = await DeviceAsync(1, ["SN"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var authKey = await BindingApi.BindSnOkAsync(alice, device);
        await AssertEventsAsync(device, [User("bound", alice, "SN", false, alice)], authKey);
    }

    [Fact]
    public async Task A_pure_bt_bind_records_a_verified_bound_event()
    {
        var product = await fx.Tenant.CreateProductAsync(2, methods: ["BT"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var side = fx.DeviceClient(device);
        var alice = await fx.Tenant.CreateUserAsync();
        var code = await side.ReportNewCodeAsync();
        var newSecret = DeviceClient.NewSecret();
        var random = DeviceClient.NewSecret()[..16];
        var encryptedCode = PureBtCrypto.Encrypt(product.Ps, random, code);
        var envelope = await BindingApi.BindPureBtAsync(alice.Client, new Dictionary<string, object?>
        {
            ["pk"] = device.Pk,
            ["dk"] = device.Dk,
            ["random"] = random,
            ["signature"] = PureBtCrypto.Signature(device.Pk, device.Dk, encryptedCode, null, fx.Tenant.DomainSecret),
            ["encryptedBindingCode"] = encryptedCode,
            ["encryptedNewBindingSecret"] = PureBtCrypto.Encrypt(product.Ps, random, $"{device.Pk},{device.Dk},{newSecret}"),
        });
        Assert.True(envelope.Code() == 200, envelope.ToString());
        var authKey = envelope.Data().GetProperty("authKey").GetString()!;

        await AssertEventsAsync(device, [User("bound", alice, "BT", true, alice)], authKey, code, newSecret, product.Ps, fx.Tenant.DomainSecret);
    }

    [Fact]
    public async Task A_token_bind_and_a_tencent_delete_from_family_record_bound_and_unbound()
    {
        var (device, side) = await DeviceAsync(1, ["TOKEN"], fx.HomeTenant);
        var alice = await fx.HomeTenant.CreateUserAsync();
        var api = new TencentApi(fx.App.CreateClient(), alice.Token);
        var fid = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        var token = await api.CreateTokenAsync();
        await side.ReportTokenOkAsync(token);
        var bound = await api.BindAsync(token, device, fid);
        Assert.False(bound.TryGetProperty("Error", out _), bound.ToString());

        await api.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = fid, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });
        // Not in the family any more: refused, and nothing recorded.
        Assert.Equal("ResourceNotFound.DeviceNotExist",
            await api.ErrorAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = fid, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk }));

        var events = await AssertEventsAsync(device,
            [User("bound", alice, "TOKEN", true, alice), User("unbound", alice, "TOKEN", true, alice)], token, alice.Token);
        Assert.All(events, e => Assert.Equal(fid, e.Fid));
        Assert.Equal(events[0].BindingId, events[1].BindingId);
    }

    [Fact]
    public async Task An_unbind_records_unbound_by_the_holder()
    {
        var (device, _) = await DeviceAsync(2, ["SN"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var authKey = await BindingApi.BindSnOkAsync(alice, device);
        Assert.Equal(200, (await BindingApi.UnbindAsync(alice.Client, device.Pk, device.Dk)).Code());
        Assert.Equal(5052, (await BindingApi.UnbindAsync(alice.Client, device.Pk, device.Dk)).Code());

        await AssertEventsAsync(device, [User("bound", alice, "SN", false, alice), User("unbound", alice, "SN", false, alice)], authKey);
    }

    [Fact]
    public async Task Rotation_records_the_displaced_holder_and_their_shares_in_the_same_transaction_as_the_new_binding()
    {
        var (device, side) = await DeviceAsync(3, ["WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        var carol = await fx.Tenant.CreateUserAsync();
        var (aliceKey, aliceCode) = await BindingApi.BindWifiOkAsync(side, alice, device);
        var shareId = await ShareAsync(alice, device, carol);
        Assert.Equal(200, (await BindingApi.AcceptShareAsync(carol.Client, shareId)).Code());
        var (bobKey, bobCode) = await BindingApi.BindWifiOkAsync(side, bob, device);

        var events = await AssertEventsAsync(device,
        [
            User("bound", alice, "WIFI", true, alice),
            User("shared", carol, "SHARE", null, alice),
            User("share_accepted", carol, "SHARE", null, carol),
            User("displaced", alice, "WIFI", true, bob),
            User("unshared", carol, "SHARE", null, bob),
            User("bound", bob, "WIFI", true, bob),
        ], aliceKey, aliceCode, bobKey, bobCode);
        Assert.Equal(events[0].BindingId, events[3].BindingId);
        Assert.All(events.Where(e => e.Method == "SHARE"), e =>
        {
            Assert.Equal(shareId, DeviceSharing.ShareCodeOf(e.ShareId!));
            Assert.Equal(alice.Uid, e.OwnerUserId);
            Assert.Null(e.BindingId);
        });
        // The displacement, the share's end and the new binding committed together.
        Assert.Equal(events[3].OccurredAt, events[5].OccurredAt);
    }

    [Fact]
    public async Task A_proven_bind_records_the_displacement_of_unverified_holders_and_the_upgrade_of_the_callers_own()
    {
        var (device, side) = await DeviceAsync(1, ["SN", "WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        var aliceKey = await BindingApi.BindSnOkAsync(alice, device);
        fx.App.Clock.Advance(TimeSpan.FromMilliseconds(5));
        var bobSnKey = await BindingApi.BindSnOkAsync(bob, device);
        var (bobKey, code) = await BindingApi.BindWifiOkAsync(side, bob, device);
        // Once someone proved possession, an SN bind is refused and records nothing.
        Assert.Equal(5412, (await BindingApi.BindSnAsync(alice.Client, device.Pk, device.Sn)).Code());

        await AssertEventsAsync(device,
        [
            User("bound", alice, "SN", false, alice),
            User("bound", bob, "SN", false, bob),
            User("displaced", alice, "SN", false, bob),
            User("displaced", bob, "SN", false, bob),
            User("bound", bob, "WIFI", true, bob),
        ], aliceKey, bobSnKey, bobKey, code);
    }

    [Fact]
    public async Task A_factory_reset_records_reset_by_the_device_and_nothing_in_rotation_mode()
    {
        var (device, side) = await DeviceAsync(1, ["SN", "WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        var carol = await fx.Tenant.CreateUserAsync();
        var (aliceKey, code) = await BindingApi.BindWifiOkAsync(side, alice, device);
        await ShareAsync(alice, device, carol);
        fx.App.Clock.Advance(TimeSpan.FromMilliseconds(5));
        var (bobKey, bobCode) = await BindingApi.BindWifiOkAsync(side, bob, device);
        Assert.Equal(2, (await side.ResetAsync()).GetProperty("bindingsRemoved").GetInt32());

        await AssertEventsAsync(device,
        [
            User("bound", alice, "WIFI", true, alice),
            User("shared", carol, "SHARE", null, alice),
            User("bound", bob, "WIFI", true, bob),
            new("reset", alice.Uid, "WIFI", true, "device", null),
            new("unshared", carol.Uid, "SHARE", null, "device", null),
            new("reset", bob.Uid, "WIFI", true, "device", null),
        ], aliceKey, code, bobKey, bobCode);

        var (rotating, rotatingSide) = await DeviceAsync(3, ["WIFI"]);
        var (rotatingKey, rotatingCode) = await BindingApi.BindWifiOkAsync(rotatingSide, alice, rotating);
        Assert.Equal(0, (await rotatingSide.ResetAsync()).GetProperty("bindingsRemoved").GetInt32());
        await AssertEventsAsync(rotating, [User("bound", alice, "WIFI", true, alice)], rotatingKey, rotatingCode);
    }

    [Fact]
    public async Task Deleting_a_device_records_device_deleted_by_the_admin()
    {
        var (device, side) = await DeviceAsync(2, ["WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var carol = await fx.Tenant.CreateUserAsync();
        var (aliceKey, code) = await BindingApi.BindWifiOkAsync(side, alice, device);
        await ShareAsync(alice, device, carol);
        var deleted = await fx.App.CreateAdminClient().DeleteAsync($"/admin/v1/products/{device.Pk}/devices/{device.Dk}");
        Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());

        // The events outlive the device.
        await AssertEventsAsync(device,
        [
            User("bound", alice, "WIFI", true, alice),
            User("shared", carol, "SHARE", null, alice),
            new("device_deleted", alice.Uid, "WIFI", true, "admin", null),
            new("unshared", carol.Uid, "SHARE", null, "admin", null),
        ], aliceKey, code, BinderyApp.AdminKeyValue);
    }

    [Fact]
    public async Task Deleting_a_family_records_family_deleted_and_a_refused_delete_records_nothing()
    {
        var (device, _) = await DeviceAsync(1, ["SN"], fx.HomeTenant);
        var owner = await fx.HomeTenant.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(owner);
        var envelope = await BindingApi.BindSnAsync(owner.Client, device.Pk, device.Sn, ("fid", fid));
        Assert.True(envelope.Code() == 200, envelope.ToString());

        var refused = await (await owner.Client.DeleteAsync($"/v2/family/enduserapi/deleteFamily?fid={fid}")).ReadEnvelopeAsync();
        Assert.NotEqual(200, refused.Code());
        Assert.Empty(await FamilyEventsAsync(fid));

        Assert.Equal(200, (await BindingApi.UnbindAsync(owner.Client, device.Pk, device.Dk)).Code());
        Assert.Equal(200, (await (await owner.Client.DeleteAsync($"/v2/family/enduserapi/deleteFamily?fid={fid}")).ReadEnvelopeAsync()).Code());

        var deleted = Assert.Single(await FamilyEventsAsync(fid));
        Assert.Equal(("user", owner.Uid), (deleted.ActorType, deleted.ActorId));
        Assert.Null(deleted.Pk);
        Assert.Null(deleted.Dk);
        Assert.Null(deleted.UserId);
        Assert.Null(deleted.Method);
        Assert.Null(deleted.Verified);
        var all = await EventsAsync(device);
        Assert.Equal(new[] { "bound", "unbound" }, all.Select(e => e.Kind));
        Assert.All(all, e => Assert.Equal(fid, e.Fid));
        Assert.True(all[^1].Seq < deleted.Seq);
    }

    private async Task<List<EventRow>> FamilyEventsAsync(string fid) =>
        (await Db.ReadAsync(c => c.QueryAsync<EventRow>(
            $"SELECT {Columns} FROM binding_events WHERE fid = @Fid AND kind = 'family_deleted' ORDER BY seq", new { Fid = fid }))).ToList();

    [Fact]
    public async Task Sharing_accepting_and_leaving_record_shared_share_accepted_and_unshared()
    {
        var (device, side) = await DeviceAsync(1, ["WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var carol = await fx.Tenant.CreateUserAsync();
        var dave = await fx.Tenant.CreateUserAsync();
        var (aliceKey, code) = await BindingApi.BindWifiOkAsync(side, alice, device);
        var carolShare = await ShareAsync(alice, device, carol);
        Assert.Equal(Bindery.Infrastructure.Errors.AlreadyExists.Code, (await BindingApi.ShareByAsync(alice.Client, device.Pk, device.Dk, ("username", carol.Username), ("coverMark", 2))).Code());
        Assert.Equal(200, (await BindingApi.AcceptShareAsync(carol.Client, carolShare)).Code());
        Assert.Equal(Bindery.Infrastructure.Errors.AlreadyAcceptedShare.Code, (await BindingApi.AcceptShareAsync(carol.Client, carolShare)).Code());
        var left = await BindingApi.UnbindAsync(carol.Client, device.Pk, device.Dk);
        Assert.Equal(1, left.Data().GetProperty("bindingSum").GetInt32());
        // A pending share is moot once its recipient binds the device themselves.
        await ShareAsync(alice, device, dave);
        var (daveKey, daveCode) = await BindingApi.BindWifiOkAsync(side, dave, device);

        await AssertEventsAsync(device,
        [
            User("bound", alice, "WIFI", true, alice),
            User("shared", carol, "SHARE", null, alice),
            User("share_accepted", carol, "SHARE", null, carol),
            User("unshared", carol, "SHARE", null, carol),
            User("shared", dave, "SHARE", null, alice),
            User("bound", dave, "WIFI", true, dave),
            User("unshared", dave, "SHARE", null, dave),
        ], aliceKey, code, daveKey, daveCode);
    }

    [Fact]
    public async Task A_refused_bind_records_nothing()
    {
        var (device, side) = await DeviceAsync(2, ["SN", "WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        var (aliceKey, code) = await BindingApi.BindWifiOkAsync(side, alice, device);

        // 5412: owner mode, someone holds it (a fresh, valid code is consumed and rolled back).
        var bobCode = await side.ReportNewCodeAsync();
        Assert.Equal(5412, (await BindingApi.BindWifiAsync(bob.Client, BindingApi.WifiBody(device, bobCode))).Code());
        Assert.Equal(5412, (await BindingApi.BindSnAsync(bob.Client, device.Pk, device.Sn)).Code());
        // 5462: a wrong code (the failure counts commit, no event does).
        var (other, otherSide) = await DeviceAsync(2, ["WIFI"]);
        var otherCode = await otherSide.ReportNewCodeAsync();
        Assert.Equal(5462, (await BindingApi.BindWifiAsync(bob.Client, BindingApi.WifiBody(other, otherCode + "x"))).Code());
        // 5049: already yours.
        Assert.Equal(5049, (await BindingApi.BindWifiAsync(alice.Client, BindingApi.WifiBody(device, await side.ReportNewCodeAsync()))).Code());

        await AssertEventsAsync(device, [User("bound", alice, "WIFI", true, alice)], aliceKey, code, bobCode);
        Assert.Empty(await EventsAsync(other));
    }

    [Fact]
    public async Task A_bind_refused_after_it_displaced_someone_rolls_the_displacement_event_back_with_it()
    {
        // Step 8 (displacement) runs before step 9 (the family's device limit): a 9111 there undoes both the
        // displacement and its event, because the event is written in the same transaction.
        using var app = new BinderyApp(new Dictionary<string, string?> { ["Bindery:FamilyDeviceLimit"] = "1" });
        var tenant = await Tenant.CreateAsync(app, homeMode: true);
        var product = await tenant.CreateProductAsync(3, methods: ["WIFI"]);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var filler = await tenant.CreateDeviceAsync(product.Pk);
        var side = new DeviceClient(app.CreateClient(), device);
        var fillerSide = new DeviceClient(app.CreateClient(), filler);
        var alice = await tenant.CreateUserAsync();
        var bob = await tenant.CreateUserAsync();
        var aliceFamily = await Tenant.CreateFamilyAsync(alice);
        var bobFamily = await Tenant.CreateFamilyAsync(bob);
        async Task<int> BindAsync(Tenant.User user, DeviceClient deviceSide, Tenant.Device target, string fid)
        {
            var body = BindingApi.WifiBody(target, await deviceSide.ReportNewCodeAsync());
            body["fid"] = fid;
            return (await BindingApi.BindWifiAsync(user.Client, body)).Code();
        }
        Assert.Equal(200, await BindAsync(alice, side, device, aliceFamily));
        Assert.Equal(200, await BindAsync(bob, fillerSide, filler, bobFamily));

        Assert.Equal(9111, await BindAsync(bob, side, device, bobFamily));

        var events = (await app.Services.GetRequiredService<IDatabase>().ReadAsync(c => c.QueryAsync<EventRow>(
            $"SELECT {Columns} FROM binding_events WHERE pk = @Pk AND dk = @Dk ORDER BY seq", new { device.Pk, device.Dk }))).ToList();
        Assert.Equal([("bound", alice.Uid)], events.Select(e => (e.Kind, e.UserId)));
        Assert.Equal(1, (await BindingApi.ListAsync(alice.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Events_past_the_retention_are_pruned()
    {
        var (device, _) = await DeviceAsync(1, ["SN"]);
        var alice = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindSnOkAsync(alice, device);
        var pruner = fx.App.Services.GetRequiredService<BindingEventPruner>();
        Assert.Single(await EventsAsync(device));

        // Backdate the event past the 30-day default instead of moving the shared clock.
        var thirtyOneDays = (long)TimeSpan.FromDays(31).TotalMilliseconds;
        await Db.WriteAsync(tx => tx.ExecuteAsync(
            "UPDATE binding_events SET occurred_at = occurred_at - @Age WHERE pk = @Pk AND dk = @Dk", new { Age = thirtyOneDays, device.Pk, device.Dk }));
        Assert.True(await pruner.PruneAsync() >= 1);
        Assert.Empty(await EventsAsync(device));
    }

    [Fact]
    public async Task A_QR_secure_add_displaced_by_a_signature_binding_and_a_DK_binding_record_their_methods()
    {
        var (device, _) = await DeviceAsync(2, ["QR", "SIG"], fx.HomeTenant);
        var alice = await fx.HomeTenant.CreateUserAsync();
        var bob = await fx.HomeTenant.CreateUserAsync();
        var aliceApi = new TencentApi(fx.App.CreateClient(), alice.Token);
        var bobApi = new TencentApi(fx.App.CreateClient(), bob.Token);
        var aliceFid = (await aliceApi.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        var bobFid = (await bobApi.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        var qr = (await (await fx.App.CreateAdminClient().PostAsJsonAsync($"/admin/v1/products/{device.Pk}/devices/{device.Dk}/qr-signature", new { }))
            .ReadEnvelopeAsync()).Data().GetProperty("deviceSignature").GetString()!;
        await aliceApi.OkAsync("AppSecureAddDeviceInFamily", new() { ["FamilyId"] = aliceFid, ["DeviceSignature"] = qr });
        var ts = fx.App.Clock.GetUtcNow().ToUnixTimeSeconds();
        var signature = SignatureBindingTests.DeviceSignature(device, ts, "evnts");
        await bobApi.OkAsync("AppSigBindDeviceInFamily", new()
        {
            ["FamilyId"] = bobFid, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk, ["DeviceTimestamp"] = ts,
            ["ConnId"] = "evnts", ["Signature"] = signature,
        });
        await AssertEventsAsync(device,
            [User("bound", alice, "QR", false, alice), User("displaced", alice, "QR", false, bob), User("bound", bob, "SIG", true, bob)],
            qr, signature, alice.Token, bob.Token);

        var (dkDevice, side) = await DeviceAsync(1, ["DK"]);
        var carol = await fx.Tenant.CreateUserAsync();
        var code = await side.ReportNewCodeAsync();
        var dk = await (await carol.Client.PostAsync($"{BindingApi.Base}/bindDeviceDk?pk={dkDevice.Pk}&dk={dkDevice.Dk}&bindingCode={code}", null)).ReadEnvelopeAsync();
        Assert.Equal(200, dk.Code());
        await AssertEventsAsync(dkDevice, [User("bound", carol, "DK", true, carol)], code, carol.Token);
    }
}
