using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Bindery.Infrastructure;
using Microsoft.Extensions.Options;

namespace Bindery.Tencent;

public sealed record TencentError(string Code, string Message);

/// <summary><c>{"Response":{"Data":{…,"RequestId"},"RequestId"}}</c>: the seed puts RequestId in Data; apps also read it beside Data.</summary>
public sealed record TencentSuccessBody(JsonObject Data, string RequestId);

public sealed record TencentErrorBody(TencentError Error, string RequestId);

public sealed record TencentResponse<T>(T Response);

/// <summary>The client envelope: <c>{"code":0,"msg":"","data":{…}}</c>, <c>code</c> -1000 on failure.</summary>
public sealed record TencentClientBody<T>(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("msg")] string Msg,
    [property: JsonPropertyName("data")] T Data);

/// <summary>
/// The two envelopes of the Tencent-style action API (docs/tencent-api.md, "Envelopes"). Every answer under the
/// Tencent paths, failures included, carries the request's RequestId (a generated one when the request had none or
/// could not be read). Business errors answer HTTP 200, as the cloud it imitates. Which envelope answers is decided
/// per request (<see cref="SetKind"/>, from the caller's user domain); until it is decided (the caller is not yet
/// identified) the deployment's <see cref="TencentOptions.Envelope"/> answers.
/// </summary>
public static class TencentEnvelope
{
    /// <summary>The client envelope's <c>code</c> of every failure (the clients tell failures apart by <c>data.Error.Code</c>).</summary>
    public const int ClientErrorCode = -1000;

    private static readonly object RequestIdKey = new();
    private static readonly object KindKey = new();

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

    /// <summary>Decides the envelope of this request's answer, success or failure (once the caller is identified).</summary>
    public static void SetKind(HttpContext context, TencentEnvelopeKind kind) => context.Items[KindKey] = kind;

    /// <summary>The envelope decided for this request, else the deployment default.</summary>
    public static TencentEnvelopeKind Kind(HttpContext context) =>
        context.Items.TryGetValue(KindKey, out var value) && value is TencentEnvelopeKind kind
            ? kind
            : context.RequestServices?.GetService<IOptions<TencentOptions>>()?.Value.Envelope ?? TencentEnvelopeKind.Response;

    /// <summary>
    /// A success answer: in the Response envelope every action's fields sit in <c>Response.Data</c> (seed 003); in
    /// the client envelope <paramref name="shape"/> puts them directly in <c>data</c> (Flat) or in <c>data.Data</c>
    /// (Wrapped) — the latter being exactly what the Response envelope holds under <c>Response</c>.
    /// </summary>
    public static object Success(TencentEnvelopeKind kind, TencentShape shape, object data, string requestId)
    {
        var fields = JsonSerializer.SerializeToNode(data, data.GetType(), Json) as JsonObject ?? [];
        fields["RequestId"] = requestId;
        if (kind == TencentEnvelopeKind.Response)
        {
            return new TencentResponse<TencentSuccessBody>(new TencentSuccessBody(fields, requestId));
        }
        return shape switch
        {
            TencentShape.Flat => new TencentClientBody<JsonObject>(0, "", fields),
            _ => new TencentClientBody<TencentSuccessBody>(0, "", new TencentSuccessBody(fields, requestId)),
        };
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
        var body = new TencentErrorBody(new TencentError(error.TencentCode, message), RequestId(context));
        return Kind(context) == TencentEnvelopeKind.Client
            ? context.Response.WriteAsJsonAsync(new TencentClientBody<TencentErrorBody>(ClientErrorCode, message, body), Json)
            : context.Response.WriteAsJsonAsync(new TencentResponse<TencentErrorBody>(body), Json);
    }
}
