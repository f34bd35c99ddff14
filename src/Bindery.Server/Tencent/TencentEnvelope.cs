using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Bindery.Infrastructure;

namespace Bindery.Tencent;

public sealed record TencentError(string Code, string Message);

/// <summary><c>{"Response":{"Data":{…,"RequestId"},"RequestId"}}</c>: the seed puts RequestId in Data; apps also read it beside Data.</summary>
public sealed record TencentSuccessBody(JsonObject Data, string RequestId);

public sealed record TencentErrorBody(TencentError Error, string RequestId);

public sealed record TencentResponse<T>(T Response);

/// <summary>
/// The <c>{"Response": …}</c> envelope of the Tencent-style action API. Every answer under
/// <see cref="TencentEndpoints.PathPrefix"/>, failures included, carries the request's RequestId (a generated one
/// when the request had none or could not be read). Business errors answer HTTP 200, as the cloud it imitates.
/// </summary>
public static class TencentEnvelope
{
    private static readonly object RequestIdKey = new();

    /// <summary>Field names exactly as declared (PascalCase), absent values left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Remembers the RequestId of this request, so an error written later (by any handler) echoes it.</summary>
    public static void SetRequestId(HttpContext context, string requestId) => context.Items[RequestIdKey] = requestId;

    public static string RequestId(HttpContext context)
    {
        if (context.Items.TryGetValue(RequestIdKey, out var value) && value is string known)
        {
            return known;
        }
        var generated = Guid.NewGuid().ToString();
        SetRequestId(context, generated);
        return generated;
    }

    public static TencentResponse<TencentSuccessBody> Success(object data, string requestId)
    {
        var node = JsonSerializer.SerializeToNode(data, data.GetType(), Json) as JsonObject ?? [];
        node["RequestId"] = requestId;
        return new(new TencentSuccessBody(node, requestId));
    }

    /// <summary>The <see cref="ErrorHandling.ErrorWriter"/> for the Tencent-style paths.</summary>
    public static Task WriteErrorAsync(HttpContext context, ErrorDef error, string? detail, bool keepStatus)
    {
        if (!keepStatus)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        var message = error.Message(Envelope.WantsChinese(context));
        if (!string.IsNullOrEmpty(detail))
        {
            message += ": " + detail;
        }
        var body = new TencentResponse<TencentErrorBody>(new TencentErrorBody(new TencentError(error.TencentCode, message), RequestId(context)));
        return context.Response.WriteAsJsonAsync(body, Json);
    }
}
