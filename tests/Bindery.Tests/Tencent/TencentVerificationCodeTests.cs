using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bindery.Infrastructure;
using Bindery.Tencent;
using Bindery.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Bindery.Tests.Tencent.SignedAppRequests;

namespace Bindery.Tests.Tencent;

/// <summary>The SMS or mail gateway of the tests: it keeps the last code sent to each target.</summary>
public sealed class CapturedCodes : IVerificationCodeSender
{
    private readonly ConcurrentDictionary<string, string> _codes = new();

    public bool Available => true;

    public Task SendAsync(string target, string purpose, string code, CancellationToken cancellationToken)
    {
        _codes[target + "/" + purpose] = code;
        return Task.CompletedTask;
    }

    public string Last(string target, string purpose) => _codes[target + "/" + purpose];
}

/// <summary>A server whose verification codes go to <see cref="CapturedCodes"/> instead of the log.</summary>
public sealed class CodeCapturingApp : BinderyApp
{
    public CapturedCodes Codes { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<IVerificationCodeSender>(Codes)));
    }
}

public sealed class VerificationCodeFixture : IAsyncLifetime
{
    public CodeCapturingApp App { get; } = new();

    public Tenant Tenant { get; private set; } = null!;

    public SignedAppRequests.App SignedApp { get; private set; } = null!;

    /// <summary>A second user domain that keeps the documented Response envelope, with an app of its own.</summary>
    public Tenant Documented { get; private set; } = null!;

