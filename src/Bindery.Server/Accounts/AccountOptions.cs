namespace Bindery.Accounts;

/// <summary>Configuration section <c>Bindery:Accounts</c>.</summary>
public sealed class AccountOptions
{
    /// <summary>
    /// PBKDF2 (HMAC-SHA512) iterations of <see cref="Microsoft.AspNetCore.Identity.PasswordHasher{TUser}"/>.
    /// Raising it rehashes each password at its owner's next successful login. Never lower it in production; the
    /// test suite does, to keep thousands of logins fast.
    /// </summary>
    public int PasswordHashIterations { get; set; } = 100_000;

    /// <summary>Failed logins allowed per (user domain, username) inside <see cref="LoginFailureWindow"/>.</summary>
    public int LoginFailureLimit { get; set; } = 5;

    /// <summary>The window failed logins are counted in; once it has passed, the count starts again.</summary>
    public TimeSpan LoginFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Registrations (successful or not) per user domain inside <see cref="RegistrationWindow"/>. Accounts are what
    /// per-user guess limits are counted against, so free, unlimited accounts would multiply every such limit.
    /// </summary>
    public int RegistrationsPerUserDomain { get; set; } = 300;

    /// <summary>The window registrations are counted in.</summary>
    public TimeSpan RegistrationWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Failed logins allowed in a whole user domain inside <see cref="LoginFailureWindow"/>, whatever the account:
    /// the aggregate limit that stops one guess per account across many accounts. Successes do not clear it.
    /// </summary>
    public int LoginFailuresPerUserDomain { get; set; } = 1000;

    /// <summary>Lifetime of the access tokens of emailPwdLogin, phonePwdLogin and refreshToken (the real cloud's: 2 hours).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Lifetime of a refresh token (the real cloud's: 30 days). Each refresh issues a new one.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The <c>internationalCode</c> assumed when phonePwdLogin, v2/phonePwdRegister or v2/sendPhoneSmsCode omit it
    /// (the real cloud's "domestic" default, 86).
    /// </summary>
    public string DefaultInternationalCode { get; set; } = "86";

    /// <summary>How far the <c>ts</c> of v2/sendPhoneSmsCode may be from the server's clock (the real cloud's: 10 minutes).</summary>
    public TimeSpan SignedRequestTolerance { get; set; } = TimeSpan.FromMinutes(10);
}
