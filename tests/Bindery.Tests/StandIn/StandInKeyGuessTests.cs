using System.Globalization;
using System.Net;
using Bindery.Audit;
using Bindery.Infrastructure;
using Bindery.StandIn;
using Bindery.Tests.Audit;
using Bindery.Tests.Registry;
using Bindery.Tests.Support;

namespace Bindery.Tests.StandIn;

/// <summary>
/// Wrong stand-in keys are guesses (docs/stand-in.md, "The key"), limited like wrong admin keys: per client address
/// and in aggregate; once a limit is reached every key is refused unchecked, the right one too, with the answer a
/// wrong key gets (9471), until the window ends. The counts are the stand-in key's own: they do not lock the admin API.
/// </summary>
public sealed class StandInKeyGuessTests
{
    private const string Key = "test-stand-in-key-0123456789";

    /// <summary>A server in stand-in mode (in memory: the key gate needs no listener), on the test's shiftable clock.</summary>
    private static BinderyApp App(int perAddress, int total) => new(new Dictionary<string, string?>
    {
        ["Bindery:StandIn:Enabled"] = "true",
        ["Bindery:StandIn:Key"] = Key,
        ["Bindery:StandIn:PrintAddress"] = "false",
        ["Bindery:StandIn:KeyFailuresPerAddress"] = perAddress.ToString(CultureInfo.InvariantCulture),
        ["Bindery:StandIn:KeyFailuresTotal"] = total.ToString(CultureInfo.InvariantCulture),
        ["Bindery:StandIn:KeyFailureWindow"] = "00:15:00",
    });

