using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Support;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Ops;

/// <summary>
/// One way to answer errors (docs/architecture.md, "Errors"): every endpoint declares exactly one error envelope on
/// its route group, and what no handler answers itself — an unknown path (404), a wrong method (405), an oversize
/// body (413), a body not declared JSON (9000) — answers in the envelope of the group the path lies under, with a
/// catalogued code and a body. Runs on real Kestrel: the in-memory server enforces no body limit.
/// </summary>
public sealed class ErrorEnvelopeTests : IAsyncLifetime, IDisposable
{
    /// <summary>The declared groups: what each answers with is pinned here, not derived from the code under test.</summary>
    private static readonly (string Prefix, ErrorEnvelope Envelope)[] Groups =
    [
        ("/v2/binding/enduserapi", ErrorEnvelopes.Quectel),
        ("/v2/family/enduserapi", ErrorEnvelopes.Quectel),
        ("/v2/enduser/enduserapi", ErrorEnvelopes.Quectel),
        ("/admin/v1", ErrorEnvelopes.Admin),
        ("/device/v1", ErrorEnvelopes.Device),
        ("/api/exploreropen", ErrorEnvelopes.Tencent),
        ("/api/studioapp", ErrorEnvelopes.Tencent),
    ];

    private readonly BinderyApp _app = new(new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0" });
    private Tenant.User _user = null!;
    private Tenant.Device _device = null!;

    public ErrorEnvelopeTests()
    {
        _app.UseKestrel(0);
        _app.StartServer();
    }

    public async Task InitializeAsync()
    {
        var tenant = await Tenant.CreateAsync(_app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        _device = await tenant.CreateDeviceAsync(product.Pk);
        _user = await tenant.CreateUserAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _app.Dispose();

    [Fact]
    public void Every_endpoint_carries_exactly_one_error_envelope_declaration()
    {
        var endpoints = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints;
        Assert.True(endpoints.Count >= 40, $"only {endpoints.Count} endpoints found");
        var offenders = endpoints
            .Where(e => e.Metadata.GetOrderedMetadata<ErrorEnvelope>().Count != 1)
            .Select(e => $"{e.DisplayName}: {e.Metadata.GetOrderedMetadata<ErrorEnvelope>().Count} declarations")
            .ToList();
        Assert.True(offenders.Count == 0, "declare one error envelope (WithErrorEnvelope) on:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void The_prefix_table_is_built_from_the_declared_groups_and_agrees_with_every_endpoint()
    {
        var table = _app.Services.GetRequiredService<ErrorEnvelopeTable>();
        foreach (var (prefix, envelope) in Groups)
        {
            Assert.Contains((new PathString(prefix), envelope), table.Entries);
        }
        // A 404 or 405 under an endpoint's path answers in the envelope that endpoint declares.
        var disagreements = new List<string>();
        foreach (var endpoint in _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var declared = endpoint.Metadata.GetMetadata<ErrorEnvelope>();
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments
                .TakeWhile(s => s.IsSimple && s.Parts[0].IsLiteral)
                .Select(s => ((Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart)s.Parts[0]).Content));
            var found = table.Find(path) ?? ErrorEnvelopes.Plain;
            if (found != declared)
            {
                disagreements.Add($"{endpoint.RoutePattern.RawText}: declares {declared}, the table says {found}");
            }
        }
        Assert.True(disagreements.Count == 0, string.Join('\n', disagreements));
        Assert.Null(table.Find("/nowhere/at/all"));
    }

    public static TheoryData<string> Prefixes => [.. Groups.Select(g => g.Prefix)];

    [Theory]
    [MemberData(nameof(Prefixes))]
    public async Task An_unknown_path_under_each_group_is_404_in_its_envelope(string prefix)
    {
        // Two segments: under /api/studioapp one segment is the iOS "/{Action}" route (POST only), which answers 405.
        var answer = await SendAsync(HttpMethod.Get, prefix + "/no-such/endpoint", credentials: true);
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
        AssertError(prefix, answer, Errors.NotFound, "No such endpoint");
    }

    [Theory]
    [MemberData(nameof(Prefixes))]
    public async Task A_wrong_method_on_each_group_is_405_in_its_envelope(string prefix)
    {
        // No endpoint takes PATCH: any route of the group answers 405 to it.
        var pattern = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.Trim('/'))
            .First(p => p.StartsWith(prefix + "/", StringComparison.Ordinal) && !p.Contains('{', StringComparison.Ordinal));
        var answer = await SendAsync(HttpMethod.Patch, pattern, credentials: true);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, answer.Status);
        AssertError(prefix, answer, Errors.NotFound, "Method not allowed");
    }

    /// <summary>A JSON endpoint of each dialect, with the HTTP status its 9000 and 9002 refusals carry.</summary>
    public static TheoryData<string, int, int> JsonEndpoints => new()
    {
        { "/v2/enduser/enduserapi/login", 200, 413 },
        { "/v2/family/enduserapi/addFamily", 200, 413 },
        { "/admin/v1/user-domains", 400, 413 },
        { "/device/v1/binding-code", 400, 413 },
        { "/api/exploreropen/tokenapi", 200, 200 },
        { "/api/exploreropen/tokenapi/AppGetFamilyList", 200, 200 },
        { "/api/studioapp/tokenapi", 200, 200 },
    };

    [Theory]
    [MemberData(nameof(JsonEndpoints))]
    public async Task A_body_not_declared_JSON_is_9000_in_the_endpoints_envelope(string path, int status, int _)
    {
        var answer = await SendAsync(HttpMethod.Post, path, credentials: true, body: "{\"a\":\"b\"}", contentType: "text/plain");
        Assert.Equal((HttpStatusCode)status, answer.Status);
        AssertError(path, answer, Errors.InvalidParameter, RequestGate.JsonContentTypeRequired);
    }

    [Theory]
    [MemberData(nameof(JsonEndpoints))]
    public async Task An_oversize_body_is_9002_in_the_endpoints_envelope(string path, int _, int status)
    {
        // Announces a body over every limit (Kestrel's 64 KiB, the device API's 16 KiB) and sends a little of it:
        // the server refuses on the announced length, and the whole answer reaches the client.
        var headers = Credentials(HttpMethod.Post, path, credentials: true, body: []);
        var (code, body) = await RawPostAsync(path, headers, announcedLength: 1024 * 1024);
        var answer = new Answer((HttpStatusCode)code, body);
        Assert.Equal((HttpStatusCode)status, answer.Status);
        AssertError(path, answer, Errors.RequestTooLarge, null);
    }

    /// <summary>415 is never set by routing here (its Content-Type check is removed); were anything to set it, it answers 9000 in the envelope.</summary>
    [Fact]
    public async Task A_bodyless_415_answers_9000_in_the_envelope_of_the_endpoint()
    {
        foreach (var envelope in ErrorEnvelopes.All)
        {
            var context = new DefaultHttpContext();
            context.Response.Body = new MemoryStream();
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(envelope), "test"));
            await ErrorHandling.WriteStatusCodeAsync(StatusCodePagesContextFor(context));
            Assert.Equal(StatusCodes.Status415UnsupportedMediaType, context.Response.StatusCode);
            var body = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
            var json = JsonDocument.Parse(body).RootElement;
            if (envelope == ErrorEnvelopes.Tencent)
            {
                Assert.Equal(Errors.InvalidParameter.TencentCode, json.GetProperty("Response").GetProperty("Error").GetProperty("Code").GetString());
            }
            else
            {
                Assert.Equal(Errors.InvalidParameter.Code, json.GetProperty("code").GetInt32());
                Assert.Equal(RequestGate.JsonContentTypeRequired, json.GetProperty("extMsg").GetString());
            }
        }
    }

