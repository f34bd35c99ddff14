using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.StandIn;

/// <summary>
/// The stand-in request journal (docs/stand-in.md, "Request journal"): every request and answer of the app APIs
/// (both dialects) and the device API, secrets masked, in a bounded ring, queryable by dialect, path or Action,
/// user, device and time, and clearable.
/// </summary>
public sealed class JournalTests(StandInTrafficFixture fx) : IClassFixture<StandInTrafficFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(TencentApi Api, Tenant.User User, string FamilyId)> TencentUserAsync()
    {
        var user = await fx.Tenant.CreateUserAsync();
        var api = new TencentApi(fx.App.CreateClient(), user.Token);
        var familyId = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        return (api, user, familyId);
    }

    [Fact]
    public async Task The_app_called_AppTokenBindDeviceFamily_once_with_RoomId_0()
    {
        var product = await fx.Tenant.CreateProductAsync(bindingMode: 1);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var (api, user, familyId) = await TencentUserAsync();
        var token = await api.CreateTokenAsync();
        await new DeviceClient(fx.App.CreateClient(), device).ReportTokenOkAsync(token);
        var bound = await api.BindAsync(token, device, familyId, roomId: "0");
        Assert.False(bound.TryGetProperty("Error", out _), bound.ToString());

        var entry = Assert.Single(await fx.JournalAsync("action=AppTokenBindDeviceFamily"));
        Assert.Equal("tencent", entry.GetProperty("dialect").GetString());
        Assert.Equal("POST", entry.GetProperty("method").GetString());
        Assert.Equal(TencentApi.TokenApi, entry.GetProperty("path").GetString());
        Assert.Equal(user.Uid, entry.GetProperty("userId").GetString());
        Assert.Equal(device.Pk, entry.GetProperty("pk").GetString());
        Assert.Equal(device.Dk, entry.GetProperty("dk").GetString());
        var parameters = entry.GetProperty("parameters");
        Assert.Equal("0", parameters.GetProperty("RoomId").ToString());
        Assert.Equal(familyId, parameters.GetProperty("FamilyId").GetString());
        Assert.Equal("***", parameters.GetProperty("Token").GetString());
        Assert.Equal("***", parameters.GetProperty("AccessToken").GetString());
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        Assert.Equal("0", entry.GetProperty("answerCode").GetString());
        Assert.Single(await fx.JournalAsync($"action=AppTokenBindDeviceFamily&userId={user.Uid}&dialect=tencent"));

        // The device's side of it is journaled too, under the device API.
        var report = Assert.Single(await fx.JournalAsync("path=/device/v1/bind-token"));
        Assert.Equal("device", report.GetProperty("dialect").GetString());
        Assert.Equal(device.Dk, report.GetProperty("dk").GetString());
        Assert.Equal("200", report.GetProperty("answerCode").GetString());
    }

    [Fact]
    public async Task Entries_are_found_by_path_user_device_dialect_and_time()
    {
        var product = await fx.Plain.CreateProductAsync(bindingMode: 1);
        var device = await fx.Plain.CreateDeviceAsync(product.Pk);
        var (alice, bob) = (await fx.Plain.CreateUserAsync(), await fx.Plain.CreateUserAsync());
        await fx.ResetAsync();

        await BindingApi.BindSnOkAsync(alice, device);
        var early = Assert.Single(await fx.JournalAsync()).GetProperty("at").GetInt64();
        fx.App.Clock.Advance(TimeSpan.FromHours(1));
        try
        {
            Assert.Equal(200, (await BindingApi.ListAsync(bob.Client)).Code());
            Assert.Equal(Errors.DeviceNotBound.Code, (await BindingApi.UnbindAsync(bob.Client, device.Pk, device.Dk)).Code());
        }
        finally
        {
            fx.App.Clock.Advance(TimeSpan.FromHours(-1));
        }

        var all = await fx.JournalAsync();
        Assert.Equal(3, all.Length);
        Assert.True(all.Select(e => e.GetProperty("seq").GetInt64()).SequenceEqual(all.Select(e => e.GetProperty("seq").GetInt64()).Order()), "oldest first");
        Assert.All(all, e => Assert.Equal("quectel", e.GetProperty("dialect").GetString()));

        var bind = Assert.Single(await fx.JournalAsync("path=/v2/binding/enduserapi/bindDeviceSn"));
        Assert.Equal(alice.Uid, bind.GetProperty("userId").GetString());
        Assert.Equal(device.Pk, bind.GetProperty("parameters").GetProperty("pk").GetString());
        Assert.Equal("***", bind.GetProperty("parameters").GetProperty("sn").GetString());
        Assert.Equal("200", bind.GetProperty("answerCode").GetString());

        Assert.Equal(2, (await fx.JournalAsync($"userId={bob.Uid}")).Length);
        Assert.Equal(2, (await fx.JournalAsync($"pk={device.Pk}")).Length);
        Assert.Equal(3, (await fx.JournalAsync("path=/v2/binding/*")).Length);
        Assert.Empty(await fx.JournalAsync("dialect=tencent"));
        var unbind = Assert.Single(await fx.JournalAsync($"userId={bob.Uid}&pk={device.Pk}"));
        Assert.Equal("DELETE", unbind.GetProperty("method").GetString());
        Assert.Equal(Errors.DeviceNotBound.Code.ToString(CultureInfo.InvariantCulture), unbind.GetProperty("answerCode").GetString());
        Assert.Equal(Errors.DeviceNotBound.Code, unbind.GetProperty("answer").GetProperty("code").GetInt32());

        Assert.Equal(bind.GetProperty("seq").GetInt64(), Assert.Single(await fx.JournalAsync($"to={early}")).GetProperty("seq").GetInt64());
        Assert.Equal(2, (await fx.JournalAsync($"from={early + 1}")).Length);
        Assert.Single(await fx.JournalAsync("limit=1"));
        Assert.Equal("DELETE", Assert.Single(await fx.JournalAsync("limit=1")).GetProperty("method").GetString());
    }

    [Fact]
    public async Task Unknown_routes_and_refusals_of_the_app_apis_are_journaled_with_their_envelopes()
    {
        using var anonymous = fx.App.CreateClient();
        await anonymous.GetAsync("/v2/binding/enduserapi/noSuchThing");
        await anonymous.PostAsJsonAsync(TencentApi.TokenApi, new { Action = "AppGetFamilyList", RequestId = "r-anon", AccessToken = "not-a-session" });

        var unknown = Assert.Single(await fx.JournalAsync("path=/v2/binding/enduserapi/noSuchThing"));
        Assert.Equal(404, unknown.GetProperty("status").GetInt32());
        Assert.Equal(Errors.NotFound.Code.ToString(CultureInfo.InvariantCulture), unknown.GetProperty("answerCode").GetString());
        var refused = Assert.Single(await fx.JournalAsync("action=AppGetFamilyList"));
        Assert.Equal(JsonValueKind.Null, refused.GetProperty("userId").ValueKind);
        Assert.Equal(Errors.InvalidAccessToken.TencentCode, refused.GetProperty("answerCode").GetString());
        Assert.Equal("r-anon", refused.GetProperty("answer").GetProperty("Response").GetProperty("RequestId").GetString());
    }

    [Fact]
    public async Task The_journal_never_contains_a_secret_code_token_password_or_signature()
    {
        // Everything secret this test uses, collected as it goes; the whole journal is grepped for each at the end.
        var secrets = new List<string>();
        var product = await fx.Plain.CreateProductAsync(bindingMode: 1);
        var (wifiDevice, snDevice) = (await fx.Plain.CreateDeviceAsync(product.Pk), await fx.Plain.CreateDeviceAsync(product.Pk));
        secrets.AddRange([wifiDevice.DeviceSecret, snDevice.DeviceSecret, snDevice.Sn, wifiDevice.Sn, product.Ps, fx.Plain.DomainSecret]);

        // Accounts: register and log in (password), the tokens of the answer, a refresh.
        using var anonymous = fx.App.CreateClient();
        var username = "journal" + Guid.NewGuid().ToString("N")[..8];
        const string password = "journal-password-never-kept";
        secrets.Add(password);
        await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = fx.Plain.DomainId, username, password });
        var login = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = fx.Plain.DomainId, username, password });
        var accessToken = login.GetProperty("accessToken").GetProperty("token").GetString()!;
        secrets.Add(Bare(accessToken));
        if (login.TryGetProperty("refreshToken", out var refresh) && refresh.ValueKind == JsonValueKind.Object)
        {
            var refreshToken = refresh.GetProperty("token").GetString()!;
            secrets.Add(Bare(refreshToken));
            var refreshed = await (await anonymous.PutAsync($"/v2/enduser/enduserapi/refreshToken?refreshToken={Uri.EscapeDataString(refreshToken)}", null)).ReadEnvelopeAsync();
            if (refreshed.Code() == 200)
            {
                accessToken = refreshed.Data().GetProperty("accessToken").GetProperty("token").GetString()!;
                secrets.Add(Bare(accessToken));
                secrets.Add(Bare(refreshed.Data().GetProperty("refreshToken").GetProperty("token").GetString()!));
            }
        }
        using var userClient = fx.App.CreateClient();
        userClient.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", accessToken);
        var user = new Tenant.User(login.GetProperty("uid").GetString()!, username, password, accessToken, userClient);

        // Wi-Fi binding: the device reports a code (signed request), the app binds with it and gets an authKey.
        var wifiSide = new DeviceClient(fx.App.CreateClient(), wifiDevice);
        var bindingSecret = DeviceClient.NewSecret();
        secrets.Add(bindingSecret);
        await wifiSide.ReportBindingSecretAsync(bindingSecret);
        var (wifiAuthKey, code) = await BindingApi.BindWifiOkAsync(wifiSide, user, wifiDevice);
        secrets.AddRange([code, wifiAuthKey]);
        Assert.True(await wifiSide.IsAuthKeyValidAsync(wifiAuthKey));
        // A signed device request whose signature the test knows.
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = DeviceClient.NewNonce();
        secrets.Add(DeviceClient.Sign(wifiDevice.DeviceSecret, "GET", "/device/v1/binding-state", wifiDevice.Pk, wifiDevice.Dk, timestamp, nonce, []));
        await wifiSide.SendAsync(HttpMethod.Get, "/device/v1/binding-state", null, long.Parse(timestamp, CultureInfo.InvariantCulture), nonce);

        // SN binding (the sn in the query) and its authKey.
        secrets.Add(await BindingApi.BindSnOkAsync(user, snDevice));

        // Tencent (a home-mode domain): the AccessToken in every body, a bind token created, reported by the device, polled and bound.
        var tencentUser = await fx.Tenant.CreateUserAsync();
        secrets.AddRange([tencentUser.Password, Bare(tencentUser.Token)]);
        var tencentProduct = await fx.Tenant.CreateProductAsync(bindingMode: 1);
        var tokenDevice = await fx.Tenant.CreateDeviceAsync(tencentProduct.Pk);
        secrets.AddRange([tokenDevice.DeviceSecret, tokenDevice.Sn, tencentProduct.Ps, fx.Tenant.DomainSecret]);
        var api = new TencentApi(fx.App.CreateClient(), Bare(tencentUser.Token));
        var familyId = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        var bindToken = await api.CreateTokenAsync();
        secrets.Add(bindToken);
        await new DeviceClient(fx.App.CreateClient(), tokenDevice).ReportTokenOkAsync(bindToken);
        await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = bindToken });
        var bound = await api.BindAsync(bindToken, tokenDevice, familyId);
        Assert.False(bound.TryGetProperty("Error", out _), bound.ToString());
        // A wrong password and a wrong code are secrets too (a typo of the real one).
        const string wrongPassword = "journal-wrong-password";
        secrets.Add(wrongPassword);
        await anonymous.PostAsJsonAsync("/v2/enduser/enduserapi/login", new { userDomain = fx.Plain.DomainId, username, password = wrongPassword });
        secrets.Add(StandInTrafficFixture.Key);
        secrets.Add(BinderyApp.AdminKeyValue);

        var dump = await fx.JournalDumpAsync();
        Assert.True((await fx.JournalAsync()).Length >= 12, "the flows above were journaled");
        Assert.Contains("\"***\"", dump, StringComparison.Ordinal);
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)).Distinct())
        {
            Assert.False(dump.Contains(secret, StringComparison.Ordinal), $"the journal contains a secret ({secret.Length} characters, starting {secret[..Math.Min(4, secret.Length)]})");
            Assert.False(dump.Contains(Uri.EscapeDataString(secret), StringComparison.Ordinal), "the journal contains an escaped secret");
        }
    }

    [Theory]
    [InlineData("password", true)]
    [InlineData("newPwd", true)]
    [InlineData("AccessToken", true)]
    [InlineData("refresh_token", true)]
    [InlineData("bindingCode", true)]
    [InlineData("shareCode", true)]
    [InlineData("VerificationCode", true)]
    [InlineData("code", true)]
    [InlineData("bindingSecret", true)]
    [InlineData("AppSecret", true)]
    [InlineData("Signature", true)]
    [InlineData("authKey", true)]
    [InlineData("sn", true)]
    [InlineData("random", true)]
    [InlineData("encryptedPayload", true)]
    [InlineData("pureBtResetCredentials", true)]
    [InlineData("pk", false)]
    [InlineData("dk", false)]
    [InlineData("CountryCode", false)]
    [InlineData("internationalCode", false)]
    [InlineData("RoomId", false)]
    [InlineData("Action", false)]
    [InlineData("TokenLength", false)]
    public void One_list_of_secret_field_names(string name, bool secret) =>
        Assert.Equal(secret, LogRedaction.IsSecretName(name));

    [Fact]
    public async Task Clearing_forgets_every_entry_and_bad_queries_are_refused()
    {
        using var anonymous = fx.App.CreateClient();
        await anonymous.GetAsync("/v2/binding/enduserapi/userDeviceList");
        Assert.NotEmpty(await fx.JournalAsync());
        var cleared = await (await fx.StandIn.DeleteAsync("/stand-in/v1/journal")).ReadEnvelopeAsync();
        Assert.True(cleared.Data().GetProperty("cleared").GetInt32() >= 1);
        Assert.Empty(await fx.JournalAsync());

        foreach (var query in new[] { "dialect=soap", "from=10&to=5", "limit=0" })
        {
            var response = await fx.StandIn.GetAsync("/stand-in/v1/journal?" + query);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(Errors.InvalidParameterValue.Code, (await response.ReadEnvelopeAsync()).Code());
        }
        // The stand-in and admin APIs are not journaled.
        Assert.Empty(await fx.JournalAsync());
    }

    private static string Bare(string token) => token.StartsWith("Bearer ", StringComparison.Ordinal) ? token["Bearer ".Length..] : token;
}

