namespace Bindery.Cli;

/// <summary>Text that a POSIX shell reads back exactly: printed curl commands and <c>NAME='value'</c> lines.</summary>
public static class Shell
{
    /// <summary>Single-quotes <paramref name="value"/> for sh/bash (a quote inside becomes <c>'\''</c>).</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A curl command posting <paramref name="jsonBody"/> with the app user's token taken from <c>$TOKEN</c>.</summary>
    public static string CurlPostJson(string server, string path, string jsonBody) =>
        $"curl -s {Quote(server + path)} -H \"Authorization: $TOKEN\" -H 'Content-Type: application/json' \\\n  -d {Quote(jsonBody)}";
}
