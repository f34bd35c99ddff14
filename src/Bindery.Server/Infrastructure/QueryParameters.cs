using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Bindery.Infrastructure;

/// <summary>
/// Where the Quectel-style <c>/v2</c> API's "query" parameters may come from. The real cloud's documentation lists
/// most parameters as query parameters, but its clients post them as an <c>application/x-www-form-urlencoded</c>
/// body (the Android SDK, the third-party scripts that log in to it) or, some of them, as a flat JSON object; the
/// real server reads all three. Here every endpoint in the Quectel envelope that does <b>not</b> declare a JSON body
/// reads its parameters from the query string, and a form body or a flat JSON object body is folded into the query
/// string before the endpoint binds its <c>[FromQuery]</c> parameters, so each endpoint declares its parameters once.
/// Endpoints that declare a JSON body (<c>v2/deviceBindingByWifi</c>, …) are left alone: their body is the document.
/// </summary>
public static class QueryParameters
{
    /// <summary>A form or JSON parameter body is small; anything larger is refused (9002) before it is parsed.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly ConditionalWeakTable<Endpoint, StrongBox<bool>> FoldsBody = [];

    /// <summary>Runs after <c>UseRequestGate</c>: the caller is authenticated before a byte of the body is read.</summary>
    public static IApplicationBuilder UseQueryParametersFromBody(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint() is { } endpoint && FoldsBody.GetValue(endpoint, e => new StrongBox<bool>(Applies(e))).Value)
        {
            await FoldAsync(context.Request);
        }
        await next(context);
    });

    private static bool Applies(Endpoint endpoint)
    {
        if (!ReferenceEquals(endpoint.Metadata.GetMetadata<ErrorEnvelope>(), ErrorEnvelopes.Quectel))
        {
            return false;
        }
        // An endpoint that declares a body (a JSON document) reads it itself; no /v2 handler reads a raw body.
        return !(endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes.Count > 0);
    }

    private static async Task FoldAsync(HttpRequest request)
    {
        var isForm = request.ContentType is { } type && type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
        var isJson = !isForm && request.HasJsonContentType();
        if (!isForm && !isJson)
        {
            return;
        }
        var bytes = await RequestBodies.ReadBoundedAsync(request, MaxBodyBytes);
        request.Body = Stream.Null;
        if (bytes.Length == 0)
        {
            return;
        }
        var fromBody = isForm ? QueryHelpers.ParseQuery(Encoding.UTF8.GetString(bytes)) : ParseFlatJson(bytes);
        var merged = new Dictionary<string, StringValues>(request.Query.Count + fromBody.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in request.Query)
        {
            merged[key] = value;
        }
        foreach (var (key, value) in fromBody)
        {
            if (merged.TryGetValue(key, out var existing))
            {
                if (!StringValues.Equals(existing, value))
                {
                    // Two different values for one parameter: refuse rather than guess which one the client meant
                    // (and rather than let a proxy and Bindery each read a different one).
                    throw new BinderyException(Errors.InvalidParameterValue, $"parameter {key} is given twice with different values");
                }
                continue;
            }
            merged[key] = value;
        }
        request.QueryString = QueryString.Create(merged);
    }

    /// <summary>The top-level scalar members of a JSON object (strings, numbers, booleans); nested values are not parameters.</summary>
    private static Dictionary<string, StringValues> ParseFlatJson(byte[] bytes)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            throw new BinderyException(Errors.InvalidParameter, "the request body is not valid JSON");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BinderyException(Errors.InvalidParameter, "the request body must be a JSON object of parameters");
            }
            var result = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
            foreach (var member in document.RootElement.EnumerateObject())
            {
                var value = member.Value.ValueKind switch
                {
                    JsonValueKind.String => member.Value.GetString(),
                    JsonValueKind.Number => member.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => null,
                };
                if (value is null)
                {
                    continue;
                }
                if (result.ContainsKey(member.Name))
                {
                    throw new BinderyException(Errors.InvalidParameterValue, $"parameter {member.Name} is given twice");
                }
                result[member.Name] = value;
            }
            return result;
        }
    }
}
