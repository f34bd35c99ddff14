using Bindery.Infrastructure;
using System.Net.Http.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Accounts;

public sealed class SessionTests(SharedApp app) : IClassFixture<SharedApp>
{
    private const string UserInfo = "/v2/enduser/enduserapi/userInfo";
    private const string Logout = "/v2/enduser/enduserapi/userLogout";

    /// <summary>setUserPwd with the passwords in the clear (no <c>random</c>), as Bindery accepts them.</summary>
    private static string SetUserPwd(string oldPwd, string newPwd) =>
        $"/v2/enduser/enduserapi/setUserPwd?oldPwd={Uri.EscapeDataString(oldPwd)}&newPwd={Uri.EscapeDataString(newPwd)}";

    [Fact]
    public async Task A_missing_token_is_5106()
    {
        var envelope = await Seed.GetAsync(app.CreateClient(), UserInfo);
        Assert.Equal(5106, envelope.Code());
        Assert.Equal("Please enter token", envelope.Msg());
    }

    [Theory]
    [InlineData("not-a-real-token")]
    [InlineData("Bearer not-a-real-token")]
    public async Task An_unknown_token_is_5032(string header)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        Assert.Equal(5032, (await Seed.GetAsync(client, UserInfo)).Code());
    }

    [Fact]
    public async Task An_absurdly_long_token_is_5032_not_an_error()
    {
        var client = Seed.ClientWithToken(app, new string('t', 4000));
        Assert.Equal(5032, (await Seed.GetAsync(client, UserInfo)).Code());
    }

    [Fact]
    public async Task The_token_works_bare_and_as_a_bearer_token()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        var bearer = Seed.ClientWithToken(app, "Bearer " + user.Token);
        Assert.Equal(user.Uid, (await Seed.GetOkAsync(bearer, UserInfo)).GetProperty("uid").GetString());
        Assert.Equal(user.Uid, (await Seed.GetOkAsync(user.Client, UserInfo)).GetProperty("uid").GetString());
    }

    [Fact]
    public async Task User_info_holds_no_password()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        var body = await (await user.Client.GetAsync(UserInfo)).Content.ReadAsStringAsync();
        Assert.DoesNotContain(user.Password, body, StringComparison.Ordinal);
        Assert.DoesNotContain("password", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Logout_kills_that_token_only()
    {
        var domain = await Seed.UserDomainAsync(app);
        var user = await Seed.UserAsync(app, domain);
        var other = await Tenant.PostOkAsync(app.CreateClient(), "/v2/enduser/enduserapi/login", new { userDomain = domain, username = user.Username, password = user.Password });
        var otherClient = Seed.ClientWithToken(app, other.GetProperty("accessToken").GetProperty("token").GetString()!);

        Assert.Equal(200, (await Seed.DeleteAsync(user.Client, Logout)).Code());
        Assert.Equal(5032, (await Seed.GetAsync(user.Client, UserInfo)).Code());
        Assert.Equal(5032, (await Seed.DeleteAsync(user.Client, Logout)).Code());
        Assert.Equal(200, (await Seed.GetAsync(otherClient, UserInfo)).Code());
    }

    [Fact]
    public async Task Logout_without_a_token_is_5106()
    {
        Assert.Equal(Errors.TokenMissing.Code, (await Seed.DeleteAsync(app.CreateClient(), Logout)).Code());
    }

    [Fact]
    public async Task Set_user_pwd_keeps_this_session_ends_the_others_and_the_old_password()
    {
        var domain = await Seed.UserDomainAsync(app);
        var user = await Seed.UserAsync(app, domain);
        var other = await Tenant.PostOkAsync(app.CreateClient(), "/v2/enduser/enduserapi/login", new { userDomain = domain, username = user.Username, password = user.Password });
        var otherClient = Seed.ClientWithToken(app, other.GetProperty("accessToken").GetProperty("token").GetString()!);

        Assert.Equal(200, (await Seed.PutAsync(user.Client, SetUserPwd(user.Password, "a brand new passphrase"))).Code());

        Assert.Equal(200, (await Seed.GetAsync(user.Client, UserInfo)).Code());
        Assert.Equal(5032, (await Seed.GetAsync(otherClient, UserInfo)).Code());
        var login = "/v2/enduser/enduserapi/login";
        Assert.Equal(9006, (await Seed.PostAsync(app.CreateClient(), login, new { userDomain = domain, username = user.Username, password = user.Password })).Code());
        Assert.Equal(200, (await Seed.PostAsync(app.CreateClient(), login, new { userDomain = domain, username = user.Username, password = "a brand new passphrase" })).Code());
    }

    [Fact]
    public async Task Set_user_pwd_needs_the_right_old_one_and_a_valid_new_one()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        Assert.Equal(Errors.OldPasswordWrong.Code, (await Seed.PutAsync(user.Client, SetUserPwd("not my password", "a brand new passphrase"))).Code());
        Assert.Equal(Errors.InvalidParameterValue.Code, (await Seed.PutAsync(user.Client, SetUserPwd(user.Password, "short"))).Code());
        Assert.Equal(Errors.NewPasswordSameAsOld.Code, (await Seed.PutAsync(user.Client, SetUserPwd(user.Password, user.Password))).Code());
        Assert.Equal(Errors.InvalidParameter.Code, (await Seed.PutAsync(user.Client, "/v2/enduser/enduserapi/setUserPwd?newPwd=a%20brand%20new%20passphrase")).Code());
        Assert.Equal(Errors.TokenMissing.Code, (await Seed.PutAsync(app.CreateClient(), SetUserPwd(user.Password, "a brand new passphrase"))).Code());
        Assert.Equal(200, (await Seed.GetAsync(user.Client, UserInfo)).Code());
    }
}

/// <summary>Token lifetime; own server because the test moves its clock.</summary>
public sealed class SessionExpiryTests : IDisposable
{
    private readonly BinderyApp _app = new(SharedApp.FastHashing());

    [Fact]
    public async Task A_token_expires_after_its_lifetime_with_5032()
    {
        var user = await Seed.UserAsync(_app, await Seed.UserDomainAsync(_app));
        Assert.Equal(200, (await Seed.GetAsync(user.Client, "/v2/enduser/enduserapi/userInfo")).Code());

        _app.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));

        Assert.Equal(5032, (await Seed.GetAsync(user.Client, "/v2/enduser/enduserapi/userInfo")).Code());
        Assert.Equal(5032, (await Seed.PostAsync(user.Client, "/v2/family/enduserapi/addFamily", new { familyName = "Late" })).Code());
    }

    public void Dispose() => _app.Dispose();
}
