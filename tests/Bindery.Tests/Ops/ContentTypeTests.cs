using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bindery.Tests.Support;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Ops;

/// <summary>
/// Every endpoint that reads a JSON body, taken from the route table (so a new one cannot be forgotten), refuses
/// a body that is not declared JSON (text/plain, what <c>curl -d</c> sends, none at all) in its own envelope with
/// 9000 / InvalidParameter and a message naming the Content-Type: never routing's empty 415, never a 500. It
/// authenticates first: without credentials the answer is the authentication error, whatever the body.
/// </summary>
public sealed class ContentTypeTests : IAsyncLifetime, IDisposable
{
    /// <summary>POST endpoints that take no body (everything in the query): the body's type does not matter to them.</summary>
    private static readonly HashSet<string> QueryOnly =
    [
        "POST /v2/binding/enduserapi/bindDeviceSn",
        "POST /v2/binding/enduserapi/bindDeviceDk",
        "POST /v2/binding/enduserapi/bindGatewaySubDevice",
        "POST /admin/v1/webhooks/{id}/rotate-secret",
        "POST /admin/v1/webhooks/{id}/deliveries/{eventId}/retry",
        "POST /v2/binding/enduserapi/shareByUid",
        "POST /v2/binding/enduserapi/shareDevice",
        "POST /v2/binding/enduserapi/shareInfo",
        "PUT /v2/binding/enduserapi/setShareTime",
        "PUT /v2/binding/enduserapi/changeShareDeviceName",
        "PUT /v2/binding/enduserapi/setDeviceInfo",
        "POST /v2/enduser/enduserapi/emailPwdLogin",
        "POST /v2/enduser/enduserapi/phonePwdLogin",
        "POST /v2/enduser/enduserapi/v2/emailPwdRegister",
        "POST /v2/enduser/enduserapi/v2/phonePwdRegister",
        "PUT /v2/enduser/enduserapi/refreshToken",
        "PUT /v2/enduser/enduserapi/setUserInfo",
        "PUT /v2/enduser/enduserapi/setUserPwd",
        "POST /v2/sms/enduserapi/v2/sendPhoneSmsCode",
        "POST /v2/mail/enduserapi/v2/sendEmail",
        "PUT /v2/family/enduserapi/enabledFamilyMode",
        "PUT /v2/family/enduserapi/setCurrentFamily",
        "PUT /v2/family/enduserapi/setFamily",
        "POST /v2/family/enduserapi/addFamilyRoom",
        "PUT /v2/family/enduserapi/setFamilyRoom",
        "PUT /v2/family/enduserapi/setFamilyMemberRole",
        "POST /v2/family/enduserapi/inviteFamilyMember",
        "POST /v2/family/enduserapi/familyMemberInviteHandle",
        "PUT /v2/family/enduserapi/setFamilyMemberName",
        "PUT /v2/family/enduserapi/transferFamilyOwner",
    ];

    /// <summary>JSON endpoints anyone may call: there is nothing to authenticate before the Content-Type.</summary>
    private static readonly HashSet<string> Public =
    [
        "POST /v2/enduser/enduserapi/register",
        "POST /v2/enduser/enduserapi/login",
        "POST /api/exploreropen/tokenapi",
        "POST /api/exploreropen/appapi",
        "POST /api/exploreropen/tokenapi/{action:regex(^App[A-Za-z0-9]+$)}",
        "POST /api/exploreropen/appapi/{action:regex(^App[A-Za-z0-9]+$)}",
        "POST /api/studioapp",
        "POST /api/studioapp/{action:regex(^App[A-Za-z0-9]+$)}",
        "POST /api/studioapp/tokenapi",
        "POST /api/studioapp/tokenapi/{action:regex(^App[A-Za-z0-9]+$)}",
    ];

    private static readonly (string Name, string? ContentType, string Body)[] Variants =
    [
        ("text/plain", "text/plain", "{\"a\":\"b\"}"),
        ("form-encoded (curl -d)", "application/x-www-form-urlencoded", "a=b&c=d"),
        ("no Content-Type", null, "{\"a\":\"b\"}"),
    ];

    private readonly BinderyApp _app = new();
    private Tenant _tenant = null!;
    private Tenant.User _user = null!;
    private Tenant.Device _device = null!;

