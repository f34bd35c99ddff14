using System.Net.Http.Json;
using Bindery.Infrastructure;
using Bindery.Tencent;
using Bindery.Tests.Support;
using static Bindery.Tests.Accounts.QuecSdk;

namespace Bindery.Tests.Accounts;

/// <summary>
/// Registration as the app SDK does it: a code sent by v2/sendEmail or v2/sendPhoneSmsCode (captured here instead
/// of mailed), then v2/emailPwdRegister or v2/phonePwdRegister with the password encrypted like a login; the new
/// account logs in with emailPwdLogin or phonePwdLogin.
/// </summary>
public sealed class AppRegistrationTests(AppAccountsApp app) : IClassFixture<AppAccountsApp>
{
    private const string Base = "/v2/enduser/enduserapi/";
    private const string SendEmail = "/v2/mail/enduserapi/v2/sendEmail";
    private const string SendSms = "/v2/sms/enduserapi/v2/sendPhoneSmsCode";
    private const string Password = "correct horse battery staple";

    private async Task<int> PostAsync(string url) => await CodeAsync(await app.CreateClient().PostAsync(url, null));

    private (string Name, string? Value)[] SmsRequest(Tenant tenant, string phone, string codeType = "3", long? ts = null, string? random = null)
    {
        random ??= NewRandom();
        var stamp = (ts ?? app.Clock.GetUtcNow().ToUnixTimeMilliseconds()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return
        [
            ("codeType", codeType), ("internationalCode", "86"), ("phone", phone), ("random", random), ("ts", stamp),
            ("userDomain", tenant.DomainId), ("signature", Sha256(phone + codeType + random + stamp + tenant.DomainSecret)),
        ];
    }

    private static string NewEmail() => $"cy{Guid.NewGuid().ToString("N")[..8]}@Example.com";

    private static string NewPhone() => "137" + Random.Shared.Next(10_000_000, 99_999_999);

    [Fact]
    public async Task Register_by_email_with_the_mailed_code_then_log_in_with_emailPwdLogin()
    {
        var tenant = await Tenant.CreateAsync(app);
        var email = NewEmail();
        Assert.Equal(200, await PostAsync(SendEmail + "?" + Query(("email", email), ("emailType", "1"), ("userDomain", tenant.DomainId))));
        var code = app.Codes.Last(email.ToLowerInvariant(), VerificationCodes.Register);
        var random = NewRandom();

        // The documented body: JSON.
        var registered = await ReadAsync<Registered>(await app.CreateClient().PostAsJsonAsync(Base + "v2/emailPwdRegister",
            new { email, pwd = EncryptPwd(Password, random), random, code, userDomain = tenant.DomainId, lang = 0, nationality = 0, timezone = 0 }));

        Assert.Equal(200, registered.Code);
        var login = await ReadAsync<LoginToken>(await app.CreateClient().PostAsync(Base + "emailPwdLogin?" + Query(EmailLogin(tenant.DomainId, tenant.DomainSecret, email, Password)), null));
        Assert.Equal(200, login.Code);
        Assert.Equal(registered.Data.Uid, Payload(login.Data.AccessToken.Token).GetProperty("uid").GetString());
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", login.Data.AccessToken.Token);
        var info = await ReadAsync<UserInfo>(await client.GetAsync(Base + "userInfo"));
        Assert.Equal(email.ToLowerInvariant(), info.Data.Email);
    }

    [Fact]
    public async Task Register_by_phone_with_the_signed_sms_request_then_log_in_with_phonePwdLogin()
    {
        var tenant = await Tenant.CreateAsync(app);
        var phone = NewPhone();
        Assert.Equal(200, await PostAsync(SendSms + "?" + Query(SmsRequest(tenant, phone))));
        var smsCode = app.Codes.Last("+86" + phone, VerificationCodes.Register);
        var random = NewRandom();

        var registered = await ReadAsync<Registered>(await app.CreateClient().PostAsJsonAsync(Base + "v2/phonePwdRegister", new
        {
            agreementList = new[] { new { privacyVersion = "1.0.0", protocolType = 1 }, new { privacyVersion = "1.0.0", protocolType = 2 } },
            internationalCode = "86", phone, pwd = EncryptPwd(Password, random), random, smsCode, userDomain = tenant.DomainId,
        }));

        Assert.Equal(200, registered.Code);
        var login = await ReadAsync<LoginToken>(await app.CreateClient().PostAsync(Base + "phonePwdLogin?" + Query(PhoneLogin(tenant.DomainId, tenant.DomainSecret, "86", phone, Password)), null));
        Assert.Equal(200, login.Code);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", login.Data.AccessToken.Token);
        var info = await ReadAsync<UserInfo>(await client.GetAsync(Base + "userInfo"));
        Assert.Equal(registered.Data.Uid, info.Data.Uid);
        Assert.Equal(phone, info.Data.Phone);
        Assert.Equal("", info.Data.Email);
    }

    [Fact]
    public async Task A_wrong_or_reused_code_is_refused_and_an_address_registers_once()
    {
        var tenant = await Tenant.CreateAsync(app);
        var email = NewEmail();
        await PostAsync(SendEmail + "?" + Query(("email", email), ("emailType", "1"), ("userDomain", tenant.DomainId)));
        var code = app.Codes.Last(email.ToLowerInvariant(), VerificationCodes.Register);
        var wrong = code == "000000" ? "111111" : "000000";
        var random = NewRandom();
        string Register(string c) => Base + "v2/emailPwdRegister?" + Query(("email", email), ("pwd", EncryptPwd(Password, random)), ("random", random), ("code", c), ("userDomain", tenant.DomainId));

        Assert.Equal(Errors.SmsVerificationFailed.Code, await PostAsync(Register(wrong)));
        Assert.Equal(200, await PostAsync(Register(code)));
        Assert.Equal(Errors.SmsVerificationFailed.Code, await PostAsync(Register(code)));

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        await PostAsync(SendEmail + "?" + Query(("email", email), ("emailType", "1"), ("userDomain", tenant.DomainId)));
        Assert.Equal(Errors.UsernameTaken.Code, await PostAsync(Register(app.Codes.Last(email.ToLowerInvariant(), VerificationCodes.Register))));
    }

    [Fact]
    public async Task A_pwd_that_does_not_decrypt_or_a_weak_password_is_refused_before_the_code_is_spent()
    {
        var tenant = await Tenant.CreateAsync(app);
        var email = NewEmail();
        await PostAsync(SendEmail + "?" + Query(("email", email), ("emailType", "1"), ("userDomain", tenant.DomainId)));
        var code = app.Codes.Last(email.ToLowerInvariant(), VerificationCodes.Register);
        var random = NewRandom();
        string Register(string pwd) => Base + "v2/emailPwdRegister?" + Query(("email", email), ("pwd", pwd), ("random", random), ("code", code), ("userDomain", tenant.DomainId));

        Assert.Equal(Errors.PasswordDecryptionFailed.Code, await PostAsync(Register("AAAA")));
        Assert.Equal(Errors.InvalidParameterValue.Code, await PostAsync(Register(EncryptPwd("short", random))));
        Assert.Equal(200, await PostAsync(Register(EncryptPwd(Password, random))));
    }

    [Fact]
    public async Task The_sms_request_is_signed_fresh_and_single_use()
    {
        var tenant = await Tenant.CreateAsync(app);
        var phone = NewPhone();
        var now = app.Clock.GetUtcNow().ToUnixTimeMilliseconds();

        var badSecret = SmsRequest(tenant, phone).Select(p => p.Name == "signature" ? (p.Name, (string?)new string('0', 64)) : p).ToArray();
        Assert.Equal(Errors.SignatureVerificationFailed.Code, await PostAsync(SendSms + "?" + Query(badSecret)));
        Assert.Equal(Errors.SignatureVerificationFailed.Code, await PostAsync(SendSms + "?" + Query(SmsRequest(tenant, phone, ts: now - 11 * 60_000))));
        Assert.Equal(Errors.InvalidParameterValue.Code, await PostAsync(SendSms + "?" + Query(SmsRequest(tenant, phone, codeType: "2"))));
        var request = SmsRequest(tenant, phone);
        Assert.Equal(200, await PostAsync(SendSms + "?" + Query(request)));
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(Errors.SignatureVerificationFailed.Code, await PostAsync(SendSms + "?" + Query(request)));
    }

    [Fact]
    public async Task Send_email_checks_its_parameters()
    {
        var tenant = await Tenant.CreateAsync(app);
        Assert.Equal(Errors.InvalidParameterValue.Code, await PostAsync(SendEmail + "?" + Query(("email", "not-an-address"), ("emailType", "1"), ("userDomain", tenant.DomainId))));
        Assert.Equal(Errors.InvalidParameterValue.Code, await PostAsync(SendEmail + "?" + Query(("email", NewEmail()), ("emailType", "2"), ("userDomain", tenant.DomainId))));
        Assert.Equal(Errors.UserDomainAbnormal.Code, await PostAsync(SendEmail + "?" + Query(("email", NewEmail()), ("emailType", "1"), ("userDomain", "no-such-domain"))));
        Assert.Equal(Errors.InvalidParameter.Code, await PostAsync(SendEmail + "?" + Query(("emailType", "1"), ("userDomain", tenant.DomainId))));
    }
}
