using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bindery.Devices;

namespace Bindery.Cli;

/// <summary>
/// The device's side of the device API (docs/device-api.md): every request signed with HMAC-SHA256 by the
/// device secret, with a fresh timestamp and nonce. Usable as a library: tests hand in an in-memory server's client.
/// </summary>
public sealed class DeviceApiClient(HttpClient http, DeviceIdentity device, TimeProvider? clock = null)
{
    public const string BindingCodePath = "/device/v1/binding-code";
    public const string BindingSecretPath = "/device/v1/binding-secret";
    public const string ResetPath = "/device/v1/reset";
    public const string StatePath = "/device/v1/binding-state";
    public const string BindTokenPath = "/device/v1/bind-token";
    public const string PairingWindowPath = "/device/v1/pairing-window";
    public const int DefaultLifetimeSeconds = 600;

    private const string CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public DeviceIdentity Device { get; } = device;

    /// <summary>A fresh binding code: 12 characters without look-alikes (0/O, 1/I), easy to read off a device.</summary>
    public static string NewBindingCode() => RandomNumberGenerator.GetString(CodeAlphabet, 12);

    /// <summary>A fresh bindingSecret of the accepted format (24 characters of [A-Za-z0-9]).</summary>
    public static string NewBindingSecret() => Bindery.Infrastructure.Secrets.RandomAlphanumeric(24);

    /// <summary>POST /device/v1/binding-code {bindingCode, lifetime} → {active, expiresAt}; lifetime 0 cancels.</summary>
    public Task<JsonElement> ReportBindingCodeAsync(string bindingCode, int lifetimeSeconds = DefaultLifetimeSeconds) =>
        SendAsync(HttpMethod.Post, BindingCodePath, new { bindingCode, lifetime = lifetimeSeconds });

    /// <summary>POST /device/v1/binding-secret {bindingSecret} → {reportedAt}.</summary>
    public Task<JsonElement> ReportBindingSecretAsync(string bindingSecret) =>
        SendAsync(HttpMethod.Post, BindingSecretPath, new { bindingSecret });

    /// <summary>Reports the Tencent-style distribution-network token the app handed over during provisioning.</summary>
    public Task<JsonElement> ReportBindTokenAsync(string token) => SendAsync(HttpMethod.Post, BindTokenPath, new { token });

    /// <summary>POST /device/v1/reset → {bindingMode, bindingsRemoved}.</summary>
    public Task<JsonElement> ResetAsync() => SendAsync(HttpMethod.Post, ResetPath, new { });

    /// <summary>POST /device/v1/pairing-window {seconds} → {open, expiresAt}: the pairing button was pressed.</summary>
    public Task<JsonElement> OpenPairingWindowAsync(int seconds) => SendAsync(HttpMethod.Post, PairingWindowPath, new { seconds });

    /// <summary>GET /device/v1/binding-state → {bindingMode, boundUsers, bindingCode, hasBindingSecret}.</summary>
    public Task<JsonElement> StateAsync() => SendAsync(HttpMethod.Get, StatePath, null);

    /// <summary>Sends one signed request and returns the envelope's <c>data</c>; a refusal becomes a <see cref="SimulatorException"/>.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body)
    {
        var bytes = body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body);
        var timestamp = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var canonical = DeviceSignature.CanonicalString(method.Method, path, Device.Pk, Device.Dk, timestamp, nonce, bytes);
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add(DeviceSignature.PkHeader, Device.Pk);
        request.Headers.Add(DeviceSignature.DkHeader, Device.Dk);
        request.Headers.Add(DeviceSignature.TimestampHeader, timestamp);
        request.Headers.Add(DeviceSignature.NonceHeader, nonce);
        request.Headers.Add(DeviceSignature.SignatureHeader, DeviceSignature.Sign(Device.DeviceSecret, canonical));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        return await Envelope.SendAsync(http, request, $"{method.Method} {path}");
    }
}

/// <summary>Reads Bindery's <c>{code, msg, extMsg, data}</c> answers.</summary>
public static class Envelope
{
    public static async Task<JsonElement> SendAsync(HttpClient http, HttpRequestMessage request, string what)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            throw new SimulatorException($"cannot reach the server at {http.BaseAddress}: {e.Message}");
        }
        catch (TaskCanceledException)
        {
            throw new SimulatorException($"the server at {http.BaseAddress} did not answer in time");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            JsonElement envelope;
            try
            {
                envelope = JsonSerializer.Deserialize<JsonElement>(text);
            }
            catch (JsonException)
            {
                throw new SimulatorException($"{what}: HTTP {(int)response.StatusCode}, not a Bindery answer");
            }
            if (envelope.ValueKind != JsonValueKind.Object || !envelope.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.Number)
            {
                throw new SimulatorException($"{what}: HTTP {(int)response.StatusCode}, not a Bindery answer");
            }
            if (code.GetInt32() != 200)
            {
                var message = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{what} refused: code {code.GetInt32()}");
                if (envelope.TryGetProperty("msg", out var msg) && msg.ValueKind == JsonValueKind.String)
                {
                    message.Append(CultureInfo.InvariantCulture, $" {msg.GetString()}");
                }
                if (envelope.TryGetProperty("extMsg", out var ext) && ext.ValueKind == JsonValueKind.String && ext.GetString() is { Length: > 0 } detail)
                {
                    message.Append(CultureInfo.InvariantCulture, $" ({detail})");
                }
                throw new SimulatorException(message.ToString(), code.GetInt32());
            }
            return envelope.TryGetProperty("data", out var data) ? data.Clone() : default;
        }
    }
}
