using System.Text.Json;
using Bindery.Accounts;
using Bindery.Infrastructure;

namespace Bindery.Tencent;

/// <summary>
/// The pre-login actions of the Tencent-style API (<c>…/appapi</c>): requests signed with an app's AppSecret instead
/// of carrying an AccessToken (docs/tencent-api.md, "Apps and their login"). Each is a thin adapter over the
/// accounts of the /v2 API: a user registered there logs in here, and the other way round.
/// </summary>
public sealed class TencentAppApi(TencentApps apps, AccountService accounts, TencentEnvelopeChoice envelopes, VerificationCodes codes)
{
    private delegate Task<object> Run(TencentAppApi api, TencentApps.VerifiedApp app, TencentParams parameters);

    private sealed record Entry(TencentShape Shape, Run Run);

    /// <summary>The pre-login actions, with the client-envelope shape of each (Android's LoginResponse reads data.Data).</summary>
    private static readonly Dictionary<string, Entry> Actions = new(StringComparer.Ordinal)
    {
        ["AppGetToken"] = new(TencentShape.Wrapped, (api, app, p) => api.GetTokenAsync(app, p)),
        ["AppSendVerificationCode"] = new(TencentShape.Flat, (api, app, p) => api.SendCodeAsync(app, p, PhoneAccount(p))),
        ["AppSendEmailVerificationCode"] = new(TencentShape.Flat, (api, app, p) => api.SendCodeAsync(app, p, EmailAccount(p))),
        ["AppCheckVerificationCode"] = new(TencentShape.Flat, (api, app, p) => api.CheckCodeAsync(app, p, PhoneAccount(p))),
        ["AppCheckEmailVerificationCode"] = new(TencentShape.Flat, (api, app, p) => api.CheckCodeAsync(app, p, EmailAccount(p))),
        ["AppCreateCellphoneUser"] = new(TencentShape.Flat, (api, app, p) => api.CreateUserAsync(app, p, PhoneAccount(p))),
        ["AppCreateEmailUser"] = new(TencentShape.Flat, (api, app, p) => api.CreateUserAsync(app, p, EmailAccount(p))),
        ["AppResetPasswordByCellphone"] = new(TencentShape.Flat, (api, app, p) => api.ResetPasswordAsync(app, p, PhoneAccount(p))),
        ["AppResetPasswordByEmail"] = new(TencentShape.Flat, (api, app, p) => api.ResetPasswordAsync(app, p, EmailAccount(p))),
    };

    public static IReadOnlyCollection<string> Names => Actions.Keys;

    public static IReadOnlyDictionary<string, TencentShape> Shapes { get; } =
        Actions.ToDictionary(e => e.Key, e => e.Value.Shape, StringComparer.Ordinal);

    public static bool Serves(string? action) => action is not null && Actions.ContainsKey(action);

    public sealed record NoData;

    /// <summary>What creating an account answers (flat): the new user's id.</summary>
    public sealed record UserCreated(string UserID);

    /// <summary>AppGetToken's <c>Data</c>: the access token and its expiry in Unix seconds.</summary>
    public sealed record TokenData(string Token, long ExpireAt);

    /// <summary>Verifies the request's signature, answers in the app's user domain's envelope, and runs the action.</summary>
    public async Task<(TencentShape Shape, object Data)> RunAsync(HttpContext http, string action, JsonElement body, TencentParams parameters)
    {
        var entry = Actions[action];
        // The app's users read its domain's envelope, refusals of a bad signature included.
        var registered = await apps.FindAsync(TencentApps.AppKeyOf(body));
        if (registered is not null)
        {
            TencentEnvelope.SetKind(http, await envelopes.ForDomainAsync(registered.DomainId));
        }
        var app = await apps.VerifyAsync(body, registered);
        return (entry.Shape, await entry.Run(this, app, parameters));
    }

