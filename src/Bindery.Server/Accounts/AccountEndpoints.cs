using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Observability;
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
        var group = app.MapGroup("/v2/enduser/enduserapi").WithTags("Accounts").WithErrorEnvelope(ErrorEnvelopes.Quectel).WithErrors(ErrorSets.Accounts);
        group.MapPost("/emailPwdLogin", EmailPwdLoginAsync).WithSummary("Log in with e-mail and password (encrypted as the apps send it)");
        group.MapPost("/phonePwdLogin", PhonePwdLoginAsync).WithSummary("Log in with phone number and password (encrypted as the apps send it)");
        group.MapPut("/refreshToken", RefreshTokenAsync).WithSummary("Exchange a refresh token for a new access token");
        group.MapDelete("/userLogout", UserLogoutAsync).WithSummary("End the caller's session");
        group.MapGet("/userInfo", UserInfoAsync).WithSummary("The caller's profile");
        group.MapPut("/setUserInfo", SetUserInfoAsync).WithSummary("Change the caller's nickname or avatar");
        group.MapPut("/setUserPwd", SetUserPwdAsync).WithSummary("Change the caller's password");
        group.MapPost("/v2/emailPwdRegister", EmailPwdRegisterAsync).WithSummary("Register with e-mail, password and verification code");
        group.MapPost("/v2/phonePwdRegister", PhonePwdRegisterAsync).WithSummary("Register with phone number, password and verification code");
        // Bindery's own, for its tools and tests: plain JSON username and password, no refresh token.
        group.MapPost("/register", RegisterAsync).WithSummary("Register with a plain username and password (Bindery's own, for tools and tests)");
        group.MapPost("/login", LoginAsync).WithSummary("Log in with a plain username and password (Bindery's own, for tools and tests)");

        app.MapGroup("/v2/sms/enduserapi").WithTags("Accounts").WithErrorEnvelope(ErrorEnvelopes.Quectel).WithErrors(ErrorSets.Accounts)
            .MapPost("/v2/sendPhoneSmsCode", SendPhoneSmsCodeAsync).WithSummary("Send a verification code by SMS");
        app.MapGroup("/v2/mail/enduserapi").WithTags("Accounts").WithErrorEnvelope(ErrorEnvelopes.Quectel).WithErrors(ErrorSets.Accounts)
            .MapPost("/v2/sendEmail", SendEmailAsync).WithSummary("Send a verification code by e-mail");
        return app;
    }

    private static async Task<IResult> EmailPwdLoginAsync(AppAccounts accounts,
        [FromQuery] string? email, [FromQuery] string? pwd, [FromQuery] string? random, [FromQuery] string? userDomain,
        [FromQuery] string? signature, [FromQuery] string? mcc)
    {
        var result = await accounts.EmailLoginAsync(userDomain, email, pwd,
            random, signature);
        return Envelope.OkResult(TokenPairResponse.Of(result.Tokens));
    }

    private static async Task<IResult> PhonePwdLoginAsync(AppAccounts accounts,
        [FromQuery] string? phone, [FromQuery] string? internationalCode, [FromQuery] string? pwd, [FromQuery] string? random,
        [FromQuery] string? userDomain, [FromQuery] string? signature, [FromQuery] string? mcc)
    {
        var result = await accounts.PhoneLoginAsync(userDomain, internationalCode,
            phone, pwd, random, signature);
        return Envelope.OkResult(TokenPairResponse.Of(result.Tokens));
    }

    private static async Task<IResult> RefreshTokenAsync(UserSessions sessions, [FromQuery] string? refreshToken)
    {
        return Envelope.OkResult(TokenPairResponse.Of(await sessions.RefreshAsync(refreshToken)));
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

    private static async Task<IResult> SetUserInfoAsync(AppUser user, AccountService accounts,
        [FromQuery] string? nikeName, [FromQuery] string? headImage)
    {
        await accounts.UpdateProfileAsync(user, nikeName, headImage);
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<IResult> SetUserPwdAsync(AppUser user, HttpContext context, AppAccounts accounts,
        [FromQuery] string? oldPwd, [FromQuery] string? newPwd, [FromQuery] string? random)
    {
        await accounts.SetPasswordAsync(user, UserSessions.ReadBearer(context)!, oldPwd, newPwd, random);
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<IResult> EmailPwdRegisterAsync(AppAccounts accounts,
        [FromQuery] string? email, [FromQuery] string? pwd, [FromQuery] string? random, [FromQuery] string? code, [FromQuery] string? userDomain)
    {
        var uid = await accounts.RegisterByEmailAsync(userDomain, email, pwd,
            random, code);
        return Envelope.OkResult(new RegisteredResponse(uid));
    }

    private static async Task<IResult> PhonePwdRegisterAsync(AppAccounts accounts,
        [FromQuery] string? phone, [FromQuery] string? internationalCode, [FromQuery] string? pwd, [FromQuery] string? random,
        [FromQuery] string? smsCode, [FromQuery] string? userDomain)
    {
        var uid = await accounts.RegisterByPhoneAsync(userDomain, internationalCode,
            phone, pwd, random, smsCode);
        return Envelope.OkResult(new RegisteredResponse(uid));
    }

    private static async Task<IResult> SendPhoneSmsCodeAsync(AppAccounts accounts,
        [FromQuery] string? codeType, [FromQuery(Name = "code_type")] string? codeTypeSnake, [FromQuery] string? internationalCode,
        [FromQuery] string? phone, [FromQuery] string? random, [FromQuery] string? ts, [FromQuery] string? userDomain, [FromQuery] string? signature)
    {
        await accounts.SendSmsCodeAsync(userDomain, codeType ?? codeTypeSnake,
            internationalCode, phone, random, ts, signature);
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<IResult> SendEmailAsync(AppAccounts accounts,
        [FromQuery] string? email, [FromQuery] string? emailType, [FromQuery] string? userDomain)
    {
        await accounts.SendEmailCodeAsync(userDomain, email, emailType);
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