    private static StatusCodeContext StatusCodePagesContextFor(HttpContext context) => new(context, new StatusCodePagesOptions(), _ => Task.CompletedTask);

    private sealed record Answer(HttpStatusCode Status, string Body);

    /// <summary>Asserts the body is the error in the envelope <see cref="Groups"/> pins for the path: a catalogued code and a message.</summary>
    private static void AssertError(string path, Answer answer, ErrorDef error, string? detail)
    {
        Assert.False(string.IsNullOrEmpty(answer.Body), $"{path}: empty body, HTTP {(int)answer.Status}");
        var envelope = Groups.Single(g => path.StartsWith(g.Prefix, StringComparison.Ordinal)).Envelope;
        var json = JsonDocument.Parse(answer.Body).RootElement;
        if (envelope == ErrorEnvelopes.Tencent)
        {
            var response = json.GetProperty("Response");
            Assert.False(string.IsNullOrEmpty(response.GetProperty("RequestId").GetString()), answer.Body);
            var message = response.GetProperty("Error").GetProperty("Message").GetString()!;
            Assert.Equal(error.TencentCode, response.GetProperty("Error").GetProperty("Code").GetString());
            Assert.StartsWith(error.English, message, StringComparison.Ordinal);
            Assert.Contains(detail ?? "", message, StringComparison.Ordinal);
            Assert.False(json.TryGetProperty("code", out _), answer.Body);
            return;
        }
        Assert.Equal(error.Code, json.GetProperty("code").GetInt32());
        Assert.Equal(error.English, json.GetProperty("msg").GetString());
        Assert.Equal(detail ?? "", json.GetProperty("extMsg").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("data").ValueKind);
    }