    /// <summary>The account a phone number names: <c>+</c>, the country code and the number, as a /v2 username.</summary>
    private static string PhoneAccount(TencentParams p) =>
        "+" + (p.Text("CountryCode", 8)?.Trim().TrimStart('+') ?? "") + p.Required("PhoneNumber", 32);

    private static string EmailAccount(TencentParams p) => p.Required("Email", AccountService.UsernameMaxLength).ToLowerInvariant();

    /// <summary>
    /// Sends a code whether or not the account exists (for registering or for a reset alike), so the answer tells
    /// nobody which phone numbers and addresses have accounts.
    /// </summary>
    private async Task<object> SendCodeAsync(TencentApps.VerifiedApp app, TencentParams p, string account)
    {
        await codes.SendAsync(app.DomainId, AccountService.NormalizeUsername(account, strict: true), VerificationCodes.PurposeOf(p.Text("Type")));
        return new NoData();
    }

    private async Task<object> CheckCodeAsync(TencentApps.VerifiedApp app, TencentParams p, string account)
    {
        await codes.CheckAsync(app.DomainId, AccountService.NormalizeUsername(account, strict: true), VerificationCodes.PurposeOf(p.Text("Type")),
            p.Text("VerificationCode", 16));
        return new NoData();
    }

    /// <summary>The code (sent for registering) is used up first, so one code creates at most one account.</summary>
    private async Task<object> CreateUserAsync(TencentApps.VerifiedApp app, TencentParams p, string account)
    {
        var username = AccountService.NormalizeUsername(account, strict: true);
        var password = p.Required("Password", Passwords.MaxLength);
        await codes.ConsumeAsync(app.DomainId, username, VerificationCodes.Register, p.Text("VerificationCode", 16));
        return new UserCreated(await accounts.RegisterAsync(app.DomainId, username, password));
    }

    /// <summary>The code (sent for a reset) is used up first; then every session of the account ends.</summary>
    private async Task<object> ResetPasswordAsync(TencentApps.VerifiedApp app, TencentParams p, string account)
    {
        var username = AccountService.NormalizeUsername(account, strict: true);
        var password = p.Required("Password", Passwords.MaxLength);
        await codes.ConsumeAsync(app.DomainId, username, VerificationCodes.ResetPassword, p.Text("VerificationCode", 16));
        await accounts.ResetPasswordAsync(app.DomainId, username, password);
        return new NoData();
    }

    /// <summary>
    /// Phone or e-mail and password. The account is the /v2 username: the e-mail address, or <c>+</c>, the country
    /// code and the number for a phone (e.g. <c>+8613800000000</c>).
    /// </summary>
    private async Task<object> GetTokenAsync(TencentApps.VerifiedApp app, TencentParams p)
    {
        var type = p.Text("Type")?.Trim().ToLowerInvariant();
        var email = p.Text("Email", AccountService.UsernameMaxLength)?.Trim();
        var phone = p.Text("PhoneNumber", 32)?.Trim();
        type ??= !string.IsNullOrEmpty(email) ? "email" : !string.IsNullOrEmpty(phone) ? "phone" : null;
        var username = type switch
        {
            "email" => p.Required("Email", AccountService.UsernameMaxLength),
            "phone" => "+" + (p.Text("CountryCode", 8)?.Trim().TrimStart('+') ?? "") + p.Required("PhoneNumber", 32),
            _ => throw new BinderyException(Errors.InvalidParameter, "Type is phone or email, with PhoneNumber (and CountryCode) or Email"),
        };
        var password = p.Text("Password", Passwords.MaxLength)
            ?? throw new BinderyException(Errors.InvalidParameter, "Password is required (verification-code login is not served)");
        try
        {
            var login = await accounts.LoginAsync(app.DomainId, username, password);
            return new TokenData(login.AccessToken.Token, login.AccessToken.ExpiresAt / 1000);
        }
        catch (BinderyException e) when (e.Error == Errors.LoginFailed)
        {
            throw new BinderyException(Errors.UserLoginFailed);
        }
    }
}
