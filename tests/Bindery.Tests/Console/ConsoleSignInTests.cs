using System.Net;
using Bindery.AdminConsole;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Console;

/// <summary>
/// The console's sign-in and its guards (docs/console.md): the admin key buys an HttpOnly, SameSite=Strict session
/// cookie holding a random id (never the key); pages need the session; every post needs the antiforgery token.
/// </summary>
public sealed class ConsoleSignInTests(ConsoleApp app) : IClassFixture<ConsoleApp>
{
    [Fact]
    public async Task A_page_without_a_session_sends_the_browser_to_sign_in()
    {
        var answer = await new ConsoleClient(app).Http.GetAsync("/console/products");
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/console/signin", answer.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Signing_in_with_the_admin_key_sets_an_HttpOnly_strict_session_cookie_that_is_not_the_key()
    {
        var client = new ConsoleClient(app);
        var answer = await client.PostFormAsync("/console/signin", new() { ["AdminKey"] = BinderyApp.AdminKeyValue });
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/console", answer.Headers.Location?.OriginalString);
        var cookie = Assert.Single(answer.Headers.GetValues("Set-Cookie"), c => c.StartsWith(ConsoleSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/console", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(BinderyApp.AdminKeyValue, cookie, StringComparison.Ordinal);
        Assert.DoesNotContain(BinderyApp.AdminKeyValue, answer.Headers.Location?.OriginalString ?? "", StringComparison.Ordinal);

        var home = await client.Http.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("Sign out", await home.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(home.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_the_admin_APIs_error_and_no_session()
    {
        var client = new ConsoleClient(app);
        var answer = await client.PostFormAsync("/console/signin", new() { ["AdminKey"] = "not-the-key" });
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Contains(Errors.AdminKeyInvalid.Code.ToString(System.Globalization.CultureInfo.InvariantCulture), await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(answer.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(ConsoleSessions.CookieName + "=", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Redirect, (await client.Http.GetAsync("/console")).StatusCode);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_or_with_a_forged_one_is_refused()
    {
        var client = await ConsoleClient.SignedInAsync(app);
        var form = new Dictionary<string, string> { ["Id"] = "csrf-domain" };
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostRawAsync("/console/user-domains", form)).StatusCode);
        var forged = new Dictionary<string, string>(form) { [ConsoleSetup.AntiforgeryFieldName] = "CfDJ8forged" };
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostRawAsync("/console/user-domains", forged)).StatusCode);
        // Sign-in itself is a form: a post without the token does not sign anyone in.
        var signIn = await new ConsoleClient(app).PostRawAsync("/console/signin", new Dictionary<string, string> { ["AdminKey"] = BinderyApp.AdminKeyValue });
        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);

        var list = await client.Http.GetStringAsync("/console/user-domains");
        Assert.DoesNotContain("csrf-domain", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_post_without_a_session_is_refused_even_with_a_valid_token()
    {
        var client = await ConsoleClient.SignedInAsync(app);
        var token = await client.TokenAsync("/console/user-domains");
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/console", [], "/console/signout")).StatusCode);

        var answer = await client.PostRawAsync("/console/user-domains", new Dictionary<string, string>
        {
            ["Id"] = "after-signout",
            [ConsoleSetup.AntiforgeryFieldName] = token,
        });
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
    }

    [Fact]
    public async Task Signing_out_ends_the_session_on_the_server_not_only_in_the_browser()
    {
        var client = new ConsoleClient(app);
        var signIn = await client.PostFormAsync("/console/signin", new() { ["AdminKey"] = BinderyApp.AdminKeyValue });
        var setCookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleSessions.CookieName + "=", StringComparison.Ordinal));
        var sessionId = setCookie[(ConsoleSessions.CookieName.Length + 1)..setCookie.IndexOf(';', StringComparison.Ordinal)];

        var other = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        HttpRequestMessage Replay()
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/console");
            request.Headers.Add("Cookie", $"{ConsoleSessions.CookieName}={sessionId}");
            return request;
        }
        Assert.Equal(HttpStatusCode.OK, (await other.SendAsync(Replay())).StatusCode);

        var signOut = await client.PostFormAsync("/console", [], "/console/signout");
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/console/signin", signOut.Headers.Location?.OriginalString);

        // The old id, replayed by a client that kept it, no longer opens anything.
        Assert.Equal(HttpStatusCode.Redirect, (await other.SendAsync(Replay())).StatusCode);
    }
}
