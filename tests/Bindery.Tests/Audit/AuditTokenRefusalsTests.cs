using Bindery.Audit;
using Bindery.Infrastructure;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.Audit;

/// <summary>
/// The bind-token refusals of the audit log (docs/events.md, "Audit log"): a token reported by a second device is
/// void (<c>voided_token</c>, naming the second reporter and the token's owner), and a device that keeps reporting
/// tokens nobody is waiting for is locked out (<c>locked_out</c>, device / bind_token); never the token itself.
/// </summary>
public sealed class AuditTokenRefusalsTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    [Fact]
    public async Task A_contested_token_is_voided_and_a_device_reporting_unknown_tokens_is_locked_out()
    {
        var (product, deviceA, sideA) = await fx.DeviceAsync();
        var deviceB = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var sideB = fx.DeviceClient(deviceB);
        var (user, api, _) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        await sideA.ReportTokenOkAsync(token);
        Assert.Equal(Errors.BindTokenNotExist.Code, (await sideB.ReportTokenAsync(token)).Code());

        // Device B's refusals keep counting: the fifth (Tencent:ReportFailuresPerDevice) locks it out.
        var unknown = Enumerable.Range(0, 4).Select(_ => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))).ToArray();
        foreach (var guess in unknown)
        {
            Assert.Equal(Errors.BindTokenNotExist.Code, (await sideB.ReportTokenAsync(guess)).Code());
        }
        Assert.Equal(Errors.TooManyAttempts.Code, (await sideB.ReportTokenAsync(token)).Code());

        var answer = await AuditApi.OkAsync(AuditApi.RefusalsAsync(fx.App, ("pk", deviceB.Pk), ("dk", deviceB.Dk)));
        Assert.Equal(
        [
            (RefusalReasons.LockedOut, RefusalSubjects.Device, RefusalProofs.BindToken, null, deviceB.Pk, deviceB.Dk),
            (RefusalReasons.VoidedToken, RefusalSubjects.Device, RefusalProofs.BindToken, user.Uid, deviceB.Pk, deviceB.Dk),
        ], answer.List.Select(AuditApi.Refusal).ToArray());
        answer.AssertHoldsNone([token, .. unknown, api.AccessToken, user.Token, user.Password, deviceA.DeviceSecret, deviceB.DeviceSecret, deviceB.Sn]);
    }
}
