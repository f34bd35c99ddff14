using System.Net;
using Bindery.Audit;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Tests.Audit;
using Bindery.Tests.Console;
using Bindery.Tests.Support;

namespace Bindery.Tests.Registry;

/// <summary>
/// Wrong admin keys are guesses (docs/admin-api.md, "Authentication"): limited per client address and in aggregate,
/// shared by the admin API and the console's sign-in; once a limit is reached every key is refused unchecked, the
/// right one too, with the answer a wrong key gets, until the window ends.
/// </summary>
public sealed class AdminKeyGuessTests
{
    private static BinderyApp App(int perAddress, int total) => new(new Dictionary<string, string?>
    {
        ["Bindery:AdminKeyFailuresPerAddress"] = perAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bindery:AdminKeyFailuresTotal"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bindery:AdminKeyFailureWindow"] = "00:15:00",
    });

    private static async Task<AdminAnswer> WithKeyAsync(BinderyApp app, string? key)
    {
        var client = app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(AdminKey.HeaderName, key);
        }
        return await client.GetAnswerAsync("/admin/v1/data-center");
    }

    [Fact]
    public async Task After_the_address_limit_even_the_right_key_is_refused_like_a_wrong_one_until_the_window_ends()
    {
        await using var app = App(perAddress: 3, total: 1000);
        (await WithKeyAsync(app, BinderyApp.AdminKeyValue)).AssertOk();
        for (var i = 0; i < 3; i++)
        {
            (await WithKeyAsync(app, "wrong-key-" + i)).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        }

        var locked = await WithKeyAsync(app, BinderyApp.AdminKeyValue);
        locked.AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        // The console's sign-in counts against the same limit: the right key does not sign in either.
        var signIn = await new ConsoleClient(app).PostFormAsync("/console/signin", new() { ["AdminKey"] = BinderyApp.AdminKeyValue });
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);

        app.Clock.Advance(TimeSpan.FromMinutes(16));
        (await WithKeyAsync(app, BinderyApp.AdminKeyValue)).AssertOk();
        var refusals = await AuditApi.OkAsync(AuditApi.RefusalsAsync(app, ("reason", RefusalReasons.LockedOut)));
        var lockout = Assert.Single(refusals.List);
        Assert.Equal(RefusalSubjects.Address, lockout.Text("subject"));
        Assert.Equal(RefusalProofs.AdminKey, lockout.Text("proof"));
        refusals.AssertHoldsNone(BinderyApp.AdminKeyValue, "wrong-key-0", "127.0.0.1");
    }

    [Fact]
    public async Task Wrong_keys_at_the_console_sign_in_count_like_wrong_keys_at_the_API()
    {
        await using var app = App(perAddress: 2, total: 1000);
        for (var i = 0; i < 2; i++)
        {
            var answer = await new ConsoleClient(app).PostFormAsync("/console/signin", new() { ["AdminKey"] = "wrong-key-" + i });
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        }
        (await WithKeyAsync(app, BinderyApp.AdminKeyValue)).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_aggregate_limit_holds_when_no_address_reaches_its_own()
    {
        await using var app = App(perAddress: 100, total: 2);
        (await WithKeyAsync(app, "wrong-key-1")).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        (await WithKeyAsync(app, "wrong-key-2")).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        (await WithKeyAsync(app, BinderyApp.AdminKeyValue)).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_request_without_any_key_guesses_nothing_and_counts_nothing()
    {
        await using var app = App(perAddress: 2, total: 2);
        for (var i = 0; i < 10; i++)
        {
            (await WithKeyAsync(app, null)).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        }
        (await WithKeyAsync(app, BinderyApp.AdminKeyValue)).AssertOk();
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    public void An_IPv6_client_is_counted_by_its_64_prefix_an_IPv4_one_by_its_address(string remote, string subject) =>
        Assert.Equal(subject, KeyGuessLimit.AddressSubject(IPAddress.Parse(remote)));
}
