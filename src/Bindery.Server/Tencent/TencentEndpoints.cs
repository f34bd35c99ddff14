using System.Text.Json;
using Bindery.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Bindery.Tencent;

/// <summary>
/// The Tencent-style action API (docs/tencent-api.md): <c>POST /api/exploreropen/tokenapi</c>, and the same
/// actions on <c>/api/exploreropen/appapi</c>, each a JSON body with Action, RequestId, AccessToken and the
/// action's parameters, answered in the <c>{"Response": …}</c> envelope.
/// </summary>
public static class TencentEndpoints
{
    public const string PathPrefix = "/api/exploreropen";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    public static IServiceCollection AddTencent(this IServiceCollection services)
    {
        services.AddOptions<TencentOptions>().BindConfiguration("Tencent");
        services.AddSingleton<BindTokens>();
        services.AddSingleton<TencentActions>();
        return services;
    }

    public static IEndpointRouteBuilder MapTencent(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PathPrefix).WithTags("Tencent").WithErrorEnvelope(ErrorEnvelopes.Tencent);
        group.MapPost("/tokenapi", HandleAsync);
        group.MapPost("/appapi", HandleAsync);
        return app;
    }

    private static async Task<JsonHttpResult<TencentResponse<TencentSuccessBody>>> HandleAsync(
        HttpContext http, TencentActions actions, IOptions<BinderyOptions> options)
    {
        // The AccessToken travels in the body, so the Content-Type is the first thing there is to check.
        RequestGate.RequireJson(http.Request);
        var body = await ReadBodyAsync(http.Request, options.Value.MaxRequestBodyBytes);
        using var document = JsonDocument.Parse(body, DocumentOptions);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new BinderyException(Errors.InvalidParameter, "the body must be a JSON object");
        }
        var parameters = new TencentParams(document.RootElement);
        // RequestId first: every later refusal echoes it (a RequestId that is not a string is itself refused, with a generated one).
        var requestId = parameters.Text("RequestId", 128)?.Trim();
        if (!string.IsNullOrEmpty(requestId))
        {
            TencentEnvelope.SetRequestId(http, requestId);
        }
        var action = parameters.Required("Action");
        var data = await actions.RunAsync(action, parameters);
        return TypedResults.Json(TencentEnvelope.Success(data, TencentEnvelope.RequestId(http)), TencentEnvelope.Json);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength > maxBytes)
        {
            throw new BinderyException(Errors.RequestTooLarge);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new BinderyException(Errors.RequestTooLarge);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
