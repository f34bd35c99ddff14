using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bindery.Infrastructure;
using Bindery.Tests.Support;
using static Bindery.Tests.Tencent.SignedAppRequests;

namespace Bindery.Tests.Tencent;

/// <summary>
/// Apps and their login (docs/tencent-api.md): the admin registers an app (AppKey, AppSecret shown once, user
/// domain); the official apps' signed AppGetToken logs a /v2 account in, as Android (<c>…/appapi/AppGetToken</c>,
/// Nonce 0–9) and iOS (<c>…/appapi</c>) send it; a replayed signed request, a bad signature, a stale timestamp and an
/// unknown AppKey are refused alike. The signature is computed here independently of the server's code.
/// </summary>
public sealed class TencentAppLoginTests(TencentClientFixture fx) : IClassFixture<TencentClientFixture>
{
    private const string Password = "correct horse battery staple";

    private Task<App> CreateAppAsync(Tenant tenant) => SignedAppRequests.CreateAppAsync(fx.App, tenant);

    private Task<JsonElement> PostAsync(string path, JsonObject body) => SignedAppRequests.PostAsync(fx.App, path, body);

    private static JsonObject PhoneLogin(string countryCode, string phone, string password) => new()
    {
        ["Action"] = "AppGetToken", ["Type"] = "phone", ["CountryCode"] = countryCode, ["PhoneNumber"] = phone, ["Password"] = password,
    };

    [Fact]
    public async Task Android_logs_a_v2_account_in_with_a_signed_AppGetToken_and_the_token_works_on_the_token_api()
    {
        var app = await CreateAppAsync(fx.Client);
        var user = await fx.Client.CreateUserAsync("+8613800000001");

        var root = await PostAsync("/api/exploreropen/appapi/AppGetToken", SignRequest(app, PhoneLogin("86", "13800000001", Password)));

        var data = ClientApi.Data(root).GetProperty("Data");
        var token = data.GetProperty("Token").GetString()!;
        Assert.True(data.GetProperty("ExpireAt").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var me = (await new ClientApi(fx.App.CreateClient(), token).OkAsync("AppGetUser")).GetProperty("Data");
        Assert.Equal(user.Uid, me.GetProperty("UserID").GetString());
    }

    [Fact]
    public async Task iOS_logs_in_by_email_on_the_plain_appapi_path()
    {
        var app = await CreateAppAsync(fx.Client);
        var email = $"ios-{Guid.NewGuid():N}@example.com"[..40];
        await fx.Client.CreateUserAsync(email);

        var root = await PostAsync("/api/exploreropen/appapi", SignRequest(app, new JsonObject
        {
            ["Action"] = "AppGetToken", ["Type"] = "email", ["Email"] = email, ["Password"] = Password,
        }));

        Assert.False(string.IsNullOrEmpty(ClientApi.Data(root).GetProperty("Data").GetProperty("Token").GetString()));
    }

    [Fact]
    public async Task A_replayed_signed_request_is_refused_but_a_new_one_with_the_same_nonce_is_not()
    {
        var app = await CreateAppAsync(fx.Client);
        await fx.Client.CreateUserAsync("+8613800000002");
        var first = SignRequest(app, PhoneLogin("86", "13800000002", Password), nonce: 7);

        ClientApi.Data(await PostAsync("/api/exploreropen/appapi", first));
        Assert.Equal(Errors.AppSignatureInvalid.TencentCode, ClientApi.ErrorCode(await PostAsync("/api/exploreropen/appapi", first)));

        // Android draws the Nonce from 0-9 for every user of an AppKey: a new request with the same Nonce logs in.
        var again = SignRequest(app, PhoneLogin("86", "13800000002", Password), nonce: 7);
        ClientApi.Data(await PostAsync("/api/exploreropen/appapi", again));
    }

    [Fact]
    public async Task A_bad_signature_a_stale_timestamp_and_an_unknown_app_are_refused_alike()
    {
        var app = await CreateAppAsync(fx.Client);
        await fx.Client.CreateUserAsync("+8613800000003");
        var refusals = new[]
        {
            SignRequest(app, PhoneLogin("86", "13800000003", Password), secret: "not the app secret"),
            SignRequest(app, PhoneLogin("86", "13800000003", Password), timestamp: DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds()),
            SignRequest(new App("ak-no-such-app", app.AppSecret), PhoneLogin("86", "13800000003", Password)),
        };
        var tampered = SignRequest(app, PhoneLogin("86", "13800000003", Password));
        tampered["PhoneNumber"] = "13800000004";

        foreach (var body in refusals.Append(tampered))
        {
            var root = await PostAsync("/api/exploreropen/appapi", body);
            var error = root.TryGetProperty("Response", out var response) ? response.GetProperty("Error") : root.GetProperty("data").GetProperty("Error");
            Assert.Equal(Errors.AppSignatureInvalid.TencentCode, error.GetProperty("Code").GetString());
        }
    }

    [Fact]
    public async Task A_wrong_password_is_UserLoginFailed_and_counts_against_the_login_guess_limit()
    {
        var app = await CreateAppAsync(fx.Client);
        await fx.Client.CreateUserAsync("+8613800000005");

        var wrong = await PostAsync("/api/exploreropen/appapi", SignRequest(app, PhoneLogin("86", "13800000005", "not the password")));

        Assert.Equal(Errors.UserLoginFailed.TencentCode, ClientApi.ErrorCode(wrong));
    }

    [Fact]
    public async Task The_app_secret_is_shown_once_and_an_app_of_a_missing_domain_is_refused()
    {
        var app = await CreateAppAsync(fx.Client);
        using var admin = fx.App.CreateAdminClient();

        var listed = (await (await admin.GetAsync("/admin/v1/tencent-apps")).ReadEnvelopeAsync()).Data();
        var mine = listed.EnumerateArray().Single(a => a.GetProperty("appKey").GetString() == app.AppKey);
        Assert.False(mine.TryGetProperty("appSecret", out _));
        Assert.DoesNotContain(app.AppSecret, listed.ToString(), StringComparison.Ordinal);

        using var missing = await admin.PostAsJsonAsync("/admin/v1/tencent-apps", new { userDomain = "no-such-domain", name = "x" });
        Assert.Equal(Errors.InvalidParameterValue.Code, (await missing.ReadEnvelopeAsync()).Code());

        Assert.Equal(200, (await (await admin.DeleteAsync($"/admin/v1/tencent-apps/{app.AppKey}")).ReadEnvelopeAsync()).Code());
        var afterDelete = await PostAsync("/api/exploreropen/appapi", SignRequest(app, PhoneLogin("86", "13800000009", Password)));
        Assert.Equal(Errors.AppSignatureInvalid.TencentCode,
            (afterDelete.TryGetProperty("Response", out var r) ? r.GetProperty("Error") : afterDelete.GetProperty("data").GetProperty("Error")).GetProperty("Code").GetString());
    }
}