    private static async Task<AdminAnswer> WithKeyAsync(BinderyApp app, string? key, string url = "/stand-in/v1/clock")
    {
        var client = app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(StandInKey.HeaderName, key);
        }
        return await client.GetAnswerAsync(url);
    }

    private static async Task<JsonLockouts> LockoutsAsync(BinderyApp app)
    {
        var refusals = await AuditApi.OkAsync(AuditApi.RefusalsAsync(app, ("reason", RefusalReasons.LockedOut)));
        return new JsonLockouts(refusals, refusals.List.Where(e => e.Text("proof") == RefusalProofs.StandInKey).Select(e => e.Text("subject")).ToList());
    }

    private sealed record JsonLockouts(AuditAnswer Answer, List<string?> Subjects);

    [Fact]
    public async Task After_the_address_limit_even_the_right_key_is_refused_like_a_wrong_one_until_the_window_ends()
    {
        await using var app = App(perAddress: 3, total: 1000);
        (await WithKeyAsync(app, Key)).AssertOk();
        var wrong = await WithKeyAsync(app, "wrong-key-0");
        wrong.AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        for (var i = 1; i < 3; i++)
        {
            (await WithKeyAsync(app, "wrong-key-" + i)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        }

        var locked = await WithKeyAsync(app, Key);
        locked.AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        // The same answer as a wrong key: a lock-out does not tell a guesser that the key was right.
        Assert.Equal(wrong.Envelope.GetRawText(), locked.Envelope.GetRawText());
        // Unknown stand-in routes too, before routing.
        (await WithKeyAsync(app, Key, "/stand-in/v1/no-such-route")).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);

        app.Clock.Advance(TimeSpan.FromMinutes(14));
        (await WithKeyAsync(app, Key)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        (await WithKeyAsync(app, Key)).AssertOk();
    }

    [Fact]
    public async Task The_aggregate_limit_holds_when_no_address_reaches_its_own()
    {
        await using var app = App(perAddress: 100, total: 2);
        (await WithKeyAsync(app, "wrong-key-1")).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        (await WithKeyAsync(app, Key)).AssertOk();
        (await WithKeyAsync(app, "wrong-key-2")).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        (await WithKeyAsync(app, Key)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);

        Assert.Equal([RefusalSubjects.Everyone], (await LockoutsAsync(app)).Subjects);
    }

    [Fact]
    public async Task A_request_without_any_key_guesses_nothing_and_counts_nothing()
    {
        await using var app = App(perAddress: 2, total: 2);
        for (var i = 0; i < 10; i++)
        {
            (await WithKeyAsync(app, null)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
            (await WithKeyAsync(app, "")).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        }
        (await WithKeyAsync(app, Key)).AssertOk();
        Assert.Empty((await LockoutsAsync(app)).Subjects);
    }

    [Fact]
    public async Task A_right_key_passes_the_gate_and_the_route_filter_without_counting_and_many_calls_lock_nothing()
    {
        await using var app = App(perAddress: 1, total: 1);
        for (var i = 0; i < 5; i++)
        {
            (await WithKeyAsync(app, Key)).AssertOk();
        }
        (await WithKeyAsync(app, "wrong-key")).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        (await WithKeyAsync(app, Key)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_attempt_that_reaches_the_limit_leaves_one_locked_out_entry_without_the_key_or_the_address()
    {
        await using var app = App(perAddress: 2, total: 1000);
        for (var i = 0; i < 6; i++)
        {
            (await WithKeyAsync(app, "wrong-key-" + i)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        }
        (await WithKeyAsync(app, Key)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);

        var lockouts = await LockoutsAsync(app);
        Assert.Equal([RefusalSubjects.Address], lockouts.Subjects);
        lockouts.Answer.AssertHoldsNone(Key, "wrong-key-0", "wrong-key-1", "127.0.0.1");
    }

    [Fact]
    public async Task Wrong_stand_in_keys_do_not_lock_the_admin_API_and_wrong_admin_keys_do_not_lock_the_stand_in_API()
    {
        await using var app = new BinderyApp(new Dictionary<string, string?>
        {
            ["Bindery:StandIn:Enabled"] = "true",
            ["Bindery:StandIn:Key"] = Key,
            ["Bindery:StandIn:PrintAddress"] = "false",
            ["Bindery:StandIn:KeyFailuresPerAddress"] = "2",
            ["Bindery:AdminKeyFailuresPerAddress"] = "2",
        });
        for (var i = 0; i < 2; i++)
        {
            (await WithKeyAsync(app, "wrong-key-" + i)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        }
        (await WithKeyAsync(app, Key)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        (await app.CreateAdminClient().GetAnswerAsync("/admin/v1/data-center")).AssertOk();

        app.Clock.Advance(TimeSpan.FromMinutes(16));
        for (var i = 0; i < 2; i++)
        {
            var client = app.CreateClient();
            client.DefaultRequestHeaders.Add("X-Admin-Key", "wrong-admin-key-" + i);
            (await client.GetAnswerAsync("/admin/v1/data-center")).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        }
        (await app.CreateAdminClient().GetAnswerAsync("/admin/v1/data-center")).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        (await WithKeyAsync(app, Key)).AssertOk();
    }

    [Fact]
    public async Task A_reset_keeps_the_counts_of_wrong_keys_and_the_lock_out_entry()
    {
        await using var app = new BinderyApp(new Dictionary<string, string?>
        {
            ["Bindery:StandIn:Enabled"] = "true",
            ["Bindery:StandIn:Key"] = Key,
            ["Bindery:StandIn:PrintAddress"] = "false",
            ["Bindery:StandIn:KeyFailuresPerAddress"] = "2",
            ["Bindery:AdminKeyFailuresPerAddress"] = "2",
        });
        var wrongAdmin = app.CreateClient();
        wrongAdmin.DefaultRequestHeaders.Add("X-Admin-Key", "wrong-admin-key");
        (await WithKeyAsync(app, "wrong-key-0")).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        (await wrongAdmin.GetAnswerAsync("/admin/v1/data-center")).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        var standIn = app.CreateClient();
        standIn.DefaultRequestHeaders.Add(StandInKey.HeaderName, Key);
        (await standIn.SendAsync(HttpMethod.Post, "/stand-in/v1/reset")).AssertOk();

        // The reset gave no fresh budget, neither for the stand-in key nor for the admin key: one more wrong key reaches each limit.
        (await WithKeyAsync(app, "wrong-key-1")).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        (await WithKeyAsync(app, Key)).AssertError(Errors.StandInKeyInvalid, HttpStatusCode.Unauthorized);
        (await wrongAdmin.GetAnswerAsync("/admin/v1/data-center")).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
        (await app.CreateAdminClient().GetAnswerAsync("/admin/v1/data-center")).AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);

        app.Clock.Advance(TimeSpan.FromMinutes(16));
        (await standIn.SendAsync(HttpMethod.Post, "/stand-in/v1/reset")).AssertOk();
        var refusals = await AuditApi.OkAsync(AuditApi.RefusalsAsync(app, ("reason", RefusalReasons.LockedOut)));
        Assert.Equal([(RefusalSubjects.Address, RefusalProofs.AdminKey), (RefusalSubjects.Address, RefusalProofs.StandInKey)],
            refusals.List.Select(e => (e.Text("subject"), e.Text("proof"))).Order().ToList());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void A_limit_below_one_is_refused_at_start(string limit)
    {
        using var app = new BinderyApp(new Dictionary<string, string?>
        {
            ["Bindery:StandIn:Enabled"] = "true",
            ["Bindery:StandIn:Key"] = Key,
            ["Bindery:StandIn:PrintAddress"] = "false",
            ["Bindery:StandIn:KeyFailuresPerAddress"] = limit,
        });
        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("KeyFailuresPerAddress", failure.ToString(), StringComparison.Ordinal);
    }
}
