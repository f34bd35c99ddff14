using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Accounts;

/// <summary>
/// App-user accounts inside a user domain: register, log in (with a guess limit), change password. Free of HTTP,
/// so every dialect shares the same rules.
/// </summary>
public sealed class AccountService(IDatabase db, TimeProvider clock, UserSessions sessions, Passwords passwords, IOptions<AccountOptions> options)
{
    public const int UsernameMinLength = 3;
    public const int UsernameMaxLength = 64;
    public const int UserDomainMaxLength = 128;
    private const string LoginScope = "login";
    private const string LoginDomainScope = "login-domain";
    private const string RegistrationScope = "register-domain";

    public sealed record LoginResult(string Uid, UserSessions.IssuedToken AccessToken);

    private sealed class UserRow
    {
        public string Id { get; set; } = "";
        public string PasswordHash { get; set; } = "";
    }

    /// <summary>
    /// Usernames are 3-64 characters of ASCII letters, digits and <c>. _ - @ +</c> (so e-mail addresses and phone
    /// numbers fit) and are case-insensitive: they are stored in lower case.
    /// </summary>
    public static string NormalizeUsername(string? username, bool strict)
    {
        var value = Validate.Required(username, Errors.InvalidParameter, UsernameMaxLength, "username");
        if (strict && (value.Length < UsernameMinLength || !value.All(IsUsernameChar)))
        {
            throw new BinderyException(Errors.InvalidParameterValue,
                $"username must be {UsernameMinLength}-{UsernameMaxLength} characters of letters, digits and . _ - @ +");
        }
        return value.ToLowerInvariant();
    }

    private static bool IsUsernameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '+';

    /// <summary>The e-mail address and phone number an account was registered with (shown by userInfo).</summary>
    public sealed record Identity(string? Email, string? InternationalCode, string? Phone);

