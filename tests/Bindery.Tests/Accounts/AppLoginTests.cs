using System.Net.Http.Json;
using System.Text;
using Bindery.Infrastructure;
using Bindery.Tests.Support;
using static Bindery.Tests.Accounts.QuecSdk;

namespace Bindery.Tests.Accounts;

/// <summary>
/// emailPwdLogin and phonePwdLogin as the Quectel app SDK calls them: the password AES-encrypted under a fresh
/// random, the request signed with the user domain's secret (both computed by <see cref="QuecSdk"/>, independently
/// of the server), the answer parsed strictly into the SDK's fields with <c>expirationTime</c> in seconds.
/// </summary>
public sealed class AppLoginTests(AppAccountsApp app) : IClassFixture<AppAccountsApp>
{
    private const string Base = "/v2/enduser/enduserapi/";

    private async Task<(Tenant Tenant, Tenant.User User, string Email)> EmailUserAsync()
    {
        var tenant = await Tenant.CreateAsync(app);
        var email = $"ann{Guid.NewGuid().ToString("N")[..8]}@example.com";
        return (tenant, await tenant.CreateUserAsync(email), email);
    }

    private async Task<HttpResponseMessage> PostQueryAsync(string path, (string Name, string? Value)[] parameters) =>
        await app.CreateClient().PostAsync(Base + path + "?" + Query(parameters), null);

    private async Task<LoginToken> LoginOkAsync(string path, (string Name, string? Value)[] parameters)
    {
        var envelope = await ReadAsync<LoginToken>(await PostQueryAsync(path, parameters));
        Assert.True(envelope.Code == 200, $"{path} answered {envelope}");
        return envelope.Data;
    }

    private HttpClient Authorized(string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return client;
    }

    [Fact]
    public void The_test_oracle_reproduces_the_documented_example()
    {
        // Quectel's documentation: pwd china1234, random j1acpdj2bmtqZXVb → lkZMvj0KDSJXlp66jBieHA== (key 89A049614445CCA8).
        Assert.Equal("lkZMvj0KDSJXlp66jBieHA==", EncryptPwd("china1234", "j1acpdj2bmtqZXVb"));
    }

    [Fact]
    public async Task Email_login_answers_an_access_and_a_refresh_token_with_expiration_times_in_seconds()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var now = app.Clock.GetUtcNow().ToUnixTimeSeconds();

