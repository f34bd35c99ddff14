using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// The pre-login side of an official Tencent app: an app registered through the admin API, and requests signed with
/// its AppSecret as the clients sign them, computed here independently of the server's code.
/// </summary>
public static class SignedAppRequests
{
    public sealed record App(string AppKey, string AppSecret);

    public static async Task<App> CreateAppAsync(BinderyApp server, Tenant tenant)
    {
        using var admin = server.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync("/admin/v1/tencent-apps", new { userDomain = tenant.DomainId, name = "Smart Home" });
        var data = (await response.ReadEnvelopeAsync()).Data();
        return new App(data.GetProperty("appKey").GetString()!, data.GetProperty("appSecret").GetString()!);
    }

    /// <summary>Base64(HMAC-SHA1(AppSecret, "k=v&amp;…" over every parameter but Signature, sorted by name)).</summary>
    public static string Sign(string secret, JsonObject body)
    {
        var text = string.Join('&', body.Where(p => p.Key != "Signature").OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={(p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : p.Value!.ToJsonString())}"));
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Adds AppKey, Timestamp, Nonce (0–9, as Android draws it), RequestId and the Signature.</summary>
    public static JsonObject SignRequest(App app, JsonObject parameters, long? timestamp = null, int? nonce = null, string? secret = null)
    {
        parameters["AppKey"] = app.AppKey;
        parameters["Timestamp"] = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        parameters["Nonce"] = nonce ?? Random.Shared.Next(0, 10);
        parameters["RequestId"] = Guid.NewGuid().ToString();
        parameters["Signature"] = Sign(secret ?? app.AppSecret, parameters);
        return parameters;
    }

    public static async Task<JsonElement> PostAsync(BinderyApp server, string path, JsonObject body)
    {
        using var http = server.CreateClient();
        using var response = await http.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Signs and posts an action to <c>/api/exploreropen/appapi</c>.</summary>
    public static Task<JsonElement> CallAsync(BinderyApp server, App app, JsonObject parameters) =>
        PostAsync(server, "/api/exploreropen/appapi", SignRequest(app, parameters));

    /// <summary>The error code of either envelope.</summary>
    public static string ErrorCodeOf(JsonElement root) =>
        (root.TryGetProperty("Response", out var response) ? response.GetProperty("Error") : root.GetProperty("data").GetProperty("Error"))
            .GetProperty("Code").GetString()!;
}
