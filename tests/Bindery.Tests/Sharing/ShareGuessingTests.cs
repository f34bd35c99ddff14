using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Sharing;

/// <summary>A server with low share-guessing limits.</summary>
public sealed class ShareGuessingFixture() : BindingFixture(new Dictionary<string, string?>
{
    ["Sharing:FailuresPerUser"] = ShareGuessingFixture.PerUser.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Sharing:FailuresPerUserDomain"] = ShareGuessingFixture.PerDomain.ToString(System.Globalization.CultureInfo.InvariantCulture),
})
{
    public const int PerUser = 4;
    public const int PerDomain = 8;
}

/// <summary>
/// Share codes cannot be guessed: a code that does not exist, a wrong secret, someone else's invitation and an expired
/// code all answer the same 5137 and each counts against the user and the user domain; over either limit every
/// presentation, even of a right code, answers 9007 until the window ends, without saying which check failed.
/// </summary>
public sealed class ShareGuessingTests(ShareGuessingFixture fx) : IClassFixture<ShareGuessingFixture>
{
    private readonly ShareSteps _steps = new(fx);

    private async Task<(Tenant.Device Device, Tenant.User Owner)> OwnedAsync(Tenant tenant)
    {
        var product = await tenant.CreateProductAsync(1, methods: ["WIFI"]);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var owner = await tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx, owner, device);
        return (device, owner);
    }

    private async Task<string> CodeAsync(Tenant.User owner, Tenant.Device device, TimeSpan? accepting = null) =>
        ShareApi.Ok(await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, _steps.In(accepting ?? TimeSpan.FromHours(1)), coverMark: 2));

    private static (int, string, string) Refusal(JsonElement envelope) =>
        (envelope.Code(), envelope.GetProperty("msg").GetString()!, envelope.GetProperty("extMsg").GetString() ?? "");

    [Fact]
    public async Task Every_kind_of_wrong_code_is_the_same_refusal_and_the_user_is_locked_out_after_the_limit()
    {
        var tenant = await Tenant.CreateAsync(fx.App);
        var (device, owner) = await OwnedAsync(tenant);
        var guesser = await tenant.CreateUserAsync();
        var someoneElse = await tenant.CreateUserAsync();
        var code = await CodeAsync(owner, device);
        var invitation = ShareApi.Ok(await ShareApi.ShareByUidAsync(owner.Client, device.Pk, device.Dk, ("shareUid", someoneElse.Uid)));
        var shortLived = await CodeAsync(owner, device, TimeSpan.FromSeconds(1));

        var refusals = new List<(int, string, string)>();
        await _steps.WithClockAdvancedAsync(TimeSpan.FromSeconds(2), async () =>
        {
            // Unknown share, wrong secret, someone else's invitation, a code past its accepting time.
            refusals.Add(Refusal(await ShareApi.AcceptAsync(guesser.Client, "share_dv_0123456789abcdef01234567_" + new string('A', 43))));
            refusals.Add(Refusal(await ShareApi.AcceptAsync(guesser.Client, code[..^4] + (code.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"))));
            refusals.Add(Refusal(await ShareApi.AcceptAsync(guesser.Client, invitation)));
            refusals.Add(Refusal(await ShareApi.AcceptAsync(guesser.Client, shortLived)));
        });
        Assert.Single(refusals.Distinct());
        Assert.Equal(Errors.ShareCodeInvalid.Code, refusals[0].Item1);

        // The limit is reached: even the right code is refused, and the refusal says nothing about the code.
        Assert.Equal(Errors.TooManyAttempts.Code, (await ShareApi.AcceptAsync(guesser.Client, code)).Code());
        Assert.Equal(Errors.TooManyAttempts.Code, (await ShareApi.AcceptAsync(guesser.Client, "share_dv_nonsense")).Code());
        // Another user of the domain is not locked out by one user's guesses.
        await ShareSteps.AcceptOkAsync(someoneElse, invitation);

        // Once the window has passed the user may try again.
        await _steps.WithClockAdvancedAsync(TimeSpan.FromMinutes(16), async () =>
            await ShareSteps.AcceptOkAsync(guesser, code));
    }

    [Fact]
    public async Task Guesses_spread_over_many_accounts_lock_the_whole_user_domain_and_no_other()
    {
        var tenant = await Tenant.CreateAsync(fx.App);
        var (device, owner) = await OwnedAsync(tenant);
        var code = await CodeAsync(owner, device);
        for (var i = 0; i < ShareGuessingFixture.PerDomain; i++)
        {
            var account = await tenant.CreateUserAsync();
            Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(account.Client, code[..^4] + (code.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"))).Code());
        }
        var fresh = await tenant.CreateUserAsync();
        Assert.Equal(Errors.TooManyAttempts.Code, (await ShareApi.AcceptAsync(fresh.Client, code)).Code());

        // Another user domain guesses on its own budget.
        var (otherDevice, otherOwner) = await OwnedAsync(fx.Tenant);
        var otherGuest = await fx.Tenant.CreateUserAsync();
        await ShareSteps.AcceptOkAsync(otherGuest, await CodeAsync(otherOwner, otherDevice));
    }

    [Fact]
    public async Task A_code_of_another_user_domain_is_an_invalid_code()
    {
        var (device, owner) = await OwnedAsync(fx.Tenant);
        var code = await CodeAsync(owner, device);
        var elsewhere = await (await Tenant.CreateAsync(fx.App)).CreateUserAsync();
        Assert.Equal(Errors.ShareCodeInvalid.Code, (await ShareApi.AcceptAsync(elsewhere.Client, code)).Code());
    }
}
