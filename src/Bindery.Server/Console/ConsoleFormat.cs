using System.Globalization;

namespace Bindery.AdminConsole;

/// <summary>How the console writes times and counts: UTC, to the second, invariant culture.</summary>
public static class ConsoleFormat
{
    public static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Time(long? unixMs) => unixMs is { } ms ? Time(ms) : "";

    public static string Minute(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("HH:mm", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A form field as the admin API would get it: null when blank, else trimmed.</summary>
    public static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