    internal static string CheckPassword(string? password, string field)
    {
        var value = Validate.Required(password, Errors.InvalidParameter, Passwords.MaxLength, field);
        if (value.Length < Passwords.MinLength)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{field} must be at least {Passwords.MinLength} characters");
        }
        return value;
    }

    private async Task<string> RequireDomainAsync(string? userDomain)
    {
        var domain = Validate.Required(userDomain, Errors.InvalidParameter, UserDomainMaxLength, "userDomain");
        var exists = await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM user_domains WHERE id = @Id", new { Id = domain }));
        return exists > 0 ? domain : throw new BinderyException(Errors.UserDomainAbnormal);
    }

    /// <summary>Creates a user; 5093 for an unknown user domain, 9005 when the username is taken, 9007 when the domain's registrations fill the window.</summary>
    public async Task<string> RegisterAsync(string? userDomain, string? username, string? password, Identity? identity = null)
    {
        var name = NormalizeUsername(username, strict: true);
        var secret = CheckPassword(password, "password");
        var domain = await RequireDomainAsync(userDomain);
        var hash = passwords.Hash(secret);
        var uid = Secrets.NewId();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var inserted = await db.WriteAsync(async tx =>
        {
            if (!await GuessCounters.TryClaimAsync(tx, RegistrationScope, domain, options.Value.RegistrationsPerUserDomain, options.Value.RegistrationWindow, now))
            {
                return (int?)null;
            }
            return await tx.ExecuteAsync(
                """
                INSERT INTO users (id, domain_id, username, password_hash, created_at, email, international_code, phone)
                VALUES (@Uid, @Domain, @Name, @Hash, @Now, @Email, @Code, @Phone)
                ON CONFLICT DO NOTHING
                """,
                new
                {
                    Uid = uid, Domain = domain, Name = name, Hash = hash, Now = now,
                    Email = identity?.Email ?? (name.Contains('@', StringComparison.Ordinal) ? name : null),
                    Code = identity?.InternationalCode, identity?.Phone,
                });
        }, WriteIsolation.RowLocks); // the claim is one conditional upsert and the username a unique constraint: both atomic
        return inserted switch
        {
            null => throw new BinderyException(Errors.TooManyAttempts, "too many registrations in this user domain; try again later"),
            > 0 => uid,
            _ => throw new BinderyException(Errors.UsernameTaken),
        };
    }

    /// <summary>
    /// Checks the password and opens a session. An unknown user and a wrong password answer the same (9006) after
    /// the same work; after <see cref="AccountOptions.LoginFailureLimit"/> failures in the window every attempt,
    /// right or wrong, answers 9007 until the window has passed.
    /// </summary>
    public async Task<LoginResult> LoginAsync(string? userDomain, string? username, string? password)
    {
        var name = NormalizeUsername(username, strict: false);
        var secret = Validate.Required(password, Errors.InvalidParameter, Passwords.MaxLength, "password");
        var domain = await RequireDomainAsync(userDomain);
        var (uid, token) = await VerifyAndIssueAsync(domain, name, secret, sessions.IssueAsync);
        return new LoginResult(uid, token);
    }

    /// <summary>
    /// The app login (emailPwdLogin, phonePwdLogin) once its signature is checked: the same password check and
    /// guess limits as <see cref="LoginAsync"/>, opening a refreshable token chain. A null
    /// <paramref name="password"/> (a <c>pwd</c> that did not decrypt) fails like a wrong password, after the same work.
    /// </summary>
    public Task<(string Uid, UserSessions.TokenPair Tokens)> AppLoginAsync(string domain, string accountName, string? password) =>
        VerifyAndIssueAsync(domain, NormalizeUsername(accountName, strict: false), password, sessions.IssuePairAsync);

    /// <summary>
    /// Checks the password and opens a session with <paramref name="issue"/>. An unknown user and a wrong password
    /// answer the same (9006) after the same work; after <see cref="AccountOptions.LoginFailureLimit"/> attempts on
    /// the account, or <see cref="AccountOptions.LoginFailuresPerUserDomain"/> failures in the user domain, in the
    /// window, every attempt, right or wrong, answers 9007 until the window has passed.
    /// </summary>
    private async Task<(string Uid, T Issued)> VerifyAndIssueAsync<T>(string domain, string name, string? secret, Func<DbTx, string, Task<T>> issue)
    {
        var subject = domain + "\n" + name;
        var (allowed, user) = await ClaimAttemptAsync(domain, subject, tx => tx.QuerySingleOrDefaultAsync<UserRow>(
            "SELECT id, password_hash FROM users WHERE domain_id = @Domain AND username = @Name",
            new { Domain = domain, Name = name }));
        if (!allowed)
        {
            throw new BinderyException(Errors.TooManyAttempts);
        }
        // A pwd that did not decrypt is checked as the empty password, which no account has (8 characters at least).
        var outcome = passwords.Verify(user?.PasswordHash, secret ?? "");
        if (user is null || secret is null || outcome == Passwords.Outcome.Wrong)
        {
            await RecordDomainFailureAsync(domain);
            throw new BinderyException(Errors.LoginFailed);
        }
        var rehash = outcome == Passwords.Outcome.CorrectButRehashNeeded ? passwords.Hash(secret) : null;
        var issued = await db.WriteAsync(async tx =>
        {
            await GuessCounters.ResetAsync(tx, LoginScope, subject);
            if (rehash is not null)
            {
                await tx.ExecuteAsync("UPDATE users SET password_hash = @Hash WHERE id = @Id AND password_hash = @Old",
                    new { Hash = rehash, user.Id, Old = user.PasswordHash });
            }
            return await issue(tx, user.Id);
        }, WriteIsolation.RowLocks); // blind deletes and inserts, and an update conditional on the hash it replaces
        return (user.Id, issued);
    }

    private Task<long> RecordDomainFailureAsync(string domain)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return db.WriteAsync(tx => GuessCounters.RecordFailureAsync(tx, LoginDomainScope, domain, options.Value.LoginFailureWindow, now));
    }

    /// <summary>
    /// Replaces the password after checking the current one (counted against the same guess limit as logins)
    /// and ends every other session of the user; the session that asked stays valid.
    /// </summary>
    public const int MaxNicknameLength = 64;
    public const int MaxAvatarUrlLength = 1024;

    /// <summary>What a user says about themselves: a display name and an avatar URL (both optional).</summary>
    public sealed record Profile(string? Nickname, string? AvatarUrl);

    /// <summary>What userInfo shows about an account. <see cref="CreatedAt"/> is Unix milliseconds.</summary>
    public sealed record Account(string Id, string Username, string DomainId, string? Email, string? InternationalCode, string? Phone,
        string? Nickname, string? AvatarUrl, long CreatedAt);

    public Task<Account> GetAccountAsync(AppUser user) =>
        db.ReadAsync(async c => await c.QuerySingleOrDefaultAsync<Account>(
            """
            SELECT id, username, domain_id, email, international_code, phone, nickname, avatar_url, created_at
            FROM users WHERE id = @Id
            """, new { user.Id }) ?? throw new BinderyException(Errors.TokenVerificationFailed));

    public Task<Profile> GetProfileAsync(AppUser user) =>
        db.ReadAsync(async c => await c.QuerySingleOrDefaultAsync<Profile>(
            "SELECT nickname, avatar_url FROM users WHERE id = @Id", new { user.Id }) ?? new Profile(null, null));

    /// <summary>Sets the fields given (null leaves a field as it is): a nickname of 1–64 characters, an http(s) avatar URL.</summary>
    public async Task UpdateProfileAsync(AppUser user, string? nickname, string? avatarUrl)
    {
        var name = nickname?.Trim();
        if (name is not null && (name.Length is 0 or > MaxNicknameLength || name.Any(char.IsControl)))
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"NickName is 1-{MaxNicknameLength} characters without control characters");
        }
        var avatar = avatarUrl?.Trim();
        if (avatar is not null && (avatar.Length > MaxAvatarUrlLength || !Uri.TryCreate(avatar, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "Avatar must be an absolute http or https URL");
        }
        await db.WriteAsync(tx => tx.ExecuteAsync(
            "UPDATE users SET nickname = COALESCE(@Nickname, nickname), avatar_url = COALESCE(@Avatar, avatar_url) WHERE id = @Id",
            new { Nickname = name, Avatar = avatar, user.Id }));
    }

    /// <summary>
    /// Sets the password of a user who proved control of the account some other way (a verification code sent to it)
    /// and ends every session of that user. 9006 when there is no such user, as for a wrong login.
    /// </summary>
    public async Task ResetPasswordAsync(string domainId, string username, string? newPassword)
    {
        var name = NormalizeUsername(username, strict: false);
        var hash = passwords.Hash(CheckPassword(newPassword, "password"));
        var reset = await db.WriteAsync(async tx =>
        {
            var id = await tx.QuerySingleOrDefaultAsync<string>(
                "SELECT id FROM users WHERE domain_id = @Domain AND username = @Name", new { Domain = domainId, Name = name });
            if (id is null)
            {
                return false;
            }
            await tx.ExecuteAsync("UPDATE users SET password_hash = @Hash WHERE id = @Id", new { Hash = hash, Id = id });
            await tx.ExecuteAsync("DELETE FROM sessions WHERE user_id = @Id", new { Id = id });
            await tx.ExecuteAsync("DELETE FROM refresh_tokens WHERE user_id = @Id", new { Id = id });
            await GuessCounters.ResetAsync(tx, LoginScope, domainId + "\n" + name);
            return true;
        });
        if (!reset)
        {
            throw new BinderyException(Errors.LoginFailed);
        }
    }

    /// <param name="wrongOldPassword">The error a wrong <paramref name="oldPassword"/> answers (default 9006; the app API's setUserPwd: 5008).</param>
    public async Task ChangePasswordAsync(AppUser user, string currentToken, string? oldPassword, string? newPassword, ErrorDef? wrongOldPassword = null)
    {
        var wrong = wrongOldPassword ?? Errors.LoginFailed;
        var old = Validate.Required(oldPassword, Errors.InvalidParameter, Passwords.MaxLength, "oldPassword");
        var replacement = CheckPassword(newPassword, "newPassword");
        var subject = user.DomainId + "\n" + user.Username;
        var (allowed, storedHash) = await ClaimAttemptAsync(user.DomainId, subject, tx => tx.QuerySingleOrDefaultAsync<string>(
            "SELECT password_hash FROM users WHERE id = @Id", new { user.Id }));
        if (!allowed)
        {
            throw new BinderyException(Errors.TooManyAttempts);
        }
        if (passwords.Verify(storedHash, old) == Passwords.Outcome.Wrong)
        {
            await RecordDomainFailureAsync(user.DomainId);
            throw new BinderyException(wrong, "oldPassword is wrong");
        }
        var hash = passwords.Hash(replacement);
        var changed = await db.WriteAsync(async tx =>
        {
            await GuessCounters.ResetAsync(tx, LoginScope, subject);
            // Conditional on the hash we checked: a concurrent change wins and this one is refused.
            var updated = await tx.ExecuteAsync("UPDATE users SET password_hash = @Hash WHERE id = @Id AND password_hash = @Old",
                new { Hash = hash, user.Id, Old = storedHash });
            if (updated > 0)
            {
                // Every other session ends, and every other chain's refresh token; the caller's chain lives on.
                var chain = await UserSessions.ChainOfAsync(tx, currentToken);
                await tx.ExecuteAsync("DELETE FROM sessions WHERE user_id = @Id AND token_hash <> @Current",
                    new { user.Id, Current = Secrets.Sha256Hex(currentToken) });
                await tx.ExecuteAsync(chain is null
                        ? "DELETE FROM refresh_tokens WHERE user_id = @Id"
                        : "DELETE FROM refresh_tokens WHERE user_id = @Id AND chain_id <> @Chain",
                    new { user.Id, Chain = chain });
            }
            return updated > 0;
        });
        if (!changed)
        {
            throw new BinderyException(wrong, "oldPassword is wrong");
        }
    }

    private Task<(bool Allowed, T? Row)> ClaimAttemptAsync<T>(string domain, string subject, Func<DbTx, Task<T?>> read)
    {
        var limits = options.Value;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return db.WriteAsync(async tx =>
        {
            if (await GuessCounters.FailuresAsync(tx, LoginDomainScope, domain, limits.LoginFailureWindow, now) >= limits.LoginFailuresPerUserDomain
                || !await GuessCounters.TryClaimAsync(tx, LoginScope, subject, limits.LoginFailureLimit, limits.LoginFailureWindow, now))
            {
                return (false, default(T));
            }
            return (true, await read(tx));
        });
    }
}