    private async Task<Answer> SendAsync(HttpMethod method, string path, bool credentials, string? body = null, string? contentType = null)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }
        foreach (var (name, value) in Credentials(method, path, credentials, bytes))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var client = _app.CreateClient();
        using var response = await client.SendAsync(request);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>What the path's API authenticates with, so the answer is the one under test, not an authentication error.</summary>
    private List<(string Name, string Value)> Credentials(HttpMethod method, string path, bool credentials, byte[] body)
    {
        if (!credentials)
        {
            return [];
        }
        if (path.StartsWith("/admin/", StringComparison.Ordinal))
        {
            return [("X-Admin-Key", BinderyApp.AdminKeyValue)];
        }
        if (path.StartsWith("/device/", StringComparison.Ordinal))
        {
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var nonce = DeviceClient.NewNonce();
            return
            [
                ("X-Bindery-Pk", _device.Pk), ("X-Bindery-Dk", _device.Dk), ("X-Bindery-Timestamp", ts), ("X-Bindery-Nonce", nonce),
                ("X-Bindery-Signature", DeviceClient.Sign(_device.DeviceSecret, method.Method, path, _device.Pk, _device.Dk, ts, nonce, body)),
            ];
        }
        return path.StartsWith("/v2/", StringComparison.Ordinal) ? [("Authorization", _user.Token)] : [];
    }

    /// <summary>
    /// An HTTP/1.1 POST over a bare socket that announces <paramref name="announcedLength"/> bytes of JSON and sends
    /// only a few (HttpClient will not send fewer bytes than it announces), then reads the answer to the end.
    /// </summary>
    private async Task<(int Status, string Body)> RawPostAsync(string path, List<(string Name, string Value)> headers, long announcedLength)
    {
        using var client = _app.CreateClient();
        var server = client.BaseAddress!;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        var request = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n")
            .Append("Content-Type: application/json\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {announcedLength}\r\n");
        foreach (var (name, value) in headers)
        {
            request.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }
        request.Append("\r\n{\"a\":\"");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        using var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.CopyToAsync(received, timeout.Token);
        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP answer: '{text}'");
        var head = text[..split];
        var status = int.Parse(head.Split(' ')[1], CultureInfo.InvariantCulture);
        var body = text[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }
        return (status, body);
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var end = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked[at..end], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return body.ToString();
            }
            body.Append(chunked, end + 2, size);
            at = end + 2 + size + 2;
        }
    }
}
