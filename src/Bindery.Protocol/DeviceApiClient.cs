using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Bindery.Protocol;

/// <summary>Who a device is: its product key, device key and the device secret the admin API issued.</summary>
public sealed record DeviceIdentity(string Pk, string Dk, string DeviceSecret);

/// <summary>
/// The device's side of the device API (docs/device-api.md): every request signed with HMAC-SHA256 by the
/// device secret, with a fresh timestamp and nonce. Used by the simulator and the benchmark; tests hand in an
/// in-memory server's client.
/// </summary>
public sealed class DeviceApiClient(HttpClient http, DeviceIdentity device, TimeProvider? clock = null)
{
    public const int DefaultLifetimeSeconds = 600;

    private const string CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public DeviceIdentity Device { get; } = device;

    /// <summary>A fresh binding code: 12 characters without look-alikes (0/O, 1/I), easy to read off a device.</summary>
    public static string NewBindingCode() => RandomNumberGenerator.GetString(CodeAlphabet, 12);

    /// <summary>A fresh bindingSecret of the accepted format (24 characters of [A-Za-z0-9]).</summary>
    public static string NewBindingSecret() => Secrets.RandomAlphanumeric(24);

    /// <summary>POST /device/v1/binding-code {bindingCode, lifetime} → {active, expiresAt}; lifetime 0 cancels.</summary>
    public Task<JsonElement> ReportBindingCodeAsync(string bindingCode, int lifetimeSeconds = DefaultLifetimeSeconds) =>
        SendAsync(HttpMethod.Post, DeviceApiRoutes.BindingCode, new { bindingCode, lifetime = lifetimeSeconds });

    /// <summary>POST /device/v1/binding-secret {bindingSecret} → {reportedAt}.</summary>
    public Task<JsonElement> ReportBindingSecretAsync(string bindingSecret) =>
        SendAsync(HttpMethod.Post, DeviceApiRoutes.BindingSecret, new { bindingSecret });

    /// <summary>Reports the Tencent-style distribution-network token the app handed over during provisioning.</summary>
    public Task<JsonElement> ReportBindTokenAsync(string token) => SendAsync(HttpMethod.Post, DeviceApiRoutes.BindToken, new { token });

    /// <summary>POST /device/v1/reset → {bindingMode, bindingsRemoved}.</summary>
    public Task<JsonElement> ResetAsync() => SendAsync(HttpMethod.Post, DeviceApiRoutes.Reset, new { });

    /// <summary>POST /device/v1/pairing-window {seconds} → {open, expiresAt}: the pairing button was pressed.</summary>
    public Task<JsonElement> OpenPairingWindowAsync(int seconds) => SendAsync(HttpMethod.Post, DeviceApiRoutes.PairingWindow, new { seconds });

    /// <summary>GET /device/v1/binding-state → {bindingMode, boundUsers, bindingCode, hasBindingSecret}.</summary>
    public Task<JsonElement> StateAsync() => SendAsync(HttpMethod.Get, DeviceApiRoutes.BindingState, null);

    /// <summary>Sends one signed request and returns the envelope's <c>data</c>; a refusal becomes a <see cref="BinderyApiException"/>.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body)
    {
        var bytes = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body);
        using var request = SignedRequest(Device, method, path, bytes, (clock ?? TimeProvider.System).GetUtcNow());
        return await ApiEnvelope.SendAsync(http, request, $"{method.Method} {path}");
    }

    /// <summary>
    /// One device API request signed by <paramref name="device"/> at <paramref name="now"/> with a fresh nonce: the
    /// five X-Bindery headers and, when <paramref name="body"/> is given, the body declared JSON.
    /// </summary>
    public static HttpRequestMessage SignedRequest(DeviceIdentity device, HttpMethod method, string path, byte[]? body, DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var canonical = DeviceSignature.CanonicalString(method.Method, path, device.Pk, device.Dk, timestamp, nonce, body ?? []);
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(DeviceSignature.PkHeader, device.Pk);
        request.Headers.Add(DeviceSignature.DkHeader, device.Dk);
        request.Headers.Add(DeviceSignature.TimestampHeader, timestamp);
        request.Headers.Add(DeviceSignature.NonceHeader, nonce);
        request.Headers.Add(DeviceSignature.SignatureHeader, DeviceSignature.Sign(device.DeviceSecret, canonical));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        return request;
    }
}

/// <summary>
/// The server refused a request (<see cref="Code"/> is its envelope code) or could not be reached or understood
/// (<see cref="Code"/> null). The message is one line fit for a user.
/// </summary>
public sealed class BinderyApiException(string message, int? code = null) : Exception(message)
{
    public int? Code { get; } = code;
}

/// <summary>Reads Bindery's <c>{code, msg, extMsg, data}</c> answers.</summary>
public static class ApiEnvelope
{
    /// <summary>Sends <paramref name="request"/> and returns the envelope's <c>data</c>; anything but code 200 throws <see cref="BinderyApiException"/>.</summary>
    public static async Task<JsonElement> SendAsync(HttpClient http, HttpRequestMessage request, string what)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            throw new BinderyApiException($"cannot reach the server at {http.BaseAddress}: {e.Message}");
        }
        catch (TaskCanceledException)
        {
            throw new BinderyApiException($"the server at {http.BaseAddress} did not answer in time");
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
                throw new BinderyApiException($"{what}: HTTP {(int)response.StatusCode}, not a Bindery answer");
            }
            if (envelope.ValueKind != JsonValueKind.Object || !envelope.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.Number)
            {
                throw new BinderyApiException($"{what}: HTTP {(int)response.StatusCode}, not a Bindery answer");
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
                throw new BinderyApiException(message.ToString(), code.GetInt32());
            }
            return envelope.TryGetProperty("data", out var data) ? data.Clone() : default;
        }
    }
}
