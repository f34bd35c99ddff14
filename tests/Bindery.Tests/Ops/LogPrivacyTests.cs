using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bindery.Registry;
using Bindery.Tests.Support;

namespace Bindery.Tests.Ops;

/// <summary>
/// The real server, started from a directory that is not its own with every log category at Trace (JSON console
/// output with scopes, so structured values and scopes are printed too), serves SN, Wi-Fi and Tencent-style
/// token bindings, logins, device reports and refused requests carrying recognisable serial numbers, codes,
/// secrets, passwords and tokens: none of them, and no query string of an API path, may appear in its output.
/// It must still have read its own appsettings.json.
/// </summary>
public sealed partial class LogPrivacyTests
{
    private const string AdminKeyValue = "leak-test-admin-key-0123456789";

    [Fact]
    public async Task Nothing_a_caller_sends_in_a_query_or_body_reaches_the_log_even_at_Trace()
    {
        using var storage = TestStore.Create();
        var startDir = Path.Combine(storage.DataDir, "elsewhere");
        Directory.CreateDirectory(startDir);
        var settings = storage.Settings("data");
        settings["Bindery:AdminKey"] = AdminKeyValue;
        settings["Bindery:SeedDemo"] = "false";
        settings["Bindery:Accounts:PasswordHashIterations"] = "1000";
        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Logging:LogLevel:Microsoft"] = "Trace";
        settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        settings["Logging:LogLevel:Bindery.Requests"] = "Trace";
        settings["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Trace";
        settings["Logging:Console:FormatterName"] = "json";
        settings["Logging:Console:FormatterOptions:IncludeScopes"] = "true";

        var secrets = new List<string>();
        string Secret(string prefix, int length = 12)
        {
            var value = prefix + RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", length);
            secrets.Add(value);
            return value;
        }

        var server = await ServerProcess.StartAsync(settings, workingDirectory: startDir, keepAllOutput: true);
        try
        {
            var http = server.CreateClient();
            var admin = server.CreateAdminClient(AdminKeyValue);

            // Registry: a home-mode user domain, a multi-user product, three devices with recognisable serial numbers.
            var domain = (await PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode = true })).GetProperty("id").GetString()!;
            var product = await PostOkAsync(admin, "/admin/v1/products", new
            {
                name = "Leak test plug", logoUrl = "https://example.invalid/logo.png", moduleType = "EC200U",
                bindingMode = 1, userCap = 5, methods = new[] { "SN", "WIFI", "BT", "TOKEN" }, userDomains = new[] { domain },
            });
            var pk = product.GetProperty("pk").GetString()!;
            var devices = new List<Tenant.Device>();
            for (var i = 0; i < 3; i++)
            {
                var dk = DeviceKeys.ImeiFromBody("86" + RandomNumberGenerator.GetInt32(100_000_000, 999_999_999).ToString("D12"));
                var registered = await PostOkAsync(admin, $"/admin/v1/products/{pk}/devices", new { dk, sn = Secret("LEAKSN") });
                devices.Add(new Tenant.Device(pk, registered.GetProperty("dk").GetString()!, registered.GetProperty("sn").GetString()!,
                    registered.GetProperty("deviceSecret").GetString()!));
                secrets.Add(devices[^1].DeviceSecret);
            }

            // Accounts: register, a failed and a good login, a family.
            var username = "leakuser" + RandomNumberGenerator.GetHexString(8, lowercase: true);
            var password = Secret("LeakPassword-", 16);
            await PostOkAsync(http, "/v2/enduser/enduserapi/register", new { userDomain = domain, username, password });
            await PostAsync(http, "/v2/enduser/enduserapi/login", new { userDomain = domain, username, password = Secret("LeakWrongPw-", 16) });
            var login = await PostOkAsync(http, "/v2/enduser/enduserapi/login", new { userDomain = domain, username, password });
            var token = login.GetProperty("accessToken").GetProperty("token").GetString()!;
            secrets.Add(token);
            var user = server.CreateClient();
            user.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
            var fid = (await PostOkAsync(user, "/v2/family/enduserapi/addFamily", new { familyName = "Home" })).GetProperty("fid").GetString()!;

            // SN binding (the serial number travels in the query), a refused one, one with a value that cannot be bound.
            await PostOkAsync(user, $"/v2/binding/enduserapi/bindDeviceSn?pk={pk}&sn={devices[0].Sn}&fid={fid}", null);
            await PostAsync(user, $"/v2/binding/enduserapi/bindDeviceSn?pk={pk}&sn={Secret("LEAKSNUNKNOWN")}&fid={fid}", null);
            await PostAsync(user, $"/v2/binding/enduserapi/bindDeviceSn?pk={pk}&sn={devices[1].Sn}&fid={fid}&capabilitiesBitmask={Secret("LEAKBITS")}", null);
            await PostAsync(http, $"/v2/binding/enduserapi/bindDeviceSn?pk={pk}&sn={devices[1].Sn}", null);

            // Wi-Fi binding: the device reports a code (signed device API), the app binds with it; a wrong code; a
            // code sent as text/plain; a body that is not JSON at all.
            var device = new DeviceClient(http, devices[1]);
            var code = Secret("LeakCode");
            await device.ReportBindingCodeAsync(code);
            await device.ReportBindingSecretAsync(Secret("LeakBindingSecret"));
            await PostOkAsync(user, "/v2/binding/enduserapi/v2/deviceBindingByWifi", new { productKey = pk, deviceKey = devices[1].Dk, bindingCode = code, fid });
            await PostAsync(user, "/v2/binding/enduserapi/v2/deviceBindingByWifi", new { productKey = pk, deviceKey = devices[1].Dk, bindingCode = Secret("LeakWrongCode"), fid });
            await SendRawAsync(user, "/v2/binding/enduserapi/v2/deviceBindingByWifi", $"{{\"bindingCode\":\"{Secret("LeakPlainCode")}\"}}", "text/plain");
            await SendRawAsync(user, "/v2/binding/enduserapi/v2/deviceBindingByWifi", $"{{\"bindingCode\":\"{Secret("LeakBrokenJson")}", "application/json");
            await SendRawAsync(admin, "/admin/v1/user-domains", $"{{\"homeMode\":\"{Secret("LeakAdminBody")}\"}}", "application/json");

            // Device API: authKey check with a recognisable wrong key, state, reset.
            await device.SendAsync(HttpMethod.Post, "/device/v1/auth-key/verify", new { authKey = Secret("LeakAuthKey") });
            await device.StateAsync();

            // Tencent-style token binding of the third device.
            var created = await PostTencentAsync(http, new { Action = "AppCreateDeviceBindToken", RequestId = "leak-1", AccessToken = token });
            var bindToken = created.GetProperty("Response").GetProperty("Data").GetProperty("Token").GetString()!;
            secrets.Add(bindToken);
            var third = new DeviceClient(http, devices[2]);
            await third.OkAsync(HttpMethod.Post, "/device/v1/bind-token", new { token = bindToken });
            await PostTencentAsync(http, new { Action = "AppGetDeviceBindTokenState", AccessToken = token, Token = bindToken });
            var bound = await PostTencentAsync(http, new
            {
                Action = "AppTokenBindDeviceFamily", AccessToken = token, Token = bindToken, ProductId = pk, DeviceName = devices[2].Dk,
                FamilyId = fid, RoomId = "0",
            });
            Assert.False(bound.GetProperty("Response").TryGetProperty("Error", out _), bound.ToString());
            await PostTencentAsync(http, new { Action = "AppTokenBindDeviceFamily", AccessToken = Secret("LeakAccessToken"), Token = Secret("LeakBindToken") });

            // Unbind (query), log out.
            using (var unbound = await user.DeleteAsync($"/v2/binding/enduserapi/unbundlingDeviceDk?pk={pk}&dk={devices[0].Dk}"))
            {
                Assert.Equal(200, (await unbound.ReadEnvelopeAsync()).GetProperty("code").GetInt32());
            }
            using (var logout = await user.DeleteAsync("/v2/enduser/enduserapi/userLogout"))
            {
                Assert.Equal(200, (await logout.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());
            }
        }
        finally
        {
            await server.StopAsync();
            await server.DisposeAsync();
        }

        var output = server.AllOutput;
        foreach (var secret in secrets)
        {
            if (output.Contains(secret, StringComparison.Ordinal))
            {
                Assert.Fail($"{secret} is in the server's output:\n{Around(output, secret)}");
            }
        }
        var query = ApiQueryString().Match(output);
        Assert.False(query.Success, $"a query string of an API path is in the server's output: {query.Value}");
        Assert.Contains("Request starting", output, StringComparison.Ordinal); // the framework did log every request, at Trace

        // The settings file next to the program was read, though the server ran elsewhere; the data went where it started.
        var serverDir = Path.GetDirectoryName(ServerProcess.LocateServerDll())!;
        Assert.Contains($"Settings from {Path.Combine(serverDir, "appsettings.json")}", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(startDir, "data", "bindery.db")) || TestStore.IsPostgres, "the relative data directory resolves against the start directory");
    }

    [Theory]
    [InlineData("Request starting HTTP/1.1 POST http://h:1/v2/binding/enduserapi/bindDeviceSn?pk=p&sn=SN1 - - -", "Request starting HTTP/1.1 POST http://h:1/v2/binding/enduserapi/bindDeviceSn - - -")]
    [InlineData("?pk=p&sn=SN1", "")]
    [InlineData("Invalid request line: 'POST /x?sn=SN1 HTTP/1.1'", "Invalid request line: 'POST /x HTTP/1.1'")]
    [InlineData("Failed to bind parameter \"int? page\" from \"SN1\".", "Failed to bind parameter \"int? page\" from \"[redacted]\".")]
    [InlineData("Is this fine? Yes.", "Is this fine? Yes.")]
    public void Redaction_cuts_query_strings_and_bound_values(string text, string expected) =>
        Assert.Equal(expected, Bindery.Infrastructure.LogRedaction.Redact(text));

    /// <summary>Any of the server's API paths followed by a query string.</summary>
    [GeneratedRegex(@"/(v2|device|api|admin)/[^\s""'?]*\?")]
    private static partial Regex ApiQueryString();

    private static string Around(string text, string secret)
    {
        var at = text.IndexOf(secret, StringComparison.Ordinal);
        var start = text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
        var end = text.IndexOf('\n', at);
        return text[start..(end < 0 ? text.Length : end)];
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string url, object? body)
    {
        using var response = body is null ? await client.PostAsync(url, null) : await client.PostAsJsonAsync(url, body);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<JsonElement> PostOkAsync(HttpClient client, string url, object? body)
    {
        var envelope = await PostAsync(client, url, body);
        Assert.True(envelope.GetProperty("code").GetInt32() == 200, $"POST {url.Split('?')[0]} answered {envelope}");
        return envelope.GetProperty("data");
    }

    private static Task<JsonElement> PostTencentAsync(HttpClient client, object body) => PostAsync(client, "/api/exploreropen/tokenapi", body);

    private static async Task SendRawAsync(HttpClient client, string url, string body, string contentType)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        using var response = await client.PostAsync(url, content);
        Assert.NotEqual(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
    }
}