        var tokens = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));

        Assert.InRange(tokens.AccessToken.ExpirationTime, now + 7200 - 5, now + 7200 + 5);
        Assert.InRange(tokens.RefreshToken.ExpirationTime, now + 30 * 86400 - 5, now + 30 * 86400 + 5);
        Assert.StartsWith("Bearer ", tokens.AccessToken.Token, StringComparison.Ordinal);
        var claims = Payload(tokens.AccessToken.Token);
        Assert.Equal(user.Uid, claims.GetProperty("uid").GetString());
        Assert.Equal(tokens.AccessToken.ExpirationTime, claims.GetProperty("exp").GetInt64());
        Assert.NotEqual(tokens.AccessToken.Token, tokens.RefreshToken.Token);

        // The token works as the SDK sends it back (as given), and with the prefix taken off.
        var info = await ReadAsync<UserInfo>(await Authorized(tokens.AccessToken.Token).GetAsync(Base + "userInfo"));
        Assert.Equal(user.Uid, info.Data.Uid);
        Assert.Equal(email, info.Data.Email);
        Assert.Equal(200, await CodeAsync(await Authorized(tokens.AccessToken.Token[7..]).GetAsync(Base + "userInfo")));
    }

    [Fact]
    public async Task A_token_whose_payload_is_edited_is_refused_the_server_trusts_only_its_session_table()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var other = await tenant.CreateUserAsync();
        var tokens = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));
        var parts = tokens.AccessToken.Token[7..].Split('.');
        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"uid\":\"{other.Uid}\",\"exp\":9999999999}}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await Authorized($"{parts[0]}.{forged}.{parts[2]}").GetAsync(Base + "userInfo")));
    }

    [Fact]
    public async Task Email_login_reads_a_JSON_object_body_as_well()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var body = EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password).ToDictionary(p => p.Name, p => p.Value);

        var envelope = await ReadAsync<LoginToken>(await app.CreateClient().PostAsJsonAsync(Base + "emailPwdLogin", body));

        Assert.Equal(200, envelope.Code);
        Assert.Equal(user.Uid, Payload(envelope.Data.AccessToken.Token).GetProperty("uid").GetString());
    }

    [Fact]
    public async Task Email_login_reads_the_form_body_the_real_clients_post()
    {
        var (tenant, user, email) = await EmailUserAsync();
        using var form = new FormUrlEncodedContent(EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password)
            .Select(p => new KeyValuePair<string, string>(p.Name, p.Value!)));

        var envelope = await ReadAsync<LoginToken>(await app.CreateClient().PostAsync(Base + "emailPwdLogin", form));

        Assert.Equal(200, envelope.Code);
    }

    [Fact]
    public async Task Phone_login_signs_the_international_code_with_the_number()
    {
        var tenant = await Tenant.CreateAsync(app);
        var phone = "139" + Random.Shared.Next(10_000_000, 99_999_999);
        var user = await tenant.CreateUserAsync("+86" + phone);

        var tokens = await LoginOkAsync("phonePwdLogin", PhoneLogin(tenant.DomainId, tenant.DomainSecret, "86", phone, user.Password));

        Assert.Equal(user.Uid, Payload(tokens.AccessToken.Token).GetProperty("uid").GetString());
        // Signed without the internationalCode (the email rule), the request is refused.
        var random = NewRandom();
        var pwd = EncryptPwd(user.Password, random);
        var unsigned = await PostQueryAsync("phonePwdLogin",
            [("internationalCode", "86"), ("phone", phone), ("pwd", pwd), ("random", random), ("userDomain", tenant.DomainId), ("signature", Sha256(phone + pwd + random + tenant.DomainSecret))]);
        Assert.Equal(Errors.SignatureVerificationFailed.Code, await CodeAsync(unsigned));
    }

    [Fact]
    public async Task Wrong_password_and_unknown_account_answer_alike_a_wrong_signature_says_signature()
    {
        var (tenant, user, email) = await EmailUserAsync();

        var wrongPassword = await (await PostQueryAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, "not the password"))).ReadEnvelopeAsync();
        var unknown = await (await PostQueryAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, "nobody@example.com", user.Password))).ReadEnvelopeAsync();
        var wrongSecret = await PostQueryAsync("emailPwdLogin", EmailLogin(tenant.DomainId, "not-the-secret", email, user.Password));

        Assert.Equal(Errors.LoginFailed.Code, wrongPassword.Code());
        Assert.Equal(wrongPassword.ToString(), unknown.ToString());
        Assert.Equal(Errors.SignatureVerificationFailed.Code, await CodeAsync(wrongSecret));
    }

    [Fact]
    public async Task A_pwd_that_does_not_decrypt_fails_like_a_wrong_password()
    {
        var (tenant, _, email) = await EmailUserAsync();
        var random = NewRandom();
        const string pwd = "bm90IGNpcGhlcnRleHQ=";

        var answer = await PostQueryAsync("emailPwdLogin",
            [("email", email), ("pwd", pwd), ("random", random), ("userDomain", tenant.DomainId), ("signature", Sha256(email + pwd + random + tenant.DomainSecret))]);

        Assert.Equal(Errors.LoginFailed.Code, await CodeAsync(answer));
    }

    [Fact]
    public async Task A_random_is_accepted_once_a_replayed_login_is_refused_even_with_the_right_password()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var request = EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password);

        await LoginOkAsync("emailPwdLogin", request);
        var replay = await PostQueryAsync("emailPwdLogin", request);

        Assert.Equal(Errors.SignatureVerificationFailed.Code, await CodeAsync(replay));
    }

    [Fact]
    public async Task Missing_parameters_and_an_unknown_user_domain()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var full = EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password);
        foreach (var missing in new[] { "email", "pwd", "random", "signature", "userDomain" })
        {
            var answer = await PostQueryAsync("emailPwdLogin", full.Where(p => p.Name != missing).ToArray());
            Assert.Equal(Errors.InvalidParameter.Code, await CodeAsync(answer));
        }
        var elsewhere = await PostQueryAsync("emailPwdLogin", EmailLogin("no-such-domain", tenant.DomainSecret, email, user.Password));
        Assert.Equal(Errors.UserDomainAbnormal.Code, await CodeAsync(elsewhere));
    }

    [Fact]
    public async Task Refresh_rotates_the_pair_and_ends_the_previous_access_token()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var first = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));

        var refreshed = await ReadAsync<LoginToken>(await app.CreateClient().PutAsync(Base + "refreshToken?" + Query(("refreshToken", first.RefreshToken.Token)), null));

        Assert.Equal(200, refreshed.Code);
        Assert.NotEqual(first.AccessToken.Token, refreshed.Data.AccessToken.Token);
        Assert.NotEqual(first.RefreshToken.Token, refreshed.Data.RefreshToken.Token);
        Assert.Equal(200, await CodeAsync(await Authorized(refreshed.Data.AccessToken.Token).GetAsync(Base + "userInfo")));
        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await Authorized(first.AccessToken.Token).GetAsync(Base + "userInfo")));
    }

    [Fact]
    public async Task Presenting_a_spent_refresh_token_again_ends_the_whole_chain()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var first = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));
        var other = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));
        var refresh = Base + "refreshToken?refreshToken=";
        var second = await ReadAsync<LoginToken>(await app.CreateClient().PutAsync(refresh + Uri.EscapeDataString(first.RefreshToken.Token), null));

        // A thief replays the refresh token the app already spent.
        var stolen = await app.CreateClient().PutAsync(refresh + Uri.EscapeDataString(first.RefreshToken.Token), null);

        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(stolen));
        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await Authorized(second.Data.AccessToken.Token).GetAsync(Base + "userInfo")));
        Assert.Equal(Errors.TokenVerificationFailed.Code,
            await CodeAsync(await app.CreateClient().PutAsync(refresh + Uri.EscapeDataString(second.Data.RefreshToken.Token), null)));
        // Another login of the same user is another chain: untouched.
        Assert.Equal(200, await CodeAsync(await Authorized(other.AccessToken.Token).GetAsync(Base + "userInfo")));
    }

    [Fact]
    public async Task Two_refreshes_racing_with_one_token_never_both_win()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var tokens = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));
        var url = Base + "refreshToken?" + Query(("refreshToken", tokens.RefreshToken.Token));

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ => await CodeAsync(await app.CreateClient().PutAsync(url, null))));

        Assert.True(answers.Count(c => c == 200) <= 1, string.Join(",", answers));
        Assert.All(answers, c => Assert.Contains(c, new[] { 200, Errors.TokenVerificationFailed.Code }));
    }

    [Fact]
    public async Task Set_user_pwd_ends_the_other_logins_refresh_tokens_and_keeps_the_callers_chain()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var mine = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));
        var other = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));
        var random = NewRandom();

        var changed = await Authorized(mine.AccessToken.Token).PutAsync(Base + "setUserPwd?" +
            Query(("oldPwd", EncryptPwd(user.Password, random)), ("newPwd", EncryptPwd("a brand new passphrase", random)), ("random", random)), null);

        Assert.Equal(200, await CodeAsync(changed));
        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await Authorized(other.AccessToken.Token).GetAsync(Base + "userInfo")));
        Assert.Equal(Errors.TokenVerificationFailed.Code,
            await CodeAsync(await app.CreateClient().PutAsync(Base + "refreshToken?" + Query(("refreshToken", other.RefreshToken.Token)), null)));
        Assert.Equal(200, await CodeAsync(await app.CreateClient().PutAsync(Base + "refreshToken?" + Query(("refreshToken", mine.RefreshToken.Token)), null)));
    }

    [Fact]
    public async Task Refresh_reads_a_JSON_body_and_refuses_nonsense()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var first = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));

        using var request = new HttpRequestMessage(HttpMethod.Put, Base + "refreshToken") { Content = JsonContent.Create(new { refreshToken = first.RefreshToken.Token }) };
        Assert.Equal(200, await CodeAsync(await app.CreateClient().SendAsync(request)));
        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await app.CreateClient().PutAsync(Base + "refreshToken?refreshToken=nonsense", null)));
        Assert.Equal(Errors.InvalidParameter.Code, await CodeAsync(await app.CreateClient().PutAsync(Base + "refreshToken", null)));
        // An access token is not a refresh token.
        Assert.Equal(Errors.TokenVerificationFailed.Code,
            await CodeAsync(await app.CreateClient().PutAsync(Base + "refreshToken?" + Query(("refreshToken", first.AccessToken.Token)), null)));
    }

    [Fact]
    public async Task Logout_ends_the_access_token_and_its_refresh_token()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var tokens = await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));
        var client = Authorized(tokens.AccessToken.Token);

        Assert.Equal(200, await CodeAsync(await client.DeleteAsync(Base + "userLogout")));

        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await client.GetAsync(Base + "userInfo")));
        Assert.Equal(Errors.TokenVerificationFailed.Code,
            await CodeAsync(await app.CreateClient().PutAsync(Base + "refreshToken?" + Query(("refreshToken", tokens.RefreshToken.Token)), null)));
    }

    [Fact]
    public async Task User_info_and_set_user_info_by_the_real_field_names()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var client = Authorized((await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password))).AccessToken.Token);

        var set = await client.PutAsync(Base + "setUserInfo?" + Query(("nikeName", "Ann"), ("headImage", "https://example.com/ann.png"), ("sex", "1")), null);
        Assert.Equal(200, await CodeAsync(set));

        var info = await ReadAsync<UserInfo>(await client.GetAsync(Base + "userInfo"));
        Assert.Equal(200, info.Code);
        Assert.Equal(new UserInfo(user.Uid, email, "", "Ann", "https://example.com/ann.png", info.Data.RegisterTime, info.Data.RegisterTime, 1), info.Data);
        Assert.InRange(info.Data.RegisterTime, app.Clock.GetUtcNow().AddMinutes(-5).ToUnixTimeMilliseconds(), app.Clock.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.Equal(Errors.InvalidParameterValue.Code, await CodeAsync(await client.PutAsync(Base + "setUserInfo?headImage=ftp%3A%2F%2Fx", null)));
    }

    [Fact]
    public async Task Set_user_pwd_takes_the_passwords_encrypted_under_a_random_like_login()
    {
        var (tenant, user, email) = await EmailUserAsync();
        var client = Authorized((await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password))).AccessToken.Token);
        var random = NewRandom();
        const string replacement = "a brand new passphrase";

        var wrong = await client.PutAsync(Base + "setUserPwd?" + Query(("oldPwd", EncryptPwd("not my password", random)), ("newPwd", EncryptPwd(replacement, random)), ("random", random)), null);
        Assert.Equal(Errors.OldPasswordWrong.Code, await CodeAsync(wrong));
        var garbled = await client.PutAsync(Base + "setUserPwd?" + Query(("oldPwd", EncryptPwd(user.Password, random)), ("newPwd", "AAAA"), ("random", random)), null);
        Assert.Equal(Errors.PasswordDecryptionFailed.Code, await CodeAsync(garbled));
        var changed = await client.PutAsync(Base + "setUserPwd?" + Query(("oldPwd", EncryptPwd(user.Password, random)), ("newPwd", EncryptPwd(replacement, random)), ("random", random)), null);
        Assert.Equal(200, await CodeAsync(changed));

        Assert.Equal(200, await CodeAsync(await client.GetAsync(Base + "userInfo")));
        Assert.Equal(Errors.LoginFailed.Code, await CodeAsync(await PostQueryAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password))));
        await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, replacement));
    }

    [Fact]
    public async Task Guesses_are_limited_per_account_even_the_right_password_is_refused_once_the_limit_is_reached()
    {
        var (tenant, user, email) = await EmailUserAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Errors.LoginFailed.Code, await CodeAsync(await PostQueryAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, "guess number " + i))));
        }

        Assert.Equal(Errors.TooManyAttempts.Code, await CodeAsync(await PostQueryAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password))));
        app.Clock.Advance(TimeSpan.FromMinutes(16));
        await LoginOkAsync("emailPwdLogin", EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password));
    }
}