/// <summary>A journal of capacity 3 keeps the 3 newest entries.</summary>
public sealed class SmallJournalFixture() : StandInTrafficFixture(new Dictionary<string, string?> { ["Bindery:StandIn:Journal:Capacity"] = "3" });

public sealed class JournalCapacityTests(SmallJournalFixture fx) : IClassFixture<SmallJournalFixture>
{
    [Fact]
    public async Task The_journal_keeps_only_its_capacity_newest_first_forgotten()
    {
        await fx.ResetAsync();
        using var anonymous = fx.App.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            await anonymous.GetAsync($"/v2/binding/enduserapi/userDeviceList?page={i + 1}");
        }
        var envelope = await fx.StandIn.GetFromJsonAsync<JsonElement>("/stand-in/v1/journal");
        Assert.Equal(3, envelope.GetProperty("data").GetProperty("capacity").GetInt32());
        var entries = envelope.GetProperty("data").GetProperty("entries").EnumerateArray().ToArray();
        Assert.Equal(["3", "4", "5"], entries.Select(e => e.GetProperty("parameters").GetProperty("page").GetString()));
    }
}

/// <summary>With the journal off, faults still work and nothing is kept.</summary>
public sealed class JournalOffFixture() : StandInTrafficFixture(new Dictionary<string, string?> { ["Bindery:StandIn:Journal:Enabled"] = "false" });

public sealed class JournalOffTests(JournalOffFixture fx) : IClassFixture<JournalOffFixture>
{
    [Fact]
    public async Task Nothing_is_journaled_but_faults_still_answer()
    {
        await fx.ResetAsync();
        using var anonymous = fx.App.CreateClient();
        await fx.AddFaultAsync(new { path = "/v2/binding/enduserapi/userDeviceList", error = nameof(Errors.NoPermission) });
        Assert.Equal(Errors.NoPermission.Code, (await (await anonymous.GetAsync("/v2/binding/enduserapi/userDeviceList")).ReadEnvelopeAsync()).Code());
        var envelope = await fx.StandIn.GetFromJsonAsync<JsonElement>("/stand-in/v1/journal");
        Assert.False(envelope.GetProperty("data").GetProperty("enabled").GetBoolean());
        Assert.Empty(envelope.GetProperty("data").GetProperty("entries").EnumerateArray());
    }
}
