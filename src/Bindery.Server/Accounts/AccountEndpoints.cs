using System.Text.Json;
using Bindery.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.Accounts;

/// <summary>
/// The Quectel-style account API under <c>/v2/enduser/enduserapi</c> (and the code senders under <c>/v2/sms</c> and
/// <c>/v2/mail</c>), by the real names and parameters (docs/quectel-api.md, "Accounts"); plus Bindery's own
/// <c>register</c> and <c>login</c> with a plain JSON password, for its tools.
/// </summary>
public static class AccountEndpoints
{
    public sealed record CredentialsRequest(string? UserDomain, string? Username, string? Password);

    public sealed record RegisteredResponse(string Uid);

    public sealed record AccessTokenResponse(string Token, long ExpirationTime);

    public sealed record LoginResponse(string Uid, AccessTokenResponse AccessToken);

    /// <summary>The real cloud's "login returned token": <c>expirationTime</c> is a Unix time in seconds.</summary>
    public sealed record TokenPairResponse(AccessTokenResponse AccessToken, AccessTokenResponse RefreshToken)
    {
        public static TokenPairResponse Of(UserSessions.TokenPair pair) => new(
            new AccessTokenResponse(pair.AccessToken.Token, pair.AccessToken.ExpiresAt / 1000),
            new AccessTokenResponse(pair.RefreshToken.Token, pair.RefreshToken.ExpiresAt / 1000));
    }

