using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Bindery.Tests.Support;

/// <summary>
/// Plays a device against the device API (docs/device-api.md): signs each request with HMAC-SHA256 over
/// <c>METHOD\nPATH\nPK\nDK\nTIMESTAMP\nNONCE\nSHA256HEX(BODY)</c>, computed here independently of the server code.
/// </summary>
public sealed class DeviceClient(HttpClient http, Tenant.Device device)
{
    public Tenant.Device Device { get; } = device;

    /// <summary>A random bindingCode of the accepted format (12 characters of [A-Za-z0-9]).</summary>
    public static string NewCode() => RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 12);

    /// <summary>A random bindingSecret of the accepted format.</summary>
    public static string NewSecret() => RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 24);

    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string Sign(string deviceSecret, string method, string path, string pk, string dk, string timestamp, string nonce, byte[] body)
    {
        var canonical = string.Join('\n', method, path, pk, dk, timestamp, nonce, Convert.ToHexStringLower(SHA256.HashData(body)));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(deviceSecret), Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>
    /// Sends a signed request. The optional arguments let a test break one part: a stale timestamp, a reused
    /// nonce, another secret, or a body changed after signing (<paramref name="bodyOverride"/>);
    /// <paramref name="rawBody"/> sends and signs exact bytes.
    /// </summary>
    public Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, object? body = null,
        long? timestamp = null, string? nonce = null, string? secret = null, byte[]? bodyOverride = null, byte[]? rawBody = null)
    {
        var bytes = rawBody ?? (body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body));
        var ts = (timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ToString(CultureInfo.InvariantCulture);
        var n = nonce ?? NewNonce();
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Bindery-Pk", Device.Pk);
        request.Headers.Add("X-Bindery-Dk", Device.Dk);
        request.Headers.Add("X-Bindery-Timestamp", ts);
        request.Headers.Add("X-Bindery-Nonce", n);
        request.Headers.Add("X-Bindery-Signature", Sign(secret ?? Device.DeviceSecret, method.Method, path, Device.Pk, Device.Dk, ts, n, bytes));
        var sent = bodyOverride ?? bytes;
        if (sent.Length > 0 || method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent(sent);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        return http.SendAsync(request);
    }

    /// <summary>Sends a signed request, asserts envelope code 200 and returns <c>data</c>.</summary>
    public async Task<JsonElement> OkAsync(HttpMethod method, string path, object? body = null)
    {
        var response = await SendAsync(method, path, body);
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(envelope.GetProperty("code").GetInt32() == 200, $"{method} {path} answered {envelope}");
        return envelope.GetProperty("data");
    }

    /// <summary>POST /device/v1/binding-code {bindingCode, lifetime}; lifetime 0 cancels the current code.</summary>
    public Task<JsonElement> ReportBindingCodeAsync(string bindingCode, int lifetime = 600) =>
        OkAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode, lifetime });

    /// <summary>Reports a fresh code and returns it.</summary>
    public async Task<string> ReportNewCodeAsync(int lifetime = 600)
    {
        var code = NewCode();
        await ReportBindingCodeAsync(code, lifetime);
        return code;
    }

    /// <summary>POST /device/v1/binding-secret {bindingSecret}.</summary>
    public Task<JsonElement> ReportBindingSecretAsync(string bindingSecret) =>
        OkAsync(HttpMethod.Post, "/device/v1/binding-secret", new { bindingSecret });

    /// <summary>POST /device/v1/reset → data {bindingMode, bindingsRemoved}.</summary>
    public Task<JsonElement> ResetAsync() => OkAsync(HttpMethod.Post, "/device/v1/reset", new { });

    /// <summary>POST /device/v1/auth-key/verify {authKey} → true when the authKey is a live binding of this device.</summary>
    public async Task<bool> IsAuthKeyValidAsync(string authKey) =>
        (await OkAsync(HttpMethod.Post, "/device/v1/auth-key/verify", new { authKey })).GetProperty("valid").GetBoolean();

    /// <summary>POST /device/v1/auth-key/verify {authKey} → data {valid, bindingType, verified}.</summary>
    public Task<JsonElement> VerifyAuthKeyAsync(string authKey) => OkAsync(HttpMethod.Post, "/device/v1/auth-key/verify", new { authKey });

    /// <summary>POST /device/v1/pairing-window {seconds}: someone pressed the device's button → data {open, expiresAt}.</summary>
    public Task<JsonElement> OpenPairingWindowAsync(int seconds = 120) => OkAsync(HttpMethod.Post, "/device/v1/pairing-window", new { seconds });

    /// <summary>GET /device/v1/binding-state → data {bindingMode, boundUsers, bindingCode, hasBindingSecret}.</summary>
    public Task<JsonElement> StateAsync() => OkAsync(HttpMethod.Get, "/device/v1/binding-state");
}
