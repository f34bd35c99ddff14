using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bindery.Tencent;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bindery.Tests.Accounts;

/// <summary>
/// What the Quectel app SDK computes before it calls the account API, written here from the documented rules and
/// independently of the server's code: the oracle of the app-login tests. pwd = Base64(AES-128-CBC-PKCS5(password,
/// key, iv)) with key = characters 8–23 of the upper-case hex MD5 of random, iv = key[8..16] + key[0..8];
/// signature = lower-case hex SHA-256 of the documented concatenation.
/// </summary>
public static class QuecSdk
{
    public static string NewRandom() => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 16);

    public static string EncryptPwd(string password, string random)
    {
#pragma warning disable CA5351 // the SDK's key derivation
        var hex = Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(random))).ToUpperInvariant();
#pragma warning restore CA5351
        var key = hex.Substring(8, 16);
        var iv = string.Concat(key.AsSpan(8, 8), key.AsSpan(0, 8));
        using var aes = Aes.Create();
        aes.Key = Encoding.ASCII.GetBytes(key);
        return Convert.ToBase64String(aes.EncryptCbc(Encoding.UTF8.GetBytes(password), Encoding.ASCII.GetBytes(iv), PaddingMode.PKCS7));
    }

    public static string Sha256(string text)
    {
        var sb = new StringBuilder();
        foreach (var b in SHA256.HashData(Encoding.UTF8.GetBytes(text)))
        {
            sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    public static string Query(params (string Name, string? Value)[] parameters) =>
        string.Join("&", parameters.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)));

    /// <summary>emailPwdLogin's parameters, as the SDK sends them.</summary>
    public static (string Name, string? Value)[] EmailLogin(string domain, string secret, string email, string password, string? random = null)
    {
        random ??= NewRandom();
        var pwd = EncryptPwd(password, random);
        return [("email", email), ("pwd", pwd), ("random", random), ("userDomain", domain), ("signature", Sha256(email + pwd + random + secret))];
    }

    /// <summary>phonePwdLogin's parameters: the signature starts with the internationalCode.</summary>
    public static (string Name, string? Value)[] PhoneLogin(string domain, string secret, string internationalCode, string phone, string password)
    {
        var random = NewRandom();
        var pwd = EncryptPwd(password, random);
        return
        [
            ("internationalCode", internationalCode), ("phone", phone), ("pwd", pwd), ("random", random), ("userDomain", domain),
            ("signature", Sha256(internationalCode + phone + pwd + random + secret)),
        ];
    }


    public sealed record Envelope<T>(int Code, string Msg, string? ExtMsg, T Data);

    public sealed record TokenInfo(string Token, long ExpirationTime);

    /// <summary>The real cloud's "login returned token".</summary>
    public sealed record LoginToken(TokenInfo AccessToken, TokenInfo RefreshToken);

    public sealed record UserInfo(
        string Uid, string Email, string Phone, string NikeName, string Headimg, long RegisterTime, long RegisterTimeTs, int Status);

    public sealed record Registered(string Uid);

    public static async Task<Envelope<T>> ReadAsync<T>(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        return JsonSerializer.Deserialize<Envelope<T>>(body, SdkBeans.Strict) ?? throw new InvalidOperationException("empty body");
    }

    public static async Task<int> CodeAsync(HttpResponseMessage response) => (await response.ReadEnvelopeAsync()).Code();

    /// <summary>The JWT payload's claims (the part clients decode to read uid).</summary>
    public static JsonElement Payload(string token)
    {
        var jwt = token.StartsWith("Bearer ", StringComparison.Ordinal) ? token[7..] : token;
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        var b64 = parts[1].Replace('-', '+').Replace('_', '/');
        b64 += new string('=', (4 - b64.Length % 4) % 4);
        return JsonDocument.Parse(Convert.FromBase64String(b64)).RootElement.Clone();
    }
}

/// <summary>A server for the app-account tests: cheap password hashing, codes captured instead of sent.</summary>
public sealed class AppAccountsApp : BinderyApp
{
    public AppAccountsApp()
        : this(null)
    {
    }

    internal AppAccountsApp(Dictionary<string, string?>? settings)
        : base(SharedApp.FastHashing(settings))
    {
    }

    public CapturedCodes Codes { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<IVerificationCodeSender>(Codes)));
    }
}