    public SignedAppRequests.App DocumentedApp { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Documented = await Tenant.CreateAsync(App, homeMode: true);
        DocumentedApp = await CreateAppAsync(App, Documented);
        Tenant = await Tenant.CreateAsync(App, homeMode: true);
        using var admin = App.CreateAdminClient();
        using var patched = await admin.PatchAsJsonAsync($"/admin/v1/user-domains/{Tenant.DomainId}", new { tencentEnvelope = "client" });
        Assert.Equal(200, (await patched.ReadEnvelopeAsync()).Code());
        SignedApp = await CreateAppAsync(App, Tenant);
    }

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Registering by phone or e-mail and resetting a password with a verification code (docs/tencent-api.md,
/// "Verification codes"), through the signed pre-login actions the official apps call.
/// </summary>
public sealed class TencentVerificationCodeTests(VerificationCodeFixture fx) : IClassFixture<VerificationCodeFixture>
{
    private static int _phone = Random.Shared.Next(1_000_000, 9_000_000);

    private static string NewPhone() => "139" + Interlocked.Increment(ref _phone).ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    private Task<JsonElement> CallAsync(JsonObject parameters) => SignedAppRequests.CallAsync(fx.App, fx.SignedApp, parameters);

    private async Task<string> LoginAsync(string phone, string password) =>
        ClientApi.Data(await CallAsync(new JsonObject
        {
            ["Action"] = "AppGetToken", ["Type"] = "phone", ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["Password"] = password,
        })).GetProperty("Data").GetProperty("Token").GetString()!;

    [Fact]
    public async Task A_phone_number_registers_with_the_code_sent_to_it_and_the_code_works_once()
    {
        var phone = NewPhone();
        ClientApi.Data(await CallAsync(new JsonObject { ["Action"] = "AppSendVerificationCode", ["Type"] = "register", ["CountryCode"] = "86", ["PhoneNumber"] = phone }));
        var code = fx.App.Codes.Last("+86" + phone, "register");

        ClientApi.Data(await CallAsync(new JsonObject
        {
            ["Action"] = "AppCheckVerificationCode", ["Type"] = "register", ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["VerificationCode"] = code,
        }));
        var created = ClientApi.Data(await CallAsync(new JsonObject
        {
            ["Action"] = "AppCreateCellphoneUser", ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["Password"] = "correct horse battery staple", ["VerificationCode"] = code,
        }));
        Assert.False(string.IsNullOrEmpty(created.GetProperty("UserID").GetString()));
        Assert.False(string.IsNullOrEmpty(await LoginAsync(phone, "correct horse battery staple")));
        // The same account through the /v2 API.
        using var anonymous = fx.App.CreateClient();
        Assert.Equal(200, (await (await anonymous.PostAsJsonAsync("/v2/enduser/enduserapi/login",
            new { userDomain = fx.Tenant.DomainId, username = "+86" + phone, password = "correct horse battery staple" })).ReadEnvelopeAsync()).Code());

        var again = await CallAsync(new JsonObject
        {
            ["Action"] = "AppCreateCellphoneUser", ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["Password"] = "another passphrase", ["VerificationCode"] = code,
        });
        Assert.Equal(Errors.VerificationCodeInvalid.TencentCode, ErrorCodeOf(again));
    }

    [Fact]
    public async Task Five_wrong_codes_void_the_code_and_an_expired_code_is_refused()
    {
        var phone = NewPhone();
        ClientApi.Data(await CallAsync(new JsonObject { ["Action"] = "AppSendVerificationCode", ["CountryCode"] = "86", ["PhoneNumber"] = phone }));
        var code = fx.App.Codes.Last("+86" + phone, "register");
        var wrong = code == "000000" ? "000001" : "000000";
        for (var i = 0; i < VerificationCodes.FailuresPerCode; i++)
        {
            Assert.Equal(Errors.VerificationCodeInvalid.TencentCode, ErrorCodeOf(await CallAsync(new JsonObject
            {
                ["Action"] = "AppCheckVerificationCode", ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["VerificationCode"] = wrong,
            })));
        }
        Assert.Equal(Errors.VerificationCodeInvalid.TencentCode, ErrorCodeOf(await CallAsync(new JsonObject
        {
            ["Action"] = "AppCheckVerificationCode", ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["VerificationCode"] = code,
        })));

        var other = NewPhone();
        ClientApi.Data(await CallAsync(new JsonObject { ["Action"] = "AppSendVerificationCode", ["CountryCode"] = "86", ["PhoneNumber"] = other }));
        var otherCode = fx.App.Codes.Last("+86" + other, "register");
        fx.App.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        try
        {
            // Signed with the server's clock, since the request's Timestamp must be within its window.
            var body = SignRequest(fx.SignedApp, new JsonObject
            {
                ["Action"] = "AppCheckVerificationCode", ["CountryCode"] = "86", ["PhoneNumber"] = other, ["VerificationCode"] = otherCode,
            }, timestamp: fx.App.Clock.GetUtcNow().ToUnixTimeSeconds());
            Assert.Equal(Errors.VerificationCodeInvalid.TencentCode, ErrorCodeOf(await PostAsync(fx.App, "/api/exploreropen/appapi", body)));
        }
        finally
        {
            fx.App.Clock.Advance(-(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1)));
        }
    }

    [Fact]
    public async Task A_password_is_reset_by_email_with_a_reset_code_and_every_session_ends()
    {
        var email = $"reset-{Guid.NewGuid():N}"[..20] + "@example.com";
        var user = await fx.Tenant.CreateUserAsync(email);
        ClientApi.Data(await CallAsync(new JsonObject { ["Action"] = "AppSendEmailVerificationCode", ["Type"] = "resetpass", ["Email"] = email }));
        var code = fx.App.Codes.Last(email, "resetpass");

        // A register code is not a reset code.
        Assert.Equal(Errors.VerificationCodeInvalid.TencentCode, ErrorCodeOf(await CallAsync(new JsonObject
        {
            ["Action"] = "AppCreateEmailUser", ["Email"] = email, ["Password"] = "whatever passphrase", ["VerificationCode"] = code,
        })));
        ClientApi.Data(await CallAsync(new JsonObject
        {
            ["Action"] = "AppResetPasswordByEmail", ["Email"] = email, ["Password"] = "a fresh passphrase", ["VerificationCode"] = code,
        }));

        var oldSession = await new ClientApi(fx.App.CreateClient(), user.Token).CallAsync("AppGetUser");
        Assert.Equal("InvalidParameterValue.InvalidAccessToken", ErrorCodeOf(oldSession));
        var login = await CallAsync(new JsonObject { ["Action"] = "AppGetToken", ["Type"] = "email", ["Email"] = email, ["Password"] = "a fresh passphrase" });
        ClientApi.Data(login);
    }

    [Fact]
    public async Task Sending_again_within_a_minute_is_refused_and_an_existing_account_gets_the_same_answer_as_a_new_one()
    {
        var existing = await fx.Tenant.CreateUserAsync("+86" + NewPhone());
        var fresh = NewPhone();
        var forExisting = await CallAsync(new JsonObject { ["Action"] = "AppSendVerificationCode", ["CountryCode"] = "86", ["PhoneNumber"] = existing.Username[3..] });
        var forFresh = await CallAsync(new JsonObject { ["Action"] = "AppSendVerificationCode", ["CountryCode"] = "86", ["PhoneNumber"] = fresh });
        Assert.Equal(0, forExisting.GetProperty("code").GetInt32());
        Assert.Equal(0, forFresh.GetProperty("code").GetInt32());

        var soon = await CallAsync(new JsonObject { ["Action"] = "AppSendVerificationCode", ["CountryCode"] = "86", ["PhoneNumber"] = fresh });
        Assert.Equal(Errors.TooManyAttempts.TencentCode, ErrorCodeOf(soon));
    }

    public static TheoryData<string> PreLoginActions => [.. TencentAppApi.Names];

    /// <summary>
    /// Every signed pre-login action succeeds in both envelopes with its fields where each reads them: the client
    /// envelope per the action's shape (flat <c>data.X</c> or wrapped <c>data.Data.X</c>), the documented one in
    /// <c>Response.Data</c>.
    /// </summary>
    [Theory]
    [MemberData(nameof(PreLoginActions))]
    public async Task Every_pre_login_action_answers_in_both_envelopes(string action)
    {
        (string? Field, bool Flat) placement = action switch
        {
            "AppGetToken" => ("Token", false),
            "AppCreateCellphoneUser" or "AppCreateEmailUser" => ("UserID", true),
            _ => (null, true),
        };
        Assert.Equal(placement.Flat, TencentAppApi.Shapes[action] == TencentShape.Flat);
        foreach (var (tenant, app, client) in new[] { (fx.Tenant, fx.SignedApp, true), (fx.Documented, fx.DocumentedApp, false) })
        {
            var root = await SignedAppRequests.CallAsync(fx.App, app, await ScenarioAsync(action, tenant, app));
            JsonElement holder;
            if (client)
            {
                var data = ClientApi.Data(root);
                holder = placement.Flat ? data : data.GetProperty("Data");
            }
            else
            {
                Assert.False(root.TryGetProperty("code", out _), root.ToString());
                var response = root.GetProperty("Response");
                Assert.False(response.TryGetProperty("Error", out _), root.ToString());
                holder = response.GetProperty("Data");
            }
            if (placement.Field is { } field)
            {
                Assert.True(holder.TryGetProperty(field, out _), $"{action}: no {field} in {root}");
            }
        }
    }

    /// <summary>A successful request of <paramref name="action"/> for a fresh phone number or address of the tenant.</summary>
    private async Task<JsonObject> ScenarioAsync(string action, Tenant tenant, SignedAppRequests.App app)
    {
        var phone = NewPhone();
        var email = $"p{phone}@example.com";
        const string password = "correct horse battery staple";
        async Task<string> CodeAsync(string sendAction, string purpose, JsonObject target)
        {
            target["Action"] = sendAction;
            target["Type"] = purpose;
            var sent = await SignedAppRequests.CallAsync(fx.App, app, target);
            Assert.False(sent.TryGetProperty("Response", out var r) && r.TryGetProperty("Error", out _), sent.ToString());
            return fx.App.Codes.Last(sendAction == "AppSendVerificationCode" ? "+86" + phone : email, purpose);
        }
        switch (action)
        {
            case "AppGetToken":
                await tenant.CreateUserAsync("+86" + phone);
                return new JsonObject { ["Action"] = action, ["Type"] = "phone", ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["Password"] = password };
            case "AppSendVerificationCode":
                return new JsonObject { ["Action"] = action, ["CountryCode"] = "86", ["PhoneNumber"] = phone };
            case "AppSendEmailVerificationCode":
                return new JsonObject { ["Action"] = action, ["Email"] = email };
            case "AppCheckVerificationCode":
            case "AppCreateCellphoneUser":
            {
                var code = await CodeAsync("AppSendVerificationCode", "register", new JsonObject { ["CountryCode"] = "86", ["PhoneNumber"] = phone });
                return new JsonObject { ["Action"] = action, ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["Password"] = password, ["VerificationCode"] = code };
            }
            case "AppCheckEmailVerificationCode":
            case "AppCreateEmailUser":
            {
                var code = await CodeAsync("AppSendEmailVerificationCode", "register", new JsonObject { ["Email"] = email });
                return new JsonObject { ["Action"] = action, ["Email"] = email, ["Password"] = password, ["VerificationCode"] = code };
            }
            case "AppResetPasswordByCellphone":
            {
                await tenant.CreateUserAsync("+86" + phone);
                var code = await CodeAsync("AppSendVerificationCode", "resetpass", new JsonObject { ["CountryCode"] = "86", ["PhoneNumber"] = phone });
                return new JsonObject { ["Action"] = action, ["CountryCode"] = "86", ["PhoneNumber"] = phone, ["Password"] = "a fresh passphrase", ["VerificationCode"] = code };
            }
            case "AppResetPasswordByEmail":
            {
                await tenant.CreateUserAsync(email);
                var code = await CodeAsync("AppSendEmailVerificationCode", "resetpass", new JsonObject { ["Email"] = email });
                return new JsonObject { ["Action"] = action, ["Email"] = email, ["Password"] = "a fresh passphrase", ["VerificationCode"] = code };
            }
            default:
                throw new InvalidOperationException($"no scenario for {action}: add one here and a placement above");
        }
    }

    [Fact]
    public void The_pre_login_actions_and_the_token_actions_are_told_apart_by_name()
    {
        Assert.Empty(TencentAppApi.Names.Intersect(TencentActions.Names));
        Assert.All(TencentAppApi.Names, name => Assert.True(TencentAppApi.Shapes.ContainsKey(name)));
    }

    [Theory]
    [InlineData("Development", "auto", true)]
    [InlineData("Production", "auto", false)]
    [InlineData("Production", "log", true)]
    [InlineData("Development", "none", false)]
    public void The_log_sender_is_used_in_production_only_when_configured(string environment, string sender, bool available)
    {
        var options = Options.Create(new TencentOptions { VerificationCodes = new VerificationCodeOptions { Sender = sender } });
        var log = new LogVerificationCodeSender(NullLoggerFactory.Instance, new Environment(environment), options);
        Assert.Equal(available, log.Available);
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "Bindery.Server";

        public string ContentRootPath { get; set; } = "/";

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
