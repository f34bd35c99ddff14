using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bindery.Infrastructure;
using Bindery.Observability;
using Bindery.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Observability;

/// <summary>
/// docs/operations.md, "API reference": the OpenAPI document describes every mapped route with a summary and the
/// catalogued errors it can answer; the reference page at /docs is served whole by Bindery (no CDN).
/// </summary>
public sealed partial class ApiReferenceTests : IDisposable
{
    private readonly BinderyApp _app = new();

    /// <summary>The routes deliberately left out of the document: operations endpoints, the document itself, the page, the scrape.</summary>
    private static readonly string[] Undocumented = ["/healthz", "/readyz", "/bench/noop", "/openapi/{documentName}.json", "/metrics"];

    public void Dispose() => _app.Dispose();

    private async Task<JsonElement> DocumentAsync()
    {
        var response = await _app.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Every operation of the document: "METHOD path" → the operation.</summary>
    private static Dictionary<string, JsonElement> Operations(JsonElement document)
    {
        var operations = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (operation.Name is "parameters" or "summary" or "description" or "servers")
                {
                    continue;
                }
                operations[$"{operation.Name.ToUpperInvariant()} {Normalize(path.Name)}"] = operation.Value;
            }
        }
        return operations;
    }

    /// <summary>A route template as the document spells it: constraints dropped, no trailing slash.</summary>
    private static string Normalize(string template)
    {
        var path = Constraint().Replace(template, "{${name}}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    /// <summary>The admin console's HTML pages (docs/console.md) are not API operations.</summary>
    private static bool IsConsolePage(string template) =>
        template == Bindery.AdminConsole.ConsoleSetup.PathPrefix || template.StartsWith(Bindery.AdminConsole.ConsoleSetup.PathPrefix + "/", StringComparison.Ordinal);

    /// <summary>Every route the server maps, as "METHOD template", except those it deliberately leaves out of the document.</summary>
    private List<string> MappedRoutes()
    {
        _app.CreateClient();
        var routes = new List<string>();
        foreach (var endpoint in _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (Undocumented.Contains(template) || template.StartsWith(ApiReference.DocsPath, StringComparison.Ordinal) || IsConsolePage(template))
            {
                continue;
            }
            foreach (var method in endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                routes.Add($"{method} {Normalize(template)}");
            }
        }
        return routes;
    }

    [Fact]
    public async Task Every_mapped_route_is_in_the_document()
    {
        var operations = Operations(await DocumentAsync());
        var mapped = MappedRoutes();
        Assert.True(mapped.Count > 80, $"only {mapped.Count} routes found: is the route table read?");
        var missing = mapped.Where(route => !operations.ContainsKey(route)).ToList();
        Assert.True(missing.Count == 0, "Routes missing from /openapi/v1.json (ExcludeFromDescription? list them in Undocumented only if deliberate):\n" + string.Join('\n', missing));
    }

    [Fact]
    public async Task Only_the_operational_routes_are_left_out()
    {
        _app.CreateClient();
        var excluded = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription == true)
            .Select(e => "/" + (e.RoutePattern.RawText ?? "").TrimStart('/'))
            .Where(t => !t.StartsWith(ApiReference.DocsPath, StringComparison.Ordinal) && !IsConsolePage(t))
            .ToList();
        var unexpected = excluded.Where(t => !Undocumented.Contains(t)).ToList();
        Assert.True(unexpected.Count == 0, "Routes excluded from the API reference without being operational:\n" + string.Join('\n', unexpected));
    }

    [Fact]
    public async Task Every_operation_has_a_summary()
    {
        var lacking = Operations(await DocumentAsync())
            .Where(o => !o.Value.TryGetProperty("summary", out var s) || string.IsNullOrWhiteSpace(s.GetString()))
            .Select(o => o.Key)
            .ToList();
        Assert.True(lacking.Count == 0, "Routes without a summary (add .WithSummary(\"...\") on the route's line):\n" + string.Join('\n', lacking));
    }

    [Fact]
    public async Task Every_operation_lists_catalogued_errors_only()
    {
        var catalog = Errors.All.ToDictionary(e => e.Name);
        foreach (var (route, operation) in Operations(await DocumentAsync()))
        {
            Assert.True(operation.TryGetProperty(ApiReference.ErrorsExtension, out var errors), $"{route} lists no errors");
            Assert.True(errors.GetArrayLength() > 0, $"{route} lists no errors");
            foreach (var error in errors.EnumerateArray())
            {
                var name = error.GetProperty("name").GetString()!;
                Assert.True(catalog.TryGetValue(name, out var known), $"{route} lists {name}, which is not in Errors.cs");
                Assert.Equal(known.Code, error.GetProperty("code").GetInt32());
                Assert.Equal(known.TencentCode, error.GetProperty("tencentCode").GetString());
            }
            Assert.Contains("**Errors**", operation.GetProperty("description").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_bind_operations_list_their_refusals_and_the_admin_ones_the_admin_key()
    {
        var operations = Operations(await DocumentAsync());
        static IEnumerable<int> Codes(JsonElement operation) =>
            operation.GetProperty(ApiReference.ErrorsExtension).EnumerateArray().Select(e => e.GetProperty("code").GetInt32());
        var wifi = Codes(operations["POST /v2/binding/enduserapi/v2/deviceBindingByWifi"]).ToList();
        Assert.Contains(Errors.BindingCodeVerificationFailed.Code, wifi);
        Assert.Contains(Errors.TokenMissing.Code, wifi);
        Assert.Contains(Errors.DeviceAlreadyBound.Code, wifi);
        Assert.Contains(Errors.AdminKeyInvalid.Code, Codes(operations["POST /admin/v1/products"]));
        Assert.Contains(Errors.DeviceAuthFailed.Code, Codes(operations["POST /device/v1/binding-code"]));
    }

    [Fact]
    public async Task The_tencent_operations_describe_every_action()
    {
        var operations = Operations(await DocumentAsync());
        var description = operations["POST /api/exploreropen/tokenapi"].GetProperty("description").GetString()!;
        foreach (var action in Bindery.Tencent.TencentActions.Names.Concat(Bindery.Tencent.TencentAppApi.Names))
        {
            Assert.Contains($"`{action}`", description, StringComparison.Ordinal);
        }
        Assert.Contains("| `AppTokenBindDeviceFamily` |", description, StringComparison.Ordinal);
        Assert.Contains("`InvalidParameterValue.TokenNotExist`", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reference_page_is_served_whole_by_bindery()
    {
        var client = _app.CreateClient();
        var page = await client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        var references = Reference().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.Contains("scalar.js", references);
        foreach (var reference in references)
        {
            Assert.False(reference.Contains("//", StringComparison.Ordinal) || reference.StartsWith("data:", StringComparison.Ordinal),
                $"/docs refers to {reference}, which is not served by Bindery");
            var asset = await client.GetAsync(new Uri(new Uri("http://localhost/docs/"), reference));
            Assert.True(asset.StatusCode == HttpStatusCode.OK, $"/docs/{reference} answered {(int)asset.StatusCode}");
            Assert.True((await asset.Content.ReadAsByteArrayAsync()).Length > 0, $"/docs/{reference} is empty");
        }
        // No CDN anywhere in the page, and the web fonts (which Scalar loads from its CDN) are off.
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        // The page reads the document Bindery serves.
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        var script = await client.GetAsync("/docs/scalar.js");
        Assert.Contains("javascript", script.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000, "scalar.js is Scalar's whole bundle");
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z0-9_]+)(:[^}]*(\}[^/{}]*)?)?\}")]
    private static partial Regex Constraint();

    [GeneratedRegex("""(?:src|href)\s*=\s*["'](?<url>[^"']+)["']""")]
    private static partial Regex Reference();
}
