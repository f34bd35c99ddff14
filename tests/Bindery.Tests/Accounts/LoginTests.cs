using System.Net.Http.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Accounts;

public sealed class LoginTests(SharedApp app) : IClassFixture<SharedApp>
{
    private const string Login = "/v2/enduser/enduserapi/login";
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Login_returns_uid_and_an_access_token_with_its_expiry_in_unix_ms()
    {
        var domain = await Seed.UserDomainAsync(app);
        var user = await Seed.UserAsync(app, domain);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var data = await Tenant.PostOkAsync(_client, Login, new { userDomain = domain, username = user.Username, password = user.Password });
        Assert.Equal(user.Uid, data.GetProperty("uid").GetString());
        var token = data.GetProperty("accessToken");
        Assert.False(string.IsNullOrEmpty(token.GetProperty("token").GetString()));
        var expires = token.GetProperty("expirationTime").GetInt64();
        Assert.InRange(expires, before + (long)TimeSpan.FromDays(7).TotalMilliseconds - 60_000, before + (long)TimeSpan.FromDays(7).TotalMilliseconds + 60_000);
    }

    [Fact]
    public async Task Usernames_are_case_insensitive_at_login()
    {
        var domain = await Seed.UserDomainAsync(app);
        await Seed.UserAsync(app, domain, "ivan");
        var data = await Tenant.PostOkAsync(_client, Login, new { userDomain = domain, username = "IVAN", password = Seed.Password });
        Assert.False(string.IsNullOrEmpty(data.GetProperty("accessToken").GetProperty("token").GetString()));
    }

    [Fact]
    public async Task Each_login_opens_its_own_session()
    {
        var domain = await Seed.UserDomainAsync(app);
        var user = await Seed.UserAsync(app, domain);
        var second = await Tenant.PostOkAsync(_client, Login, new { userDomain = domain, username = user.Username, password = user.Password });
        Assert.NotEqual(user.Token, second.GetProperty("accessToken").GetProperty("token").GetString());
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_are_indistinguishable()
    {
        var domain = await Seed.UserDomainAsync(app);
        var user = await Seed.UserAsync(app, domain);
        var wrongPassword = await _client.PostAsJsonAsync(Login, new { userDomain = domain, username = user.Username, password = "wrong password!" });
        var unknownUser = await _client.PostAsJsonAsync(Login, new { userDomain = domain, username = "nobody-here", password = "wrong password!" });
        Assert.Equal(wrongPassword.StatusCode, unknownUser.StatusCode);
        var a = await wrongPassword.Content.ReadAsStringAsync();
        var b = await unknownUser.Content.ReadAsStringAsync();
        Assert.Equal(a, b);
        Assert.Contains("\"code\":9006", a, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_user_domain_is_5093()
    {
        var envelope = await Seed.PostAsync(_client, Login, new { userDomain = "nope", username = "someone", password = Seed.Password });
        Assert.Equal(5093, envelope.Code());
    }

    [Theory]
    [InlineData("""{"userDomain":"DOMAIN","password":"whatever pw"}""", 9000, "username is required")]
    [InlineData("""{"userDomain":"DOMAIN","username":"x"}""", 9000, "password is required")]
    [InlineData("""{"userDomain":"DOMAIN","username":true,"password":"whatever pw"}""", 9000, "$.username")]
    [InlineData("""[1,2,3]""", 9000, "")]
    public async Task Bad_input_is_refused(string json, int code, string extMsgPart)
    {
        var domain = await Seed.UserDomainAsync(app);
        var envelope = await Seed.PostRawAsync(_client, Login, json.Replace("DOMAIN", domain, StringComparison.Ordinal));
        Assert.Equal(code, envelope.Code());
        Assert.Contains(extMsgPart, envelope.ExtMsg(), StringComparison.Ordinal);
    }
}

/// <summary>Failed logins are limited per (user domain, username); own server because the tests move its clock.</summary>
public sealed class LoginGuessLimitTests : IDisposable
{
    private const string Login = "/v2/enduser/enduserapi/login";
    private readonly BinderyApp _app = new(SharedApp.FastHashing());

    [Fact]
    public async Task Five_failures_lock_the_account_for_the_window_even_for_the_right_password()
    {
        var domain = await Seed.UserDomainAsync(_app);
        var user = await Seed.UserAsync(_app, domain);
        var client = _app.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(9006, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = "wrong password " + i })).Code());
        }
        Assert.Equal(9007, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = user.Password })).Code());
        Assert.Equal(9007, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = "wrong again" })).Code());

        _app.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(200, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = user.Password })).Code());
    }

    [Fact]
    public async Task A_success_clears_the_count_and_other_accounts_are_not_affected()
    {
        var domain = await Seed.UserDomainAsync(_app);
        var user = await Seed.UserAsync(_app, domain);
        var neighbour = await Seed.UserAsync(_app, domain);
        var client = _app.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(9006, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = "wrong password" })).Code());
        }
        Assert.Equal(200, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = user.Password })).Code());
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(9006, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = "wrong password" })).Code());
        }
        Assert.Equal(200, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = user.Password })).Code());
        Assert.Equal(200, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = neighbour.Username, password = neighbour.Password })).Code());
    }

    [Fact]
    public async Task Guessing_at_an_unknown_username_is_limited_the_same_way()
    {
        var domain = await Seed.UserDomainAsync(_app);
        var client = _app.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(9006, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = "ghost", password = "guess number " + i })).Code());
        }
        Assert.Equal(9007, (await Seed.PostAsync(client, Login, new { userDomain = domain, username = "ghost", password = "guess number 6" })).Code());
    }

    [Fact]
    public async Task Parallel_guesses_cannot_exceed_the_limit()
    {
        var domain = await Seed.UserDomainAsync(_app);
        var user = await Seed.UserAsync(_app, domain);
        var client = _app.CreateClient();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            Seed.PostAsync(client, Login, new { userDomain = domain, username = user.Username, password = "parallel guess " + i })));
        Assert.Equal(5, attempts.Count(a => a.Code() == 9006));
        Assert.Equal(7, attempts.Count(a => a.Code() == 9007));
    }

    public void Dispose() => _app.Dispose();
}
