using Bindery.Audit;
using Bindery.Infrastructure;
using Bindery.Storage;
using Bindery.Tests.Binding;
using Bindery.Tests.Homes;
using Bindery.Tests.Sharing;
using Bindery.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Audit;

/// <summary>
/// GET /admin/v1/audit/refusals (docs/events.md, "Audit log"): each refusal that matters for support and security —
/// a subject locked out by a guess limit, a bindingCode voided by wrong guesses, a replayed device request, a device
/// whose signatures keep failing — shows up once, with its reason and public ids only: no code, token, secret,
/// password, serial number or nonce anywhere in the answer. The counters move with them; old rows are pruned.
/// </summary>
public sealed class AuditRefusalsTests(AuditFixture fx) : IClassFixture<AuditFixture>
{
    private IDatabase Db => fx.App.Services.GetRequiredService<IDatabase>();

    private Task<AuditAnswer> RefusalsAsync(params (string Name, object? Value)[] query) =>
        AuditApi.OkAsync(AuditApi.RefusalsAsync(fx.App, query));

    [Fact]
    public async Task Wrong_binding_codes_void_the_code_then_lock_the_user_out_each_recorded_once()
    {
        using var lockouts = new InstrumentProbe(fx.App, "bindery.guess.lockouts", "proof");
        using var refusals = new InstrumentProbe(fx.App, "bindery.security.refusals", "reason");
        var product = await fx.Tenant.CreateProductAsync(1, methods: ["WIFI"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var side = fx.DeviceClient(device);
        var alice = await fx.Tenant.CreateUserAsync();
        var firstCode = await side.ReportNewCodeAsync();
        var guesses = Enumerable.Range(0, 3).Select(_ => DeviceClient.NewCode()).ToArray();

        // Two wrong guesses void the code (FailuresPerCode 2); a third, against a fresh code, locks alice out (FailuresPerUser 3).
        foreach (var guess in guesses[..2])
        {
            Assert.Equal(Errors.BindingCodeVerificationFailed.Code, (await BindingApi.BindWifiAsync(alice.Client, BindingApi.WifiBody(device, guess))).Code());
        }
        Assert.Equal(Errors.BindingCodeVerificationFailed.Code, (await BindingApi.BindWifiAsync(alice.Client, BindingApi.WifiBody(device, firstCode))).Code());
        var secondCode = await side.ReportNewCodeAsync();
        Assert.Equal(Errors.BindingCodeVerificationFailed.Code, (await BindingApi.BindWifiAsync(alice.Client, BindingApi.WifiBody(device, guesses[2]))).Code());
        Assert.Equal(Errors.TooManyAttempts.Code, (await BindingApi.BindWifiAsync(alice.Client, BindingApi.WifiBody(device, secondCode))).Code());

        var byDevice = await RefusalsAsync(("pk", device.Pk), ("dk", device.Dk));
        Assert.Equal([(RefusalReasons.VoidedCode, RefusalSubjects.Device, RefusalProofs.BindCode, null, device.Pk, device.Dk)],
            byDevice.List.Select(AuditApi.Refusal).ToArray());
        var byUser = await RefusalsAsync(("userId", alice.Uid));
        Assert.Equal([(RefusalReasons.LockedOut, RefusalSubjects.User, RefusalProofs.Bind, alice.Uid, null, null)],
            byUser.List.Select(AuditApi.Refusal).ToArray());
        Assert.True(byUser.List[0].GetProperty("occurredAt").GetInt64() >= byDevice.List[0].GetProperty("occurredAt").GetInt64());
        Assert.Single((await RefusalsAsync(("userId", alice.Uid), ("reason", "locked_out,voided_code"))).List);
        Assert.Empty((await RefusalsAsync(("userId", alice.Uid), ("reason", RefusalReasons.ReplayedNonce))).List);
        foreach (var answer in new[] { byDevice, byUser })
        {
            answer.AssertHoldsNone([firstCode, secondCode, .. guesses, alice.Token, alice.Password, device.Sn, device.DeviceSecret]);
        }
        Assert.True(lockouts[RefusalProofs.Bind] >= 1);
        Assert.True(refusals[RefusalReasons.VoidedCode] >= 1);
    }

    [Fact]
    public async Task Share_code_guesses_lock_out_the_user_and_then_the_whole_user_domain()
    {
        var tenant = await Tenant.CreateAsync(fx.App);
        var product = await tenant.CreateProductAsync(1, methods: ["WIFI"]);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var owner = await tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx, owner, device);
        var code = ShareApi.Ok(await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, fx.App.Clock.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds()));
        var wrong = code[..^4] + (code.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        var guesser = await tenant.CreateUserAsync();
        var another = await tenant.CreateUserAsync();

        // Sharing:FailuresPerUser 2, FailuresPerUserDomain 3.
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guesser.Client, wrong)).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(guesser.Client, "share_dv_nothing")).Code());
        Assert.Equal(Errors.TooManyAttempts.Code, (await ShareApi.AcceptAsync(guesser.Client, code)).Code());
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(another.Client, wrong)).Code());
        Assert.Equal(Errors.TooManyAttempts.Code, (await ShareApi.AcceptAsync(owner.Client, wrong)).Code());

        var answer = await RefusalsAsync(("userDomain", tenant.DomainId));
        Assert.Equal(
        [
            (RefusalReasons.LockedOut, RefusalSubjects.Domain, RefusalProofs.ShareCode, another.Uid, null, null),
            (RefusalReasons.LockedOut, RefusalSubjects.User, RefusalProofs.ShareCode, guesser.Uid, null, null),
        ], answer.List.Select(AuditApi.Refusal).ToArray());
        Assert.All(answer.List, e => Assert.Equal(tenant.DomainId, e.Text("userDomain")));
        answer.AssertHoldsNone(code, wrong, tenant.DomainSecret, guesser.Token, guesser.Password, another.Token, owner.Token);
    }

    [Fact]
    public async Task Family_invitation_guesses_lock_the_user_out()
    {
        var owner = await fx.HomeTenant.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(owner);
        var guesser = await fx.HomeTenant.CreateUserAsync();
        // Families:GuessesPerUser 2: an invitation that does not exist counts.
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(guesser, fid, 1)).Code());
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(guesser, fid, 1)).Code());
        Assert.Equal(Errors.TooManyAttempts.Code, (await Members.HandleAsync(guesser, fid, 1)).Code());

        var answer = await RefusalsAsync(("userId", guesser.Uid));
        Assert.Equal([(RefusalReasons.LockedOut, RefusalSubjects.User, RefusalProofs.FamilyInvite, guesser.Uid, null, null)],
            answer.List.Select(AuditApi.Refusal).ToArray());
        Assert.Equal(fx.HomeTenant.DomainId, answer.List[0].Text("userDomain"));
        answer.AssertHoldsNone(guesser.Token, guesser.Password);
    }

    [Fact]
    public async Task A_replayed_device_request_is_recorded_once_a_minute_per_device_and_counted_every_time()
    {
        using var refusals = new InstrumentProbe(fx.App, "bindery.security.refusals", "reason");
        var product = await fx.Tenant.CreateProductAsync(1, methods: ["WIFI"]);
        var reporter = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var other = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var nonce = DeviceClient.NewNonce();
        var code = DeviceClient.NewCode();
        var secret = DeviceClient.NewSecret();
        var reporterSide = fx.DeviceClient(reporter);
        var otherSide = fx.DeviceClient(other);

        // A code report spends its nonce in the report's own write; a binding-secret report spends it first.
        var body = new { bindingCode = code, lifetime = 600 };
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.Equal(200, (await (await reporterSide.SendAsync(HttpMethod.Post, "/device/v1/binding-code", body, timestamp, nonce)).ReadEnvelopeAsync()).Code());
        for (var i = 0; i < 2; i++)
        {
            var replay = await (await reporterSide.SendAsync(HttpMethod.Post, "/device/v1/binding-code", body, timestamp, nonce)).ReadEnvelopeAsync();
            Assert.Equal(Errors.DeviceAuthFailed.Code, replay.Code());
        }
        var secretBody = new { bindingSecret = secret };
        Assert.Equal(200, (await (await otherSide.SendAsync(HttpMethod.Post, "/device/v1/binding-secret", secretBody, timestamp, nonce)).ReadEnvelopeAsync()).Code());
        Assert.Equal(Errors.DeviceAuthFailed.Code, (await (await otherSide.SendAsync(HttpMethod.Post, "/device/v1/binding-secret", secretBody, timestamp, nonce)).ReadEnvelopeAsync()).Code());

        var answer = await RefusalsAsync(("pk", product.Pk), ("reason", RefusalReasons.ReplayedNonce));
        Assert.Equal(
        [
            (RefusalReasons.ReplayedNonce, RefusalSubjects.Device, RefusalProofs.DeviceSignature, null, other.Pk, other.Dk),
            (RefusalReasons.ReplayedNonce, RefusalSubjects.Device, RefusalProofs.DeviceSignature, null, reporter.Pk, reporter.Dk),
        ], answer.List.Select(AuditApi.Refusal).ToArray());
        Assert.Equal(3, refusals[RefusalReasons.ReplayedNonce]);
        answer.AssertHoldsNone(nonce, code, secret, reporter.DeviceSecret, other.DeviceSecret, reporter.Sn, other.Sn);
    }

    [Fact]
    public async Task A_device_whose_signatures_keep_failing_is_recorded_at_the_warning_threshold()
    {
        var product = await fx.Tenant.CreateProductAsync(1, methods: ["WIFI"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var side = fx.DeviceClient(device);
        const string wrongSecret = "not-the-device-secret-at-all";
        for (var i = 0; i < Bindery.Devices.DeviceVerifier.FailureWarningThreshold + 1; i++)
        {
            var refused = await (await side.SendAsync(HttpMethod.Post, "/device/v1/reset", new { }, secret: wrongSecret)).ReadEnvelopeAsync();
            Assert.Equal(Errors.DeviceAuthFailed.Code, refused.Code());
        }
        var answer = await RefusalsAsync(("pk", device.Pk), ("dk", device.Dk));
        Assert.Equal([(RefusalReasons.SignatureFailures, RefusalSubjects.Device, RefusalProofs.DeviceSignature, null, device.Pk, device.Dk)],
            answer.List.Select(AuditApi.Refusal).ToArray());
        answer.AssertHoldsNone(wrongSecret, device.DeviceSecret, device.Sn);
    }

    [Fact]
    public async Task Refusals_page_by_cursor_and_past_their_retention_are_pruned()
    {
        var product = await fx.Tenant.CreateProductAsync(1, methods: ["WIFI"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var now = fx.App.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var audit = fx.App.Services.GetRequiredService<SecurityAudit>();
        await Db.WriteAsync(tx => audit.RecordAsync(tx, now,
            new SecurityEvent(RefusalReasons.VoidedCode, RefusalSubjects.Device, RefusalProofs.BindCode, Pk: device.Pk, Dk: device.Dk),
            new SecurityEvent(RefusalReasons.SignatureFailures, RefusalSubjects.Device, RefusalProofs.DeviceSignature, Pk: device.Pk, Dk: device.Dk),
            new SecurityEvent(RefusalReasons.VoidedCode, RefusalSubjects.Device, RefusalProofs.BindCode, Pk: device.Pk, Dk: device.Dk)));
        var first = await RefusalsAsync(("pk", device.Pk), ("limit", 2));
        Assert.Equal([RefusalReasons.VoidedCode, RefusalReasons.SignatureFailures], first.Field("reason"));
        var second = await RefusalsAsync(("pk", device.Pk), ("limit", 2), ("cursor", first.NextCursor));
        Assert.Equal([RefusalReasons.VoidedCode], second.Field("reason"));
        Assert.Null(second.NextCursor);
        // A cursor of one listing means nothing to the other.
        Assert.Equal(Errors.AuditCursorInvalid.Code, (await AuditApi.EventsAsync(fx.App, ("cursor", first.NextCursor))).Code);

        // Backdate two of them past the 30-day default instead of moving the shared clock.
        var oldest = second.List[0].GetProperty("seq").GetInt64();
        await Db.WriteAsync(tx => tx.ExecuteAsync(
            "UPDATE security_events SET occurred_at = occurred_at - @Age WHERE pk = @Pk AND seq <= @Seq",
            new { Age = (long)TimeSpan.FromDays(31).TotalMilliseconds, device.Pk, Seq = oldest + 1 }));
        Assert.True(await fx.App.Services.GetRequiredService<SecurityEventPruner>().PruneAsync() >= 2);
        Assert.Equal([RefusalReasons.VoidedCode], (await RefusalsAsync(("pk", device.Pk))).Field("reason"));
    }
}
