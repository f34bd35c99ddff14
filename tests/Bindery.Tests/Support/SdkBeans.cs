using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bindery.Tests.Support;

/// <summary>
/// How the Quectel app SDK's Gson beans read Bindery's answers, as strictly as the tests need: the real field names
/// (camelCase, case-sensitive), an <c>int</c> must be a JSON number (a <c>true</c> where a bean declares an int fails,
/// as Gson's does), every field a record names must be present, and a non-nullable field must not be null.
/// Unknown fields are skipped, as Gson skips them.
/// </summary>
public static class SdkBeans
{
    public static readonly JsonSerializerOptions Strict = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        NumberHandling = JsonNumberHandling.Strict,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };
}
