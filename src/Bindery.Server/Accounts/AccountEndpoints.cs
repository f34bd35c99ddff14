using Bindery.Infrastructure;

namespace Bindery.Accounts;

/// <summary>The Quectel-style account API under <c>/v2/enduser/enduserapi</c>.</summary>
public static class AccountEndpoints
{
    public sealed record CredentialsRequest(string? UserDomain, string? Username, string? Password);

    public sealed record ChangePasswordRequest(string? OldPassword, string? NewPassword);

    public sealed record RegisteredResponse(string Uid);

    public sealed record AccessTokenResponse(string Token, long ExpirationTime);

    public sealed record LoginResponse(string Uid, AccessTokenResponse AccessToken);

    public sealed record UserInfoResponse(string Uid, string Username, string UserDomain);

    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddOptions<AccountOptions>().BindConfiguration("Bindery:Accounts");
        services.AddSingleton<Passwords>();
        services.AddSingleton<AccountService>();
        return services;
    }

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2/enduser/enduserapi").WithTags("Accounts").WithErrorEnvelope(ErrorEnvelopes.Quectel);

        group.MapPost("/register", async (CredentialsRequest request, AccountService accounts) =>
        {
            var uid = await accounts.RegisterAsync(request.UserDomain, request.Username, request.Password);
            return Envelope.OkResult(new RegisteredResponse(uid));
        });

        group.MapPost("/login", async (CredentialsRequest request, AccountService accounts) =>
        {
            var result = await accounts.LoginAsync(request.UserDomain, request.Username, request.Password);
            return Envelope.OkResult(new LoginResponse(result.Uid, new AccessTokenResponse(result.AccessToken.Token, result.AccessToken.ExpiresAt)));
        });

        group.MapPost("/logout", async (AppUser user, HttpContext context, UserSessions sessions) =>
        {
            await sessions.RevokeAsync(UserSessions.ReadBearer(context)!);
            return Envelope.OkResult<object?>(null);
        });

        group.MapGet("/userInfo", (AppUser user) =>
            Envelope.OkResult(new UserInfoResponse(user.Id, user.Username, user.DomainId)));

        group.MapPost("/changePassword", async (AppUser user, ChangePasswordRequest request, HttpContext context, AccountService accounts) =>
        {
            await accounts.ChangePasswordAsync(user, UserSessions.ReadBearer(context)!, request.OldPassword, request.NewPassword);
            return Envelope.OkResult<object?>(null);
        });

        return app;
    }
}
