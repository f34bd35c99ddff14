using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json.Serialization;

namespace Bindery.Infrastructure;

/// <summary>The <c>{code, msg, extMsg, data}</c> envelope of the Quectel-style <c>/v2</c> API.</summary>
public sealed record QuectelEnvelope<T>(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("msg")] string Msg,
    [property: JsonPropertyName("extMsg")] string ExtMsg,
    [property: JsonPropertyName("data")] T? Data);

public static class Envelope
{
    public const int SuccessCode = 200;

    public static QuectelEnvelope<T> Ok<T>(T data) => new(SuccessCode, "success", "", data);

    public static Ok<QuectelEnvelope<T>> OkResult<T>(T data) => TypedResults.Ok(Ok(data));

    public static QuectelEnvelope<object> Error(ErrorDef error, bool chinese, string? detail) =>
        new(error.Code, error.Message(chinese), detail ?? "", null);

    /// <summary>True when the caller asked for Chinese messages (<c>Accept-Language: zh…</c>).</summary>
    public static bool WantsChinese(HttpContext context)
    {
        var header = context.Request.Headers.AcceptLanguage.ToString();
        return header.StartsWith("zh", StringComparison.OrdinalIgnoreCase);
    }
}
