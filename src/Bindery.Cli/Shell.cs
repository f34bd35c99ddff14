using System.Text.Encodings.Web;
using System.Text.Json;

namespace Bindery.Cli;

/// <summary>Text that a POSIX shell reads back exactly: printed curl commands and <c>NAME='value'</c> lines.</summary>
public static class Shell
{
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>JSON for a printed command: characters such as <c>+</c> or <c>&amp;</c> stay as they are, not <c>\uXXXX</c>.</summary>
    public static string Json(object value) => JsonSerializer.Serialize(value, RelaxedJson);

    /// <summary>Single-quotes <paramref name="value"/> for sh/bash (a quote inside becomes <c>'\''</c>).</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A curl command posting <paramref name="jsonBody"/> with the app user's token taken from <c>$TOKEN</c>.</summary>
    public static string CurlPostJson(string server, string path, string jsonBody) =>
        $"curl -s {Quote(server + path)} -H \"Authorization: $TOKEN\" -H 'Content-Type: application/json' \\\n  -d {Quote(jsonBody)}";

    /// <summary>
    /// A curl command posting <paramref name="jsonBody"/> to an API that takes the access token in the body (the
    /// Tencent-style action API): the text <c>$TOKEN</c> in the body is spliced out of the single quotes so the
    /// shell expands it.
    /// </summary>
    public static string CurlPostJsonWithTokenInBody(string server, string path, string jsonBody) =>
        $"curl -s {Quote(server + path)} -H 'Content-Type: application/json' \\\n  -d {Quote(jsonBody).Replace("$TOKEN", "'\"$TOKEN\"'", StringComparison.Ordinal)}";
}
