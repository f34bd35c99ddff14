using System.Net;
using System.Text;
using Bindery.Infrastructure;
using Bindery.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Registry;

/// <summary>
/// The admin key is checked before anything else on every <c>/admin</c> path, the route table's and unknown
/// ones: no body binding, no Content-Type check, no 404/405 before it. A bad body without the key answers
/// 401 / 9004 and names no field.
/// </summary>
public sealed class AdminKeyFirstTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static readonly (string ContentType, string Body)[] BadBodies =
    [
        ("application/json", "{\"homeMode\":\"not a bool\",\"bindingMode\":\"x\",\"methods\":5,\"dk\":[]}"),
        ("application/json", "{\"name\":"),
        ("text/plain", "{\"homeMode\":1}"),
        ("application/x-ndjson", "{\"dk\":1}\n"),
    ];

    [Fact]
    public async Task Without_the_key_every_admin_route_answers_401_9004_whatever_the_body()
    {
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith("admin/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Method: m, Path: "/" + e.RoutePattern.RawText!.Trim('/').Replace("{pk}", "p1").Replace("{dk}", "869900010000017").Replace("{id}", "C.DM.x"))))
            .Append(("GET", "/admin/v1/no-such-route"))
            .Append(("PUT", "/admin/v1/products"))
            .ToList();
        Assert.True(routes.Count > 10, $"only {routes.Count} admin routes");

        using var client = app.CreateClient();
        foreach (var (method, path) in routes)
        {
            foreach (var (contentType, body) in BadBodies)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} ({contentType}) answered {(int)response.StatusCode} {text}");
                Assert.Contains($"\"code\":{Errors.AdminKeyInvalid.Code}", text, StringComparison.Ordinal);
                foreach (var field in new[] { "homeMode", "bindingMode", "methods", "name", "$.", "Content-Type", "JSON" })
                {
                    Assert.DoesNotContain(field, text, StringComparison.Ordinal);
                }
            }
        }
    }
}
