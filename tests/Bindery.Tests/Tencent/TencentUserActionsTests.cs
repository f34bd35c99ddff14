using System.Net.Http.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// The token API's own-user actions: AppGetUser (what the mini-program SDK's login reads), AppLogoutUser and
/// AppUserResetPassword. The accounts are the /v2 API's accounts.
/// </summary>
public sealed class TencentUserActionsTests(TencentClientFixture fx) : IClassFixture<TencentClientFixture>
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task AppGetUser_names_the_signed_in_user_in_data_Data()
    {
        var user = await fx.Client.CreateUserAsync();
        var api = new ClientApi(fx.App.CreateClient(), user.Token);

        var data = (await api.OkAsync("AppGetUser")).GetProperty("Data");

        Assert.Equal(user.Uid, data.GetProperty("UserID").GetString());
        Assert.Equal(user.Username, data.GetProperty("NickName").GetString());
    }

    [Fact]
    public async Task AppUpdateUser_sets_the_nickname_and_avatar_AppGetUser_reads()
    {
        var user = await fx.Client.CreateUserAsync();
        var api = new ClientApi(fx.App.CreateClient(), user.Token);

        await api.OkAsync("AppUpdateUser", new() { ["NickName"] = "Xiao Ming", ["Avatar"] = "https://example.com/ming.png" });
        await api.OkAsync("AppUpdateUser", new() { ["NickName"] = "Ming" });   // a field left out stays as it is

        var data = (await api.OkAsync("AppGetUser")).GetProperty("Data");
        Assert.Equal("Ming", data.GetProperty("NickName").GetString());
        Assert.Equal("https://example.com/ming.png", data.GetProperty("Avatar").GetString());
        Assert.Equal("InvalidParameterValue", ClientApi.ErrorCode(await api.CallAsync("AppUpdateUser", new() { ["Avatar"] = "javascript:alert(1)" })));
        Assert.Equal("InvalidParameterValue", ClientApi.ErrorCode(await api.CallAsync("AppUpdateUser", new() { ["NickName"] = new string('x', 65) })));
    }

    [Fact]
    public async Task AppLogoutUser_ends_this_session_so_the_apps_log_the_user_out()
    {
        var user = await fx.Client.CreateUserAsync();
        var api = new ClientApi(fx.App.CreateClient(), user.Token);

        await api.OkAsync("AppLogoutUser");

        // A revoked session no longer names its user domain, so the refusal comes in the deployment's envelope (this
        // fixture's default is the documented Response form; docs/tencent-api.md, "How the envelope is chosen").
        var after = await api.CallAsync("AppGetUser");
        Assert.Equal("InvalidParameterValue.InvalidAccessToken", after.GetProperty("Response").GetProperty("Error").GetProperty("Code").GetString());
    }

    [Fact]
    public async Task AppUserResetPassword_needs_the_current_password_and_the_new_one_logs_in_through_the_v2_api()
    {
        var user = await fx.Client.CreateUserAsync();
        var api = new ClientApi(fx.App.CreateClient(), user.Token);

        var wrong = await api.CallAsync("AppUserResetPassword", new() { ["Password"] = "not the password", ["NewPassword"] = "a brand new passphrase" });
        Assert.Equal(-1000, wrong.GetProperty("code").GetInt32());
        Assert.Equal(Bindery.Infrastructure.Errors.LoginFailed.TencentCode, wrong.GetProperty("data").GetProperty("Error").GetProperty("Code").GetString());

        await api.OkAsync("AppUserResetPassword", new() { ["Password"] = Password, ["NewPassword"] = "a brand new passphrase" });

        using var anonymous = fx.App.CreateClient();
        async Task<int> LoginAsync(string password) => (await (await anonymous.PostAsJsonAsync("/v2/enduser/enduserapi/login",
            new { userDomain = fx.Client.DomainId, username = user.Username, password })).ReadEnvelopeAsync()).Code();
        Assert.Equal(200, await LoginAsync("a brand new passphrase"));
        Assert.Equal(Bindery.Infrastructure.Errors.LoginFailed.Code, await LoginAsync(Password));
        // The session that asked stays valid.
        await api.OkAsync("AppGetUser");
    }
}
