using System.Net;
using System.Text.RegularExpressions;

namespace Bindery.Tests.Console;

/// <summary>Reads what a console page says: its alert (a refusal), its status (an outcome), an element's text.</summary>
public static partial class ConsoleHtml
{
    /// <summary>The text of the page's first element with <paramref name="role"/> (alert, status), or the page when it has none.</summary>
    public static string Role(string page, string role)
    {
        var match = Regex.Match(page, $"<(p|div) [^>]*role=\"{role}\"[^>]*>(.*?)</\\1>", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        return match.Success ? Text(match.Groups[2].Value) : page;
    }

    /// <summary>The text inside the element with id <paramref name="id"/> (up to its first closing tag of the same name).</summary>
    public static string ById(string page, string id)
    {
        var match = Regex.Match(page, $"<(\\w+)[^>]* id=\"{Regex.Escape(id)}\"[^>]*>(.*?)</\\1>", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        Assert.True(match.Success, $"no element #{id} on the page");
        return Text(match.Groups[2].Value);
    }

    public static string Text(string html) =>
        WebUtility.HtmlDecode(Whitespace().Replace(Tags().Replace(html, " "), " ")).Trim();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex("\\s+")]
    private static partial Regex Whitespace();
}