    public async Task InitializeAsync()
    {
        _tenant = await Tenant.CreateAsync(_app, homeMode: true);
        var product = await _tenant.CreateProductAsync(bindingMode: 1);
        _device = await _tenant.CreateDeviceAsync(product.Pk);
        _user = await _tenant.CreateUserAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Every_JSON_endpoint_refuses_a_body_not_declared_JSON_in_its_own_envelope_after_authenticating()
    {
        var endpoints = BodyEndpoints();
        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} JSON endpoints found: {string.Join(", ", endpoints)}");
        var failures = new List<string>();
        foreach (var (method, pattern) in endpoints)
        {
            var path = Fill(pattern);
            foreach (var (name, contentType, body) in Variants)
            {
                var authenticated = await SendAsync(method, path, contentType, Authenticate(method, path, body), body);
                Check(failures, $"{method} {pattern} with {name}", authenticated, expectContentTypeError: true);

                var anonymous = await SendAsync(method, path, contentType, null, body);
                var isPublic = Public.Contains($"{method} {pattern}");
                Check(failures, $"{method} {pattern} with {name}, no credentials", anonymous, expectContentTypeError: isPublic);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_JSON_body_declared_JSON_with_a_charset_is_accepted()
    {
        using var content = new StringContent("{\"familyName\":\"Charset home\"}", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        using var response = await _user.Client.PostAsync("/v2/family/enduserapi/addFamily", content);
        var envelope = await response.ReadEnvelopeAsync();
        Assert.Equal(200, envelope.Code());
    }

    /// <summary>Every route that reads a body, classified; a POST/PUT/PATCH route that is neither fails the test.</summary>
    private List<(string Method, string Pattern)> BodyEndpoints()
    {
        var found = new List<(string, string)>();
        var unclassified = new List<string>();
        foreach (var endpoint in _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                var declaresJson = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes
                    .Any(t => t.StartsWith("application/json", StringComparison.Ordinal)) == true;
                var readsOwnBody = method == "POST" && (pattern.StartsWith("/api/exploreropen/", StringComparison.Ordinal)
                    || pattern.StartsWith("/api/studioapp", StringComparison.Ordinal)
                    || pattern.StartsWith("/device/v1/", StringComparison.Ordinal) || pattern.EndsWith("/devices/import", StringComparison.Ordinal));
                if (declaresJson || readsOwnBody)
                {
                    found.Add((method, pattern));
                }
                else if (method is "POST" or "PUT" or "PATCH" && !QueryOnly.Contains($"{method} {pattern}"))
                {
                    unclassified.Add($"{method} {pattern}");
                }
            }
        }
        Assert.True(unclassified.Count == 0,
            "classify these endpoints in ContentTypeTests (JSON body, or QueryOnly): " + string.Join(", ", unclassified));
        return found;
    }

    private string Fill(string pattern) => pattern
        .Replace("{pk}", _device.Pk, StringComparison.Ordinal)
        .Replace("{dk}", _device.Dk, StringComparison.Ordinal)
        .Replace("{id}", _tenant.DomainId, StringComparison.Ordinal)
        .Replace("{action:regex(^App[A-Za-z0-9]+$)}", "AppGetFamilyList", StringComparison.Ordinal);

    /// <summary>The credentials the endpoint's family expects (the Tencent API carries its token in the body).</summary>
    private Action<HttpRequestMessage>? Authenticate(string method, string path, string body)
    {
        if (path.StartsWith("/admin/", StringComparison.Ordinal))
        {
            return r => r.Headers.Add("X-Admin-Key", BinderyApp.AdminKeyValue);
        }
        if (path.StartsWith("/device/", StringComparison.Ordinal))
        {
            return r =>
            {
                var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                var nonce = DeviceClient.NewNonce();
                r.Headers.Add("X-Bindery-Pk", _device.Pk);
                r.Headers.Add("X-Bindery-Dk", _device.Dk);
                r.Headers.Add("X-Bindery-Timestamp", ts);
                r.Headers.Add("X-Bindery-Nonce", nonce);
                r.Headers.Add("X-Bindery-Signature",
                    DeviceClient.Sign(_device.DeviceSecret, method, path, _device.Pk, _device.Dk, ts, nonce, Encoding.UTF8.GetBytes(body)));
            };
        }
        if (path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            return r => r.Headers.TryAddWithoutValidation("Authorization", _user.Token);
        }
        return null;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(
        string method, string path, string? contentType, Action<HttpRequestMessage>? authenticate, string body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        // The Tencent API's credentials are in the body: a token-shaped one (invalid, it is never checked).
        authenticate?.Invoke(request);
        using var client = _app.CreateClient();
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static void Check(List<string> failures, string what, (HttpStatusCode Status, string Body) answer, bool expectContentTypeError)
    {
        var (status, body) = answer;
        if (status is HttpStatusCode.UnsupportedMediaType or HttpStatusCode.InternalServerError || body.Length == 0)
        {
            failures.Add($"{what}: HTTP {(int)status} '{body}'");
            return;
        }
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
            failures.Add($"{what}: not JSON: '{body}'");
            return;
        }
        string code, message;
        if (json.TryGetProperty("Response", out var response))
        {
            if (!response.TryGetProperty("Error", out var error) || !response.TryGetProperty("RequestId", out _))
            {
                failures.Add($"{what}: not a Tencent error envelope: {body}");
                return;
            }
            code = error.GetProperty("Code").GetString()!;
            message = error.GetProperty("Message").GetString()!;
            if (expectContentTypeError != (code == "InvalidParameter" && message.Contains("Content-Type", StringComparison.Ordinal)))
            {
                failures.Add($"{what}: {body}");
            }
            return;
        }
        if (!json.TryGetProperty("code", out var codeElement) || !json.TryGetProperty("msg", out _)
            || !json.TryGetProperty("extMsg", out var extMsg) || !json.TryGetProperty("data", out _))
        {
            failures.Add($"{what}: not a {{code,msg,extMsg,data}} envelope: {body}");
            return;
        }
        code = codeElement.GetInt32().ToString(CultureInfo.InvariantCulture);
        message = extMsg.GetString()!;
        var isContentTypeError = code == "9000" && message.Contains("Content-Type", StringComparison.Ordinal);
        var isAuthError = code is "5106" or "5032" or "9004" or "9011";
        if (expectContentTypeError ? !isContentTypeError : !isAuthError)
        {
            failures.Add($"{what}: expected {(expectContentTypeError ? "9000 Content-Type" : "an authentication error")}, got HTTP {(int)status} {body}");
        }
    }
}
