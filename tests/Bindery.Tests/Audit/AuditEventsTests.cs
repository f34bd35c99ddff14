using System.Net;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Homes;
using Bindery.Tests.Sharing;
using Bindery.Tests.Support;

namespace Bindery.Tests.Audit;

/// <summary>
/// GET /admin/v1/audit/events (docs/events.md, "Audit log"): every lifecycle path shows up as its entry, newest
/// first, with no secret anywhere in the answer; the filters narrow it; the cursor pages it stably while events keep
/// arriving; bad filters answer the admin envelope with the audit codes; the admin key is required.
/// </summary>
public sealed class AuditEventsTests(AuditFixture fx) : IClassFixture<AuditFixture>
{
    private async Task<(Tenant.Device Device, DeviceClient Side)> DeviceAsync(int mode, string[] methods)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, methods: methods);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        return (device, fx.DeviceClient(device));
    }

    private static (string?, string?, string?, string?, string?) Entry(string kind, Tenant.User? whose, string method, string actorType, Tenant.User? actor) =>
        (kind, whose?.Uid, method, actorType, actor?.Uid);

    private Task<AuditAnswer> DeviceEventsAsync(Tenant.Device device, params (string Name, object? Value)[] more) =>
        AuditApi.OkAsync(AuditApi.EventsAsync(fx.App, [("pk", device.Pk), ("dk", device.Dk), .. more]));

    [Fact]
    public async Task Bind_displacement_sharing_unbind_and_reset_each_show_their_entry_newest_first_without_a_secret()
    {
        var (device, side) = await DeviceAsync(1, ["SN", "WIFI"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        var carol = await fx.Tenant.CreateUserAsync();
        var dave = await fx.Tenant.CreateUserAsync();

        var aliceKey = await BindingApi.BindSnOkAsync(alice, device);
        var (bobKey, bobCode) = await BindingApi.BindWifiOkAsync(side, bob, device);
        var shareCode = ShareApi.Ok(await ShareApi.ShareInfoAsync(bob.Client, device.Pk, device.Dk, fx.App.Clock.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds()));
        var carolKey = (await ShareSteps.AcceptOkAsync(carol, shareCode)).GetProperty("authKey").GetString();
        Assert.Equal(200, (await ShareApi.RevokeAsync(bob.Client, shareCode)).Code());
        Assert.Equal(200, (await BindingApi.UnbindAsync(bob.Client, device.Pk, device.Dk)).Code());
        var (daveKey, daveCode) = await BindingApi.BindWifiOkAsync(side, dave, device);
        await side.ResetAsync();

        var answer = await DeviceEventsAsync(device);
        Assert.Equal(
        [
            Entry("reset", dave, "WIFI", "device", null),
            Entry("bound", dave, "WIFI", "user", dave),
            Entry("unbound", bob, "WIFI", "user", bob),
            Entry("unshared", carol, "SHARE", "user", bob),
            Entry("share_accepted", carol, "SHARE", "user", carol),
            // An open code names no recipient until someone accepts it.
            Entry("shared", null, "SHARE", "user", bob),
            Entry("bound", bob, "WIFI", "user", bob),
            Entry("displaced", alice, "SN", "user", bob),
            Entry("bound", alice, "SN", "user", alice),
        ], answer.List.Select(AuditApi.Summary).ToArray());
        var seqs = answer.List.Select(e => e.GetProperty("seq").GetInt64()).ToArray();
        Assert.Equal(seqs.OrderDescending(), seqs);
        Assert.All(answer.List, e =>
        {
            Assert.Equal(device.Pk, e.Text("pk"));
            Assert.Equal(device.Dk, e.Text("dk"));
            Assert.Equal(24, e.Text("eventId")!.Length);
            Assert.True(e.GetProperty("occurredAt").GetInt64() > 0);
        });
        Assert.Equal(answer.List[^1].Text("bindingId"), answer.List[^2].Text("bindingId"));
        Assert.False(answer.List[^1].GetProperty("verified").GetBoolean());
        Assert.True(answer.List[^3].GetProperty("verified").GetBoolean());
        Assert.Equal(bob.Uid, answer.List[3].Text("ownerUserId"));
        Assert.NotNull(answer.List[3].Text("shareId"));
        Assert.Null(answer.NextCursor);
        answer.AssertHoldsNone(device.Sn, device.DeviceSecret, aliceKey, bobKey, bobCode, shareCode, carolKey, daveKey, daveCode,
            alice.Token, alice.Password, bob.Token, bob.Password, carol.Token, dave.Token);
    }

    [Fact]
    public async Task Leaving_a_family_shows_left_family_filtered_by_the_family()
    {
        var product = await fx.HomeTenant.CreateProductAsync(1, methods: ["SN"]);
        var device = await fx.HomeTenant.CreateDeviceAsync(product.Pk);
        var owner = await fx.HomeTenant.CreateUserAsync();
        var member = await fx.HomeTenant.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(owner);
        await Tenant.AddMemberAsync(owner, fid, member, 2);
        Assert.Equal(200, (await BindingApi.BindSnAsync(member.Client, device.Pk, device.Sn, ("fid", fid))).Code());
        Assert.Equal(200, (await Members.LeaveAsync(member, fid)).Code());

        var answer = await AuditApi.OkAsync(AuditApi.EventsAsync(fx.App, ("fid", fid)));
        Assert.Equal([Entry("left_family", member, "SN", "user", member), Entry("bound", member, "SN", "user", member)],
            answer.List.Select(AuditApi.Summary).ToArray());
        Assert.All(answer.List, e => Assert.Equal(fid, e.Text("fid")));
        var left = await AuditApi.OkAsync(AuditApi.EventsAsync(fx.App, ("userId", member.Uid), ("kind", "left_family")));
        Assert.Equal(device.Dk, Assert.Single(left.List).Text("dk"));
    }

    [Fact]
    public async Task Kind_user_and_time_filters_narrow_the_listing()
    {
        var (device, _) = await DeviceAsync(1, ["SN"]);
        var alice = await fx.Tenant.CreateUserAsync();
        var bob = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindSnOkAsync(alice, device);
        await BindingApi.BindSnOkAsync(bob, device);
        Assert.Equal(200, (await BindingApi.UnbindAsync(alice.Client, device.Pk, device.Dk)).Code());

        var listed = await DeviceEventsAsync(device);
        var all = listed.List;
        Assert.Equal(["unbound", "bound", "bound"], listed.Field("kind"));
        Assert.Equal(["bound", "bound"], (await DeviceEventsAsync(device, ("kind", "bound"))).Field("kind"));
        Assert.Equal(3, (await DeviceEventsAsync(device, ("kind", "bound,unbound"))).List.Length);
        Assert.Equal(3, (await DeviceEventsAsync(device, ("kind", "bound"), ("kind", "unbound"))).List.Length);
        Assert.Empty((await DeviceEventsAsync(device, ("kind", "reset"))).List);
        Assert.Equal([alice.Uid, alice.Uid], (await DeviceEventsAsync(device, ("userId", alice.Uid))).Field("userId"));
        // The device alone (no dk) covers every device of the product: here only this one.
        Assert.Equal(3, (await AuditApi.OkAsync(AuditApi.EventsAsync(fx.App, ("pk", device.Pk)))).List.Length);

        var newest = all[0].GetProperty("occurredAt").GetInt64();
        var oldest = all[^1].GetProperty("occurredAt").GetInt64();
        Assert.Empty((await DeviceEventsAsync(device, ("from", newest + 1))).List);
        Assert.Empty((await DeviceEventsAsync(device, ("to", oldest - 1))).List);
        Assert.Equal(3, (await DeviceEventsAsync(device, ("from", oldest), ("to", newest))).List.Length);
    }

    [Fact]
    public async Task The_cursor_pages_newest_first_and_events_inserted_between_pages_shift_nothing()
    {
        var (device, _) = await DeviceAsync(1, ["SN"]);
        var alice = await fx.Tenant.CreateUserAsync();
        for (var i = 0; i < 3; i++)
        {
            await BindingApi.BindSnOkAsync(alice, device);
            Assert.Equal(200, (await BindingApi.UnbindAsync(alice.Client, device.Pk, device.Dk)).Code());
        }
        var everything = (await DeviceEventsAsync(device)).Field("eventId");
        Assert.Equal(6, everything.Length);

        var first = await DeviceEventsAsync(device, ("limit", 4));
        Assert.Equal(everything[..4], first.Field("eventId"));
        Assert.NotNull(first.NextCursor);
        // Two more events arrive before the next page is asked for: the next page goes on where the first ended.
        await BindingApi.BindSnOkAsync(alice, device);
        Assert.Equal(200, (await BindingApi.UnbindAsync(alice.Client, device.Pk, device.Dk)).Code());
        var second = await DeviceEventsAsync(device, ("limit", 4), ("cursor", first.NextCursor));
        Assert.Equal(everything[4..], second.Field("eventId"));
        Assert.Null(second.NextCursor);

        // Exactly a page's worth left: the page before it still says there is no more after it.
        var exact = await DeviceEventsAsync(device, ("limit", 8));
        Assert.Equal(8, exact.List.Length);
        Assert.Null(exact.NextCursor);
        var byTwo = await DeviceEventsAsync(device, ("limit", 2));
        var next = await DeviceEventsAsync(device, ("limit", 2), ("cursor", byTwo.NextCursor));
        Assert.Equal(exact.List[2..4].Select(e => e.Text("eventId")), next.List.Select(e => e.Text("eventId")));
    }

    public static TheoryData<string, string, string> BadFilters => new()
    {
        { "events", "cursor=not-a-cursor", nameof(Errors.AuditCursorInvalid) },
        { "events", "cursor=djE6cjoxMA", nameof(Errors.AuditCursorInvalid) },
        { "events", "limit=0", nameof(Errors.AuditLimitOutOfRange) },
        { "events", "limit=501", nameof(Errors.AuditLimitOutOfRange) },
        { "events", "limit=ten", nameof(Errors.AuditLimitOutOfRange) },
        { "events", "from=20&to=10", nameof(Errors.AuditTimeRangeInvalid) },
        { "events", "from=yesterday", nameof(Errors.AuditTimeRangeInvalid) },
        { "events", "kind=bound,stolen", nameof(Errors.AuditKindUnknown) },
        { "events", "dk=869900010000017", nameof(Errors.AuditFilterInvalid) },
        { "events", "pk=a&pk=b", nameof(Errors.AuditFilterInvalid) },
        { "events", "userId=" + "u123456789" + "u123456789u123456789u123456789u123456789u123456789u123456789u123456789u123456789u123456789u123456789u123456789u123456789u123456789", nameof(Errors.AuditFilterInvalid) },
        { "refusals", "reason=bored", nameof(Errors.AuditReasonUnknown) },
        { "refusals", "limit=-1", nameof(Errors.AuditLimitOutOfRange) },
        { "refusals", "cursor=djE6ZToxMA", nameof(Errors.AuditCursorInvalid) },
        { "refusals", "from=5&to=4", nameof(Errors.AuditTimeRangeInvalid) },
    };

    [Theory]
    [MemberData(nameof(BadFilters))]
    public async Task A_bad_filter_answers_the_admin_envelope_with_its_audit_code(string listing, string query, string error)
    {
        var expected = Errors.All.Single(e => e.Name == error);
        var answer = await AuditApi.GetAsync(fx.App.CreateAdminClient(), $"/admin/v1/audit/{listing}?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(expected.Code, answer.Code);
        Assert.Equal(expected.English, answer.Envelope.GetProperty("msg").GetString());
        Assert.InRange(expected.Code, 9401, 9409);
    }

    [Theory]
    [InlineData("events", null)]
    [InlineData("refusals", null)]
    [InlineData("events", "wrong-admin-key-0123456789")]
    public async Task Without_the_admin_key_nothing_is_listed(string listing, string? key)
    {
        var client = fx.App.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Admin-Key", key);
        }
        var answer = await AuditApi.GetAsync(client, $"/admin/v1/audit/{listing}");
        Assert.Equal(Errors.AdminKeyInvalid.Code, answer.Code);
        Assert.Equal(Errors.AdminKeyInvalid.HttpStatus, (int)answer.Status);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, answer.Envelope.GetProperty("data").ValueKind);
    }
}
