using System.Globalization;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Bindery.Tencent;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Accounts;

/// <summary>
/// The account rules of the Quectel app SDK's calls (login by e-mail or phone with an encrypted password and a
/// signature, registration with a verification code, refresh, password change), free of HTTP. Accounts are the
/// same accounts as everywhere else: an e-mail account's username is its lower-case address, a phone account's is
/// "+&lt;international code&gt;&lt;number&gt;", exactly the names the Tencent dialect gives them.
/// </summary>
public sealed class AppAccounts(IDatabase db, TimeProvider clock, AccountService accounts, VerificationCodes codes, IOptions<AccountOptions> options)
{
    public const int MaxPhoneLength = 20;
    public const int MaxInternationalCodeLength = 4;

    /// <summary>An app login's answer: the user and the new token pair.</summary>
    public sealed record LoginResult(string Uid, UserSessions.TokenPair Tokens);

    /// <summary>A phone number as the app sends it: digits, with the international code apart.</summary>
    public sealed record PhoneNumber(string InternationalCode, string Number)
    {
        /// <summary>The account name: "+" + international code + number.</summary>
        public string AccountName => "+" + InternationalCode + Number;
    }

    public PhoneNumber ParsePhone(string? internationalCode, string? phone)
    {
        var number = Validate.Required(phone, Errors.InvalidParameter, MaxPhoneLength, "phone").Trim();
        var code = string.IsNullOrWhiteSpace(internationalCode) ? options.Value.DefaultInternationalCode : internationalCode.Trim().TrimStart('+');
        if (number.Length < 4 || !number.All(char.IsAsciiDigit) || code.Length is 0 or > MaxInternationalCodeLength || !code.All(char.IsAsciiDigit))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "phone is 4-20 digits and internationalCode 1-4 digits");
        }
        return new PhoneNumber(code, number);
    }

    public static string ParseEmail(string? email)
    {
        var value = Validate.Required(email, Errors.InvalidParameter, AccountService.UsernameMaxLength, "email").Trim().ToLowerInvariant();
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "email is not an e-mail address");
        }
        AccountService.NormalizeUsername(value, strict: true);
        return value;
    }

    /// <summary>
    /// emailPwdLogin: signature = SHA-256(email + pwd + random + userDomainSecret), with the values exactly as sent.
    /// 5093 unknown user domain, 5420 wrong signature or a random already used, 9006 unknown account or wrong password
    /// (never told apart), 9007 guess limit.
    /// </summary>
    public async Task<LoginResult> EmailLoginAsync(string? userDomain, string? email, string? pwd, string? random, string? signature)
    {
        var sentEmail = Validate.Required(email, Errors.InvalidParameter, AccountService.UsernameMaxLength, "email");
        var (domain, password) = await CheckSignedLoginAsync(userDomain, sentEmail, pwd, random, signature);
        var (uid, tokens) = await accounts.AppLoginAsync(domain, sentEmail.Trim().ToLowerInvariant(), password);
        return new LoginResult(uid, tokens);
    }

    /// <summary>phonePwdLogin: signature = SHA-256(internationalCode + phone + pwd + random + userDomainSecret), internationalCode as sent ("" when absent).</summary>
    public async Task<LoginResult> PhoneLoginAsync(string? userDomain, string? internationalCode, string? phone, string? pwd, string? random, string? signature)
    {
        var number = ParsePhone(internationalCode, phone);
        var (domain, password) = await CheckSignedLoginAsync(userDomain, (internationalCode ?? "") + phone, pwd, random, signature);
        var (uid, tokens) = await accounts.AppLoginAsync(domain, number.AccountName, password);
        return new LoginResult(uid, tokens);
    }

    private async Task<(string Domain, string? Password)> CheckSignedLoginAsync(string? userDomain, string signedPrefix, string? pwd, string? random, string? signature)
    {
        var encrypted = Validate.Required(pwd, Errors.InvalidParameter, 1024, "pwd");
        var rnd = Validate.Required(random, Errors.InvalidParameter, AppCredentials.MaxRandomLength, "random");
        var sig = Validate.Required(signature, Errors.InvalidParameter, 128, "signature");
        var (domain, secret) = await DomainSecretAsync(userDomain);
        if (!AppCredentials.SignatureMatches(sig, signedPrefix + encrypted + rnd + secret))
        {
            throw new BinderyException(Errors.SignatureVerificationFailed);
        }
        await SpendRandomAsync(domain, rnd);
        return (domain, AppCredentials.DecryptPassword(encrypted, rnd));
    }

    private async Task<(string Domain, string Secret)> DomainSecretAsync(string? userDomain)
    {
        var domain = Validate.Required(userDomain, Errors.InvalidParameter, AccountService.UserDomainMaxLength, "userDomain");
        var secret = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string>("SELECT secret FROM user_domains WHERE id = @Id", new { Id = domain }));
        return secret is null ? throw new BinderyException(Errors.UserDomainAbnormal) : (domain, secret);
    }

    /// <summary>A signed request's random is accepted once per user domain (the unique key decides a race); a reuse answers 5420.</summary>
    private async Task SpendRandomAsync(string domain, string random)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var fresh = await db.WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO app_randoms (domain_id, random_hash, used_at) VALUES (@Domain, @Hash, @Now) ON CONFLICT (domain_id, random_hash) DO NOTHING",
            new { Domain = domain, Hash = Secrets.Sha256Hex(random), Now = now })) == 1;
        if (!fresh)
        {
            throw new BinderyException(Errors.SignatureVerificationFailed, "random was already used");
        }
    }

    /// <summary>
    /// v2/sendPhoneSmsCode: signature = SHA-256(phone + codeType + random + ts + userDomainSecret), ts in Unix ms
    /// within <see cref="AccountOptions.SignedRequestTolerance"/>, random single use. Only codeType 3 (registration) is
    /// served: Bindery has no SMS login, password reset by phone or account deletion.
    /// </summary>
    public async Task SendSmsCodeAsync(string? userDomain, string? codeType, string? internationalCode, string? phone, string? random, string? ts, string? signature)
    {
        var type = Validate.Required(codeType, Errors.InvalidParameter, 4, "codeType");
        var number = ParsePhone(internationalCode, phone);
        var rnd = Validate.Required(random, Errors.InvalidParameter, AppCredentials.MaxRandomLength, "random");
        var stamp = Validate.Required(ts, Errors.InvalidParameter, 20, "ts");
        var sig = Validate.Required(signature, Errors.InvalidParameter, 128, "signature");
        if (!long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var millis))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "ts is a Unix time in milliseconds");
        }
        var (domain, secret) = await DomainSecretAsync(userDomain);
        if (!AppCredentials.SignatureMatches(sig, phone + type + rnd + stamp + secret))
        {
            throw new BinderyException(Errors.SignatureVerificationFailed);
        }
        if (Math.Abs(clock.GetUtcNow().ToUnixTimeMilliseconds() - millis) > (long)options.Value.SignedRequestTolerance.TotalMilliseconds)
        {
            throw new BinderyException(Errors.SignatureVerificationFailed, "ts is too far from the server's clock");
        }
        if (type != "3")
        {
            throw new BinderyException(Errors.InvalidParameterValue, "codeType 3 (registration) is the only one served");
        }
        await SpendRandomAsync(domain, rnd);
        await codes.SendAsync(domain, number.AccountName, VerificationCodes.Register);
    }

    /// <summary>v2/sendEmail: emailType 1 (registration) is the only one served. Unsigned, as the real call is; sends are limited by <see cref="VerificationCodes"/>.</summary>
    public async Task SendEmailCodeAsync(string? userDomain, string? email, string? emailType)
    {
        var address = ParseEmail(email);
        var type = Validate.Required(emailType, Errors.InvalidParameter, 4, "emailType");
        var (domain, _) = await DomainSecretAsync(userDomain);
        if (type != "1")
        {
            throw new BinderyException(Errors.InvalidParameterValue, "emailType 1 (registration) is the only one served");
        }
        await codes.SendAsync(domain, address, VerificationCodes.Register);
    }

    /// <summary>v2/emailPwdRegister: pwd encrypted under random as for login; the code sent by v2/sendEmail. 5037 wrong code, 9005 address taken.</summary>
    public async Task<string> RegisterByEmailAsync(string? userDomain, string? email, string? pwd, string? random, string? code)
    {
        var address = ParseEmail(email);
        var (domain, _) = await DomainSecretAsync(userDomain);
        var password = DecryptForRegistration(pwd, random);
        await ConsumeCodeAsync(domain, address, code);
        return await accounts.RegisterAsync(domain, address, password, new AccountService.Identity(address, null, null));
    }

    /// <summary>v2/phonePwdRegister: as <see cref="RegisterByEmailAsync"/>, with the code sent by v2/sendPhoneSmsCode.</summary>
    public async Task<string> RegisterByPhoneAsync(string? userDomain, string? internationalCode, string? phone, string? pwd, string? random, string? smsCode)
    {
        var number = ParsePhone(internationalCode, phone);
        var (domain, _) = await DomainSecretAsync(userDomain);
        var password = DecryptForRegistration(pwd, random);
        await ConsumeCodeAsync(domain, number.AccountName, smsCode);
        return await accounts.RegisterAsync(domain, number.AccountName, password, new AccountService.Identity(null, number.InternationalCode, number.Number));
    }

    private static string DecryptForRegistration(string? pwd, string? random)
    {
        var encrypted = Validate.Required(pwd, Errors.InvalidParameter, 1024, "pwd");
        var rnd = Validate.Required(random, Errors.InvalidParameter, AppCredentials.MaxRandomLength, "random");
        var password = AppCredentials.DecryptPassword(encrypted, rnd) ?? throw new BinderyException(Errors.PasswordDecryptionFailed);
        return AccountService.CheckPassword(password, "pwd");
    }

    private async Task ConsumeCodeAsync(string domain, string target, string? code)
    {
        try
        {
            await codes.ConsumeAsync(domain, target, VerificationCodes.Register, code);
        }
        catch (BinderyException e) when (e.Error == Errors.VerificationCodeInvalid)
        {
            throw new BinderyException(Errors.SmsVerificationFailed);
        }
    }

    /// <summary>
    /// setUserPwd: oldPwd and newPwd encrypted under random as for login (plain when no random is sent). 5508 a pwd
    /// that does not decrypt, 5063 the same password again, 5008 a wrong old password (counted as a failed login).
    /// </summary>
    public async Task SetPasswordAsync(AppUser user, string currentToken, string? oldPwd, string? newPwd, string? random)
    {
        var oldValue = Validate.Required(oldPwd, Errors.InvalidParameter, 1024, "oldPwd");
        var newValue = Validate.Required(newPwd, Errors.InvalidParameter, 1024, "newPwd");
        if (!string.IsNullOrEmpty(random))
        {
            Validate.Bounded(random, AppCredentials.MaxRandomLength, "random");
            oldValue = AppCredentials.DecryptPassword(oldValue, random) ?? throw new BinderyException(Errors.PasswordDecryptionFailed, "oldPwd does not decrypt");
            newValue = AppCredentials.DecryptPassword(newValue, random) ?? throw new BinderyException(Errors.PasswordDecryptionFailed, "newPwd does not decrypt");
        }
        if (oldValue == newValue)
        {
            throw new BinderyException(Errors.NewPasswordSameAsOld);
        }
        await accounts.ChangePasswordAsync(user, currentToken, oldValue, newValue, Errors.OldPasswordWrong);
    }
}