/// <summary>Lifetimes and the aggregate guess limit: own servers, because these tests move the clock or change limits.</summary>
public sealed class AppSessionLifetimeTests
{
    private const string Base = "/v2/enduser/enduserapi/";

    private static async Task<(Tenant Tenant, Tenant.User User, string Email, LoginToken Tokens)> LoggedInAsync(AppAccountsApp app)
    {
        var tenant = await Tenant.CreateAsync(app);
        var email = $"bo{Guid.NewGuid().ToString("N")[..8]}@example.com";
        var user = await tenant.CreateUserAsync(email);
        var envelope = await ReadAsync<LoginToken>(await app.CreateClient().PostAsync(Base + "emailPwdLogin?" + Query(EmailLogin(tenant.DomainId, tenant.DomainSecret, email, user.Password)), null));
        Assert.Equal(200, envelope.Code);
        return (tenant, user, email, envelope.Data);
    }

    [Fact]
    public async Task The_access_token_lives_two_hours_the_refresh_token_renews_it_until_its_own_thirty_days_end()
    {
        using var app = new AppAccountsApp();
        var (_, _, _, tokens) = await LoggedInAsync(app);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", tokens.AccessToken.Token);

        app.Clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await client.GetAsync(Base + "userInfo")));
        var renewed = await ReadAsync<LoginToken>(await app.CreateClient().PutAsync(Base + "refreshToken?" + Query(("refreshToken", tokens.RefreshToken.Token)), null));
        Assert.Equal(200, renewed.Code);

        app.Clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(Errors.TokenVerificationFailed.Code,
            await CodeAsync(await app.CreateClient().PutAsync(Base + "refreshToken?" + Query(("refreshToken", renewed.Data.RefreshToken.Token)), null)));
    }

    [Fact]
    public async Task Failures_across_a_user_domain_are_limited_in_aggregate()
    {
        using var app = new AppAccountsApp(new() { ["Bindery:Accounts:LoginFailuresPerUserDomain"] = "3" });
        var tenant = await Tenant.CreateAsync(app);
        var victim = await tenant.CreateUserAsync("victim@example.com");
        for (var i = 0; i < 3; i++)
        {
            // One guess each against three different accounts: no account reaches its own limit.
            var answer = await app.CreateClient().PostAsync(Base + "emailPwdLogin?" + Query(EmailLogin(tenant.DomainId, tenant.DomainSecret, $"target{i}@example.com", "a guess")), null);
            Assert.Equal(Errors.LoginFailed.Code, await CodeAsync(answer));
        }

        var right = await app.CreateClient().PostAsync(Base + "emailPwdLogin?" + Query(EmailLogin(tenant.DomainId, tenant.DomainSecret, "victim@example.com", victim.Password)), null);

        Assert.Equal(Errors.TooManyAttempts.Code, await CodeAsync(right));
    }
}