    /// <summary>userInfo, by the real field names (absent values are empty strings, as the real cloud answers).</summary>
    public sealed record UserInfoResponse(
        string Uid, string Username, string UserDomain, string Email, string Phone, string InternationalCode,
        string NikeName, string Headimg, long RegisterTime, long RegisterTimeTs, int Status);

    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddOptions<AccountOptions>().BindConfiguration("Bindery:Accounts");
        services.AddSingleton<Passwords>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<AppAccounts>();
        return services;
    }

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2/enduser/enduserapi").WithTags("Accounts").WithErrorEnvelope(ErrorEnvelopes.Quectel);
        group.MapPost("/emailPwdLogin", EmailPwdLoginAsync);
        group.MapPost("/phonePwdLogin", PhonePwdLoginAsync);
        group.MapPut("/refreshToken", RefreshTokenAsync);
        group.MapDelete("/userLogout", UserLogoutAsync);
        group.MapGet("/userInfo", UserInfoAsync);
        group.MapPut("/setUserInfo", SetUserInfoAsync);
        group.MapPut("/setUserPwd", SetUserPwdAsync);
        group.MapPost("/v2/emailPwdRegister", EmailPwdRegisterAsync);
        group.MapPost("/v2/phonePwdRegister", PhonePwdRegisterAsync);
        // Bindery's own, for its tools and tests: plain JSON username and password, no refresh token.
        group.MapPost("/register", RegisterAsync);
        group.MapPost("/login", LoginAsync);

        app.MapGroup("/v2/sms/enduserapi").WithTags("Accounts").WithErrorEnvelope(ErrorEnvelopes.Quectel)
            .MapPost("/v2/sendPhoneSmsCode", SendPhoneSmsCodeAsync);
        app.MapGroup("/v2/mail/enduserapi").WithTags("Accounts").WithErrorEnvelope(ErrorEnvelopes.Quectel)
            .MapPost("/v2/sendEmail", SendEmailAsync);
        return app;
    }

    private static async Task<IResult> EmailPwdLoginAsync(HttpContext context, AppAccounts accounts,
        [FromQuery] string? email, [FromQuery] string? pwd, [FromQuery] string? random, [FromQuery] string? userDomain,
        [FromQuery] string? signature, [FromQuery] string? mcc)
    {
        var body = await JsonParams.ReadAsync(context);
        var result = await accounts.EmailLoginAsync(body.Or(userDomain, "userDomain"), body.Or(email, "email"), body.Or(pwd, "pwd"),
            body.Or(random, "random"), body.Or(signature, "signature"));
        return Envelope.OkResult(TokenPairResponse.Of(result.Tokens));
    }

    private static async Task<IResult> PhonePwdLoginAsync(HttpContext context, AppAccounts accounts,
        [FromQuery] string? phone, [FromQuery] string? internationalCode, [FromQuery] string? pwd, [FromQuery] string? random,
        [FromQuery] string? userDomain, [FromQuery] string? signature, [FromQuery] string? mcc)
    {
        var body = await JsonParams.ReadAsync(context);
        var result = await accounts.PhoneLoginAsync(body.Or(userDomain, "userDomain"), body.Or(internationalCode, "internationalCode"),
            body.Or(phone, "phone"), body.Or(pwd, "pwd"), body.Or(random, "random"), body.Or(signature, "signature"));
        return Envelope.OkResult(TokenPairResponse.Of(result.Tokens));
    }

    private static async Task<IResult> RefreshTokenAsync(HttpContext context, UserSessions sessions, [FromQuery] string? refreshToken)
    {
        var body = await JsonParams.ReadAsync(context);
        return Envelope.OkResult(TokenPairResponse.Of(await sessions.RefreshAsync(body.Or(refreshToken, "refreshToken"))));
    }

    private static async Task<IResult> UserLogoutAsync(AppUser user, HttpContext context, UserSessions sessions, [FromQuery] string? deviceId)
    {
        await sessions.RevokeAsync(UserSessions.ReadBearer(context)!);
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<IResult> UserInfoAsync(AppUser user, AccountService accounts)
    {
        var a = await accounts.GetAccountAsync(user);
        return Envelope.OkResult(new UserInfoResponse(a.Id, a.Username, a.DomainId, a.Email ?? "", a.Phone ?? "", a.InternationalCode ?? "",
            a.Nickname ?? "", a.AvatarUrl ?? "", a.CreatedAt, a.CreatedAt, 1));
    }

    private static async Task<IResult> SetUserInfoAsync(AppUser user, HttpContext context, AccountService accounts,
        [FromQuery] string? nikeName, [FromQuery] string? headImage)
    {
        var body = await JsonParams.ReadAsync(context);
        await accounts.UpdateProfileAsync(user, body.Or(nikeName, "nikeName"), body.Or(headImage, "headImage"));
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<IResult> SetUserPwdAsync(AppUser user, HttpContext context, AppAccounts accounts,
        [FromQuery] string? oldPwd, [FromQuery] string? newPwd, [FromQuery] string? random)
    {
        var body = await JsonParams.ReadAsync(context);
        await accounts.SetPasswordAsync(user, UserSessions.ReadBearer(context)!, body.Or(oldPwd, "oldPwd"), body.Or(newPwd, "newPwd"), body.Or(random, "random"));
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<IResult> EmailPwdRegisterAsync(HttpContext context, AppAccounts accounts,
        [FromQuery] string? email, [FromQuery] string? pwd, [FromQuery] string? random, [FromQuery] string? code, [FromQuery] string? userDomain)
    {
        var body = await JsonParams.ReadAsync(context);
        var uid = await accounts.RegisterByEmailAsync(body.Or(userDomain, "userDomain"), body.Or(email, "email"), body.Or(pwd, "pwd"),
            body.Or(random, "random"), body.Or(code, "code"));
        return Envelope.OkResult(new RegisteredResponse(uid));
    }

    private static async Task<IResult> PhonePwdRegisterAsync(HttpContext context, AppAccounts accounts,
        [FromQuery] string? phone, [FromQuery] string? internationalCode, [FromQuery] string? pwd, [FromQuery] string? random,
        [FromQuery] string? smsCode, [FromQuery] string? userDomain)
    {
        var body = await JsonParams.ReadAsync(context);
        var uid = await accounts.RegisterByPhoneAsync(body.Or(userDomain, "userDomain"), body.Or(internationalCode, "internationalCode"),
            body.Or(phone, "phone"), body.Or(pwd, "pwd"), body.Or(random, "random"), body.Or(smsCode, "smsCode"));
        return Envelope.OkResult(new RegisteredResponse(uid));
    }

    private static async Task<IResult> SendPhoneSmsCodeAsync(HttpContext context, AppAccounts accounts,
        [FromQuery] string? codeType, [FromQuery(Name = "code_type")] string? codeTypeSnake, [FromQuery] string? internationalCode,
        [FromQuery] string? phone, [FromQuery] string? random, [FromQuery] string? ts, [FromQuery] string? userDomain, [FromQuery] string? signature)
    {
        var body = await JsonParams.ReadAsync(context);
        await accounts.SendSmsCodeAsync(body.Or(userDomain, "userDomain"), body.Or(codeType ?? codeTypeSnake, "codeType") ?? body.Or(null, "code_type"),
            body.Or(internationalCode, "internationalCode"), body.Or(phone, "phone"), body.Or(random, "random"), body.Or(ts, "ts"), body.Or(signature, "signature"));
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<IResult> SendEmailAsync(HttpContext context, AppAccounts accounts,
        [FromQuery] string? email, [FromQuery] string? emailType, [FromQuery] string? userDomain)
    {
        var body = await JsonParams.ReadAsync(context);
        await accounts.SendEmailCodeAsync(body.Or(userDomain, "userDomain"), body.Or(email, "email"), body.Or(emailType, "emailType"));
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<IResult> RegisterAsync(CredentialsRequest request, AccountService accounts)
    {
        var uid = await accounts.RegisterAsync(request.UserDomain, request.Username, request.Password);
        return Envelope.OkResult(new RegisteredResponse(uid));
    }

    private static async Task<IResult> LoginAsync(CredentialsRequest request, AccountService accounts)
    {
        var result = await accounts.LoginAsync(request.UserDomain, request.Username, request.Password);
        return Envelope.OkResult(new LoginResponse(result.Uid, new AccessTokenResponse(result.AccessToken.Token, result.AccessToken.ExpiresAt)));
    }
}

/// <summary>
/// The parameters of an app call sent as a JSON object body instead of the query string (or a form, which the
/// form-body middleware turns into query parameters): a value in the query wins; the body fills what it lacks.
/// Strings and numbers are read as text; a body that is not a JSON object, or not JSON at all, is refused (9000).
/// </summary>
public sealed class JsonParams
{
    public const int MaxBodyBytes = 16 * 1024;

    private static readonly JsonParams None = new(null);
    private readonly JsonElement? _body;

    private JsonParams(JsonElement? body) => _body = body;

    public static async Task<JsonParams> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return None;
        }
        var bytes = await RequestBodies.ReadBoundedAsync(request, MaxBodyBytes);
        if (bytes.Length == 0)
        {
            return None;
        }
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? new JsonParams(document.RootElement.Clone())
                : throw new BinderyException(Errors.InvalidParameter, "the JSON body must be an object");
        }
        catch (JsonException)
        {
            throw new BinderyException(Errors.InvalidParameter, "the body is not valid JSON");
        }
    }

    /// <summary><paramref name="fromQuery"/> when given, else the body's <paramref name="name"/> as text.</summary>
    public string? Or(string? fromQuery, string name)
    {
        if (!string.IsNullOrEmpty(fromQuery) || _body is not { } body || !body.TryGetProperty(name, out var value))
        {
            return fromQuery;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Null or JsonValueKind.Undefined => fromQuery,
            _ => throw new BinderyException(Errors.InvalidParameter, $"{name} must be a string or a number"),
        };
    }
}
