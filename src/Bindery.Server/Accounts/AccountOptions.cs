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
}
