using System.Globalization;
using System.Net.Http.Json;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using Bindery.Protocol;

namespace Bindery.Bench;

/// <summary>
/// Seeds the benchmark's tenant through the public APIs only: the admin API (user domain, product, bulk import),
/// the account API (register, log in) and the signed device API (each device reports its binding code).
/// </summary>
public sealed class BenchTenant
{
    private const string CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

    /// <summary>The bench product binds by SN and over Wi-Fi (the measured binds are Wi-Fi binds).</summary>
    private static readonly string[] BenchMethods = ["SN", "WIFI"];

    /// <summary>The MQTT phase's product binds by the app's token.</summary>
    private static readonly string[] TokenMethods = ["WIFI", "TOKEN"];
    private readonly HttpClient _http;
    private readonly string _adminKey;

    public BenchTenant(HttpClient http, string adminKey)
    {
        _http = http;
        _adminKey = adminKey;
    }

    public string DomainId { get; private set; } = "";

    /// <summary>A shared, connection-reusing client for the seeding phases (one connection per concurrent caller).</summary>
    public static HttpClient CreateClient(string baseUrl, int connections) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
        })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromMinutes(30),
        };

    /// <summary>Device number <paramref name="n"/>: a MAC address as dk, a serial number and a factory secret.</summary>
    public static (string Dk, string Sn, string Secret) DeviceOf(long n) =>
        ((0x0A0000000000L + n).ToString("X12", CultureInfo.InvariantCulture),
         "BSN" + n.ToString("D9", CultureInfo.InvariantCulture),
         "bench-factory-secret-" + n.ToString("D9", CultureInfo.InvariantCulture));

    /// <summary>
    /// MQTT device number <paramref name="n"/>: a MAC address as dk, a serial number, and a Tencent-style device
    /// secret (base64 of 16 bytes, derived from n), which the MQTT login's HMAC key is decoded from.
    /// </summary>
    public static (string Dk, string Sn, string Secret) MqttDeviceOf(long n) =>
        ((0x0B0000000000L + n).ToString("X12", CultureInfo.InvariantCulture),
         "MSN" + n.ToString("D9", CultureInfo.InvariantCulture),
         Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("bench-mqtt-" + n.ToString(CultureInfo.InvariantCulture)))[..16]));

    /// <summary>A product that binds by the app's token (<c>TOKEN</c>), for the MQTT phase's Tencent-protocol devices.</summary>
    public async Task<string> CreateTokenProductAsync(string name)
    {
        var data = await AdminPostAsync("/admin/v1/products", new
        {
            name,
            logoUrl = "https://example.invalid/light.png",
            moduleType = "ESP32",
            bindingMode = 2,
            methods = TokenMethods,
            userDomains = new[] { DomainId },
        });
        return data.GetProperty("pk").GetString()!;
    }

    /// <summary>
    /// <paramref name="count"/> bind tokens (<c>AppCreateDeviceBindToken</c> of the Tencent-style API), token i
    /// created by the user of access token <c>accessTokens[i % length]</c>.
    /// </summary>
    public async Task<string[]> CreateBindTokensAsync(string[] accessTokens, int count, int concurrency)
    {
        var tokens = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var data = await TencentAsync(new { Action = "AppCreateDeviceBindToken", AccessToken = accessTokens[i % accessTokens.Length] });
            tokens[i] = FindString(data, "Token") ?? throw new InvalidOperationException($"AppCreateDeviceBindToken answered no Token: {data}");
        });
        return tokens;
    }

    /// <summary>A user domain; <paramref name="homeMode"/> for the Tencent token flow, which binds into a family.</summary>
    /// <summary>A family for each user (<c>AppCreateFamily</c>); returns the FamilyIds in the same order.</summary>
    public async Task<string[]> CreateFamiliesAsync(string[] accessTokens, int concurrency)
    {
        var families = new string[accessTokens.Length];
        await Parallel.ForAsync(0, accessTokens.Length, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var data = await TencentAsync(new { Action = "AppCreateFamily", AccessToken = accessTokens[i], Name = "Bench home" });
            families[i] = FindString(data, "FamilyId") ?? throw new InvalidOperationException($"AppCreateFamily answered no FamilyId: {data}");
        });
        return families;
    }

    /// <summary>Posts one Tencent-style action to <c>/api/exploreropen/tokenapi</c>; returns the answer's Data, or throws with its Error.</summary>
    private async Task<JsonElement> TencentAsync(object body)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await _http.PostAsJsonAsync("/api/exploreropen/tokenapi", body);
            var text = await response.Content.ReadAsStringAsync();
            using var document = JsonDocument.Parse(text);
            var answer = document.RootElement.TryGetProperty("Response", out var r) ? r : document.RootElement;
            if (answer.TryGetProperty("Data", out var data) || answer.TryGetProperty("data", out data))
            {
                return data.Clone();
            }
            // The storage error (InternalError.InternalServerExceptionDB, 9014) says "retry".
            if (text.Contains("InternalServerExceptionDB", StringComparison.Ordinal) && attempt < 20)
            {
                Interlocked.Increment(ref _reportRetries);
                await Task.Delay(Random.Shared.Next(5, 50) * attempt);
                continue;
            }
            throw new InvalidOperationException($"the Tencent API answered HTTP {(int)response.StatusCode}: {text}");
        }
    }

    private static string? FindString(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name == name && property.Value.ValueKind == JsonValueKind.String)
            {
                return property.Value.GetString();
            }
            if (FindString(property.Value, name) is { } nested)
            {
                return nested;
            }
        }
        return null;
    }

    public async Task CreateDomainAsync(bool homeMode = false)
    {
        var data = await AdminPostAsync("/admin/v1/user-domains", new { homeMode });
        DomainId = data.GetProperty("id").GetString()!;
    }

    /// <summary>An owner-mode (one holder per device) Wi-Fi product of the domain.</summary>
    public async Task<string> CreateProductAsync(string name)
    {
        var data = await AdminPostAsync("/admin/v1/products", new
        {
            name,
            logoUrl = "https://example.invalid/plug.png",
            moduleType = "ESP32",
            bindingMode = 2,
            methods = BenchMethods,
            userDomains = new[] { DomainId },
        });
        return data.GetProperty("pk").GetString()!;
    }

    /// <summary>Registers devices [first, first + count) through the streamed NDJSON bulk import, in requests of up to 250,000.</summary>
    public async Task ImportDevicesAsync(string pk, long first, long count, Func<long, (string Dk, string Sn, string Secret)>? deviceOf = null)
    {
        const long perRequest = 250_000;
        for (var start = first; start < first + count; start += perRequest)
        {
            var end = Math.Min(first + count, start + perRequest);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/v1/products/{pk}/devices/import")
            {
                Content = new NdjsonDevices(start, end, deviceOf ?? DeviceOf),
            };
            request.Headers.Add("X-Admin-Key", _adminKey);
            using var response = await _http.SendAsync(request);
            var data = await DataAsync(response, "import");
            var imported = data.GetProperty("imported").GetInt64();
            if (imported != end - start)
            {
                throw new InvalidOperationException($"import registered {imported} of {end - start} devices: {data}");
            }
        }
    }

    /// <summary>Registers and logs in <paramref name="count"/> users; returns their access tokens.</summary>
    public async Task<string[]> CreateUsersAsync(string prefix, int count, int concurrency)
    {
        var tokens = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var credentials = new { userDomain = DomainId, username = $"{prefix}{i:D6}", password = "bench-password-0000" };
            await PostAsync("/v2/enduser/enduserapi/register", credentials, admin: false);
            var login = await PostAsync("/v2/enduser/enduserapi/login", credentials, admin: false);
            tokens[i] = login.GetProperty("accessToken").GetProperty("token").GetString()!;
        });
        return tokens;
    }

    /// <summary>Set-up requests (reports, registrations) answered 503 / 9014 ("storage temporarily unavailable, retry") and sent again, as a client would.</summary>
    public long ReportRetries => Interlocked.Read(ref _reportRetries);

    private long _reportRetries;

    /// <summary>
    /// Each device in <paramref name="devices"/> reports a fresh binding code through the signed device API
    /// (<c>POST /device/v1/binding-code</c>); returns the codes in the same order.
    /// </summary>
    public async Task<string[]> ReportCodesAsync(string pk, IReadOnlyList<long> devices, int concurrency)
    {
        var codes = new string[devices.Count];
        await Parallel.ForAsync(0, devices.Count, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, cancellationToken) =>
        {
            var code = RandomNumberGenerator.GetString(CodeAlphabet, 12);
            for (var attempt = 1; ; attempt++)
            {
                using var response = await SendReportAsync(pk, devices[i], code, cancellationToken);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 20)
                {
                    Interlocked.Increment(ref _reportRetries);
                    await Task.Delay(Random.Shared.Next(5, 50) * attempt, cancellationToken);
                    continue;
                }
                await DataAsync(response, "binding-code report");
                break;
            }
            codes[i] = code;
        });
        return codes;
    }

    /// <summary>
    /// Token i of <paramref name="tokens"/> is reported (<c>POST /device/v1/bind-token</c>) by MQTT-numbered device
    /// <c>devices[i]</c> of the TOKEN product <paramref name="pk"/> (set-up of the token binds).
    /// </summary>
    public async Task ReportBindTokensAsync(string pk, IReadOnlyList<long> devices, string[] tokens, int concurrency)
    {
        await Parallel.ForAsync(0, tokens.Length, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, cancellationToken) =>
        {
            var (dk, _, secret) = MqttDeviceOf(devices[i]);
            var body = Encoding.UTF8.GetBytes($$"""{"token":"{{tokens[i]}}"}""");
            for (var attempt = 1; ; attempt++)
            {
                using var request = DeviceApiClient.SignedRequest(new DeviceIdentity(pk, dk, secret), HttpMethod.Post, DeviceApiRoutes.BindToken, body, DateTimeOffset.UtcNow);
                using var response = await _http.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 20)
                {
                    Interlocked.Increment(ref _reportRetries);
                    await Task.Delay(Random.Shared.Next(5, 50) * attempt, cancellationToken);
                    continue;
                }
                await DataAsync(response, "bind-token report");
                break;
            }
        });
    }

    /// <summary>
    /// One line of a wrk slice: a device API request signed now by <paramref name="device"/> with a fresh nonce, as
    /// "(no token) TAB body TAB header: value ...". Valid for the server's clock skew (5 minutes) from now.
    /// </summary>
    public static string SignedLine(DeviceIdentity device, string path, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = DeviceApiClient.SignedRequest(device, HttpMethod.Post, path, bytes, DateTimeOffset.UtcNow);
        var line = new StringBuilder().Append('\t').Append(body);
        foreach (var header in request.Headers)
        {
            line.Append('\t').Append(header.Key).Append(": ").Append(header.Value.Single());
        }
        return line.ToString();
    }

    /// <summary>A binding-code report body, as the set-up sends it.</summary>
    public static string CodeReportBody(string code) => $$"""{"bindingCode":"{{code}}","lifetime":3600}""";

    /// <summary>A fresh binding code.</summary>
    public static string NewCode() => RandomNumberGenerator.GetString(CodeAlphabet, 12);

    private async Task<HttpResponseMessage> SendReportAsync(string pk, long device, string code, CancellationToken cancellationToken)
    {
        var (dk, _, secret) = DeviceOf(device);
        var body = Encoding.UTF8.GetBytes(CodeReportBody(code));
        // Signed by the protocol library, the code the simulator uses and the server checks with.
        using var request = DeviceApiClient.SignedRequest(new DeviceIdentity(pk, dk, secret), HttpMethod.Post, DeviceApiRoutes.BindingCode, body, DateTimeOffset.UtcNow);
        return await _http.SendAsync(request, cancellationToken);
    }

    /// <summary>The body of one Wi-Fi binding (<c>POST /v2/binding/enduserapi/v2/deviceBindingByWifi</c>).</summary>
    public static string BindBody(string pk, long device, string code) =>
        $$"""{"productKey":"{{pk}}","deviceKey":"{{DeviceOf(device).Dk}}","bindingCode":"{{code}}"}""";

    public Task<JsonElement> AdminPostAsync(string path, object body) => PostAsync(path, body, admin: true);

    /// <summary>An admin DELETE (the webhook phase removes its webhook), asserting the envelope's 200.</summary>
    public async Task AdminDeleteAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        request.Headers.Add("X-Admin-Key", _adminKey);
        using var response = await _http.SendAsync(request);
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (envelope.GetProperty("code").GetInt32() != 200)
        {
            throw new InvalidOperationException($"DELETE {path}: {envelope}");
        }
    }

    /// <summary>A set-up request; "storage temporarily unavailable, retry" (503 / 9014, e.g. PostgreSQL's serialization failures) is retried, as a client would.</summary>
    private async Task<JsonElement> PostAsync(string path, object body, bool admin)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            if (admin)
            {
                request.Headers.Add("X-Admin-Key", _adminKey);
            }
            using var response = await _http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 20)
            {
                Interlocked.Increment(ref _reportRetries);
                await Task.Delay(Random.Shared.Next(5, 50) * attempt);
                continue;
            }
            return await DataAsync(response, path);
        }
    }

    private static async Task<JsonElement> DataAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        if (response.StatusCode != HttpStatusCode.OK || document.RootElement.GetProperty("code").GetInt32() != 200)
        {
            throw new InvalidOperationException($"{what} answered HTTP {(int)response.StatusCode}: {text}");
        }
        return document.RootElement.GetProperty("data").Clone();
    }

    /// <summary>NDJSON lines of devices [start, end), generated while they are sent.</summary>
    private sealed class NdjsonDevices : HttpContent
    {
        private readonly long _start;
        private readonly long _end;
        private readonly Func<long, (string Dk, string Sn, string Secret)> _deviceOf;

        public NdjsonDevices(long start, long end, Func<long, (string Dk, string Sn, string Secret)> deviceOf)
        {
            (_start, _end, _deviceOf) = (start, end, deviceOf);
            Headers.ContentType = new("application/x-ndjson");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var buffer = new StringBuilder(64 * 1024);
            for (var n = _start; n < _end; n++)
            {
                var (dk, sn, secret) = _deviceOf(n);
                buffer.Append(CultureInfo.InvariantCulture, $$"""{"dk":"{{dk}}","sn":"{{sn}}","deviceSecret":"{{secret}}"}""").Append('\n');
                if (buffer.Length > 60 * 1024)
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()));
                    buffer.Clear();
                }
            }
            await stream.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
